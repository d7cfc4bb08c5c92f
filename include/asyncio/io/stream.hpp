#pragma once

#include <asyncio/core/detail/maybe_task.hpp>
#include <asyncio/core/task.hpp>
#include <asyncio/io/address.hpp>
#include <asyncio/io/poller.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace asyncio {

namespace detail {
/// A socket the library opened non-blocking already (accept4, socket(SOCK_NONBLOCK)): a Stream
/// made from it skips the fcntl() calls.
struct NonBlockingSocket {
    int fd;
};

struct IoResult;
class IoHandle;

/// A layer between a Stream and its socket (TLS, in the asyncio::tls library). A plain TCP
/// Stream has none and calls the socket directly; one with a transport sends and receives
/// through it. Both calls are non-blocking and answer like the socket calls of
/// io/detail/socket_ops.hpp: bytes, 0 at EOF (receive), or an errno value, EAGAIN meaning "try
/// again when the poller says so". The transport keeps the handle's readiness flags right itself
/// (it knows which direction it waits for), and its receive() returns short only once the socket
/// said EAGAIN or the peer ended the stream, so the Stream never waits while data is buffered in
/// the transport.
class StreamTransport {
public:
    virtual ~StreamTransport() = default;
    /// May throw for a failure of the transport itself (a TLS record that does not decrypt).
    virtual IoResult receive(char* buffer, std::size_t size) = 0;
    /// May take fewer bytes than offered; a retry after EAGAIN must offer the same bytes again
    /// (possibly followed by more).
    virtual IoResult send(const char* data, std::size_t size) = 0;
    /// The stream ends cleanly (close(), write_eof()): announce it to the peer if the socket
    /// takes it now (TLS close_notify). Best effort, never waits.
    virtual void send_end_of_stream() noexcept = 0;
    /// Stream::get_extra_info() for the names the transport knows ("cipher"...); empty if not.
    [[nodiscard]] virtual std::string get_extra_info(std::string_view name) const = 0;
};
}  // namespace detail

/// A TCP connection: asyncio's StreamReader and StreamWriter in one object, as in MicroPython.
/// start_server() hands one to each connection's handler; open_connection() returns one.
///
///     asyncio::Task<> handle(asyncio::Stream s) {
///         std::string line = co_await s.readline();
///         s.write("HTTP/1.0 200 OK\r\n\r\n");
///         co_await s.drain();
///         s.close();
///         co_await s.wait_closed();
///     }
///
/// Every operation that waits is cancellable: a cancelled read leaves the data in the buffer and
/// unregisters from the poller. A peer that resets or vanishes surfaces as std::system_error from
/// the next read or drain (is_connection_error() tells it apart); SIGPIPE never kills the process.
///
/// Operations try the system call first and suspend only when the socket says EAGAIN. A read or
/// drain that completes at once does not yield to other tasks (as in CPython): a task that keeps
/// streaming without ever waiting should `co_await asyncio::sleep(0)` now and then.
///
/// Memory: the receive buffer is given back whenever the stream waits for data with nothing
/// buffered, and the write buffer once it is sent, so idle connections hold no buffers. Both go to
/// a small per-thread free list (io/detail/buffer_pool.hpp), so taking them again for the next
/// request costs no allocation.
///
/// TLS (io/tls.hpp, asyncio::tls) sits under the same Stream: every operation works unchanged.
///
/// Lifetime: the state is shared with a background close (close() with data still buffered), so a
/// Stream may be destroyed at any time; the socket closes when that flush ends (10 s at most).
/// A Stream is move-only; use it on its loop's thread only.
class Stream {
public:
    /// readline()/readuntil() give up (LimitOverrunError) when this much is buffered without a
    /// separator: 64 KiB, as in CPython.
    static constexpr std::size_t kDefaultLimit = 64 * 1024;

    /// A Stream with no socket: only assignment, destruction, operator bool, fd() (-1),
    /// is_closing(), close() and abort() are valid on it.
    Stream() = default;
    /// Takes ownership of a connected socket (made non-blocking here if it is not). `limit`: see
    /// limit(). The socket is closed if this throws (std::bad_alloc).
    explicit Stream(int fd, std::size_t limit = kDefaultLimit);
    /// The same for a socket the library opened non-blocking already (no fcntl() calls).
    explicit Stream(detail::NonBlockingSocket socket, std::size_t limit = kDefaultLimit);
    /// Takes over `other`'s connection; `other` is left with no socket.
    Stream(Stream&&) noexcept = default;
    /// Closes this stream's own connection (as close()), then takes over `other`'s.
    Stream& operator=(Stream&&) noexcept;
    /// Closes the stream (as close()) if that was not done.
    ~Stream();

    // --- reading ---
    // Each read returns at once when the buffer holds enough, and otherwise receives from the
    // socket; it waits only when the socket has nothing (EAGAIN).

    /// Up to `n` bytes; with n < 0, everything until EOF (however much that is: `limit` does not
    /// apply); with n == 0, "" at once.
    /// Suspends when: nothing is buffered and the socket has nothing now (with n < 0: until EOF).
    /// Resumed by: the poller, when data, EOF or an error arrives, or the socket's closing
    /// (close() or abort(): the read then sees EOF).
    /// Returns: for n > 0, what is buffered, up to `n` bytes, or else what one receive brings
    /// ("" at EOF); for n < 0, everything up to EOF.
    /// Throws std::system_error if the peer reset (is_connection_error()), TlsError over TLS.
    /// Cancellation: what arrived stays in the buffer; CancelledError.
    /// Lifetime: the Stream must be alive, and not moved from, when the read starts (at its
    /// co_await: a Task is lazy); the read then holds the connection's state itself.
    [[nodiscard]] Task<std::string> read(std::ptrdiff_t n = -1);
    /// Exactly `n` bytes.
    /// Suspends when: fewer than `n` bytes are buffered and the socket has nothing now. Resumed
    /// by: as read(). Returns: the first `n` buffered bytes. Throws IncompleteReadError if EOF
    /// comes first (its `partial` holds, and the buffer no longer has, what was read), otherwise
    /// as read(). Cancellation: as read(): nothing is consumed. Lifetime: as read().
    [[nodiscard]] Task<std::string> readexactly(std::size_t n);
    /// One line: readuntil("\n"), except at EOF, where the rest of the stream is returned
    /// (an unterminated last line; "" at EOF) instead of IncompleteReadError.
    /// Suspends when, resumed by, cancellation, lifetime: as readuntil(). Returns: the line,
    /// keeping its "\n". Throws LimitOverrunError if the line exceeds limit() (the data stays
    /// buffered), otherwise as read().
    [[nodiscard]] Task<std::string> readline();
    /// Up to and including `separator`.
    /// Suspends when: the buffer holds no `separator` and the socket has nothing now. Resumed
    /// by: as read(). Returns: the data, separator included, consumed from the buffer.
    /// Throws IncompleteReadError at EOF before a separator (its `partial` holds, consumed,
    /// what was buffered); LimitOverrunError, nothing consumed, if the separator does not start
    /// within limit() bytes; std::invalid_argument for an empty separator; otherwise as read().
    /// Cancellation: as read(): nothing is consumed. Lifetime: as read().
    [[nodiscard]] Task<std::string> readuntil(std::string separator = "\n");
    /// The peer ended the stream (EOF was received) and every buffered byte has been consumed.
    [[nodiscard]] bool at_eof() const noexcept;

    // --- writing ---
    /// Appends to the write buffer; nothing is sent until drain() (or close()). Throws
    /// InvalidStateError once close() or abort() was called.
    void write(std::string_view data);
    /// The same; a string passed by rvalue is adopted without a copy when the buffer is empty
    /// (`s.write(co_await s.read(n))` copies nothing).
    void write(std::string&& data);
    /// The same, for a NUL-terminated string.
    void write(const char* data) { write(std::string_view(data)); }
    /// Sends the write buffer (back-pressure: a writer that awaits drain() never buffers more
    /// than the socket can take). The first send is tried in the call itself, so it may throw
    /// before the co_await.
    /// Suspends when: the socket cannot take all of it now (EAGAIN). Resumed by: the poller,
    /// once the socket is writable again (or fails), then sends more, and so on.
    /// Returns: once everything is handed to the kernel (not once the peer has it); at once if
    /// the buffer is empty. (A stream that allows background sends on io_uring: once the poller
    /// has sent all of it, with the loop's next pass.) Throws std::system_error if the peer reset
    /// or vanished, TlsError over TLS, InvalidStateError if the socket is closed already.
    /// Cancellation: what was not sent stays in the write buffer; CancelledError.
    /// Lifetime: only the call needs the Stream; a wait holds the connection's state itself.
    [[nodiscard]] detail::MaybeTask<void> drain();
    /// Sends the buffered data, then shuts down the sending side (the peer reads EOF; over TLS,
    /// a close_notify first). Reading still works.
    /// Suspends when, resumed by, throws: as drain(). Returns: once the EOF is sent.
    /// Cancellation: CancelledError; the EOF stays due: the next drain() (or close()) that
    /// empties the write buffer sends it. Lifetime: as read().
    [[nodiscard]] Task<> write_eof();
    /// Bytes written and not yet handed to the kernel (on io_uring, including a buffer the
    /// poller is still sending).
    [[nodiscard]] std::size_t write_buffer_size() const noexcept;

    // --- closing ---
    /// Starts closing: what is buffered is still delivered (in the background), then the socket
    /// is closed. Never throws, never waits.
    void close() noexcept;
    /// Closes the socket now and drops what was not sent yet (CPython's transport.abort()): for
    /// a peer that stopped reading, which close() would keep buffering for in the background.
    void abort() noexcept;
    /// Suspends when: the socket is still open: before close() or abort(), or while close()
    /// delivers what was buffered in the background. Resumed by: abort(), a close() with nothing
    /// left to send, or the end of close()'s background flush (10 s at most).
    /// Returns: void; never throws but CancelledError (a failed flush only closes the socket).
    /// Lifetime: as read().
    [[nodiscard]] Task<> wait_closed();
    /// close() or abort() was called (CPython's transport.is_closing()); false for a Stream with
    /// no socket.
    [[nodiscard]] bool is_closing() const noexcept;

    // --- information and options ---
    /// "peername" or "sockname" as "host:port" ("[::1]:port" for IPv6); over TLS also "cipher"
    /// (the cipher suite) and "tls_version" ("TLSv1.2"); empty if unknown.
    [[nodiscard]] std::string get_extra_info(std::string_view name) const;
    /// The peer's address; empty if the socket has none (closed, or not connected).
    [[nodiscard]] Address peername() const;
    /// The local address of the socket; empty once it is closed.
    [[nodiscard]] Address sockname() const;
    /// TCP_NODELAY: true sends small writes at once (Nagle's algorithm off). Streams of
    /// open_connection() and start_server() have it on already. Throws std::system_error if
    /// setsockopt() fails (on a closed socket, say).
    void set_nodelay(bool enabled);
    /// SO_KEEPALIVE: the kernel probes an idle connection, so that a vanished peer ends it
    /// (after the system's keepalive times, two hours by default on Linux). Throws as
    /// set_nodelay().
    void set_keepalive(bool enabled);
    /// Caps the kernel's send buffer for this socket (SO_SNDBUF; Linux doubles the value for its
    /// bookkeeping). For a connection that pushes to a peer which may stop reading (an event
    /// stream, a WebSocket): drain() then waits, and a time-out around it starts, once this much
    /// is unsent, instead of once the kernel's buffer has grown to megabytes.
    void set_send_buffer_size(std::size_t bytes);
    /// The most bytes readline() and readuntil() look through for their separator (kDefaultLimit
    /// unless set).
    [[nodiscard]] std::size_t limit() const noexcept;
    /// Sets limit(); the next readline() or readuntil() uses it.
    void set_limit(std::size_t limit) noexcept;
    /// The socket's descriptor; -1 for a Stream with no socket or once the socket is closed.
    [[nodiscard]] int fd() const noexcept;
    /// The Stream has a connection (not default-constructed or moved from); still true after
    /// close().
    [[nodiscard]] explicit operator bool() const noexcept { return static_cast<bool>(m_state); }

    // --- the buffer itself, for parsers that work in place (the http layer) ---
    /// Bytes received and not consumed yet.
    [[nodiscard]] std::string_view buffered() const noexcept;
    /// Drops the first `n` buffered bytes.
    void consume(std::size_t n) noexcept;
    /// Receives whatever the socket has into the buffer (one system call when data is there, no
    /// allocation). The first attempt is made in the call itself.
    /// Suspends when: the socket has nothing now. Resumed by: as read().
    /// Returns: the number of new bytes; 0 means EOF (or a closed socket). Throws as read().
    /// Cancellation: nothing is lost; CancelledError. Lifetime: as drain().
    [[nodiscard]] detail::MaybeTask<std::size_t> receive();
    /// One non-blocking receive: new bytes (0 at EOF), or std::nullopt if nothing is there now.
    [[nodiscard]] std::optional<std::size_t> try_receive();
    /// The write buffer itself, for serialisers that append in place (the http layer builds each
    /// response there, with no copy in between): append only; what it holds already is still to
    /// be sent. The same as write() otherwise: nothing is sent until drain() or try_flush().
    [[nodiscard]] std::string& output_buffer();
    /// Sends what the socket takes now without waiting; true when the write buffer is empty (for
    /// a stream that allows background sends: handed to the poller, with at most 64 KiB of it
    /// still in flight, asyncio's high-water mark).
    bool try_flush();
    /// On a back-end that sends in the background (io_uring), lets this stream hand its write
    /// buffer to the poller instead of calling send() itself: the send goes with the loop's next
    /// pass, in one system call for the whole pass (the HTTP server's connections do this: a
    /// response then costs no system call of its own). drain(), close() and write_eof() still
    /// wait until the bytes have gone; write_buffer_size() counts those in flight; try_flush()
    /// may leave up to 64 KiB in flight. No effect on other back-ends or over TLS.
    void allow_background_sends() noexcept;
    /// Waits until the socket may be readable, without reading (no allocation).
    /// Suspends when: the last receive said EAGAIN (or a short read emptied the socket); returns
    /// at once otherwise. Resumed by: the poller, when the socket becomes readable, hangs up or
    /// fails, or the socket's closing. Returns: void; the caller tries its receive again.
    /// Cancellation: unregisters; CancelledError.
    /// Lifetime: the Stream must outlive the wait (the awaitable refers to its socket's handle).
    [[nodiscard]] detail::IoWait wait_readable() noexcept;
    /// The same for writing: suspends after a send said EAGAIN, until the socket takes more.
    [[nodiscard]] detail::IoWait wait_writable() noexcept;

    struct State;
    /// For open_connection(): the socket while it connects.
    [[nodiscard]] State& state_for_connect() noexcept { return *m_state; }

    // --- for a transport layered on the socket (asyncio::tls) ---
    /// The socket's handle in the poller (its readiness flags and waits).
    [[nodiscard]] detail::IoHandle& io_handle() noexcept;
    /// From now on every receive and send goes through `transport` (installed once, before any
    /// data is read or written). InvalidStateError if one is installed already.
    void set_transport(std::unique_ptr<detail::StreamTransport> transport);
    /// The installed transport; nullptr on plain TCP or for a Stream with no socket.
    [[nodiscard]] detail::StreamTransport* transport() const noexcept;

private:
    std::shared_ptr<State> m_state;  ///< shared with a background flush after close()
};

/// Connects to host:port (a numeric address, or a name; each address it resolves to is tried in
/// turn, as CPython does). Use wait_for() for a connect time-out.
/// Suspends when: resolving a name (on a worker thread, so other tasks keep running) and while
/// connecting. Resumed by: the end of the lookup, then the poller when the connect completes.
/// Returns: the connected Stream, TCP_NODELAY on. Throws std::system_error when the name does
/// not resolve, or every address refused or was unreachable (the last address's error).
/// Cancellation: the socket being connected is closed; CancelledError.
[[nodiscard]] Task<Stream> open_connection(std::string host, std::uint16_t port);

}  // namespace asyncio
