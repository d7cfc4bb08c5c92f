#pragma once
// Stream: a TCP connection, asyncio's StreamReader and StreamWriter in one object, as in
// MicroPython.
//
//   asyncio::Task<> handle(asyncio::Stream s) {
//       std::string line = co_await s.readline();
//       s.write("HTTP/1.0 200 OK\r\n\r\n");
//       co_await s.drain();
//       s.close();
//       co_await s.wait_closed();
//   }
//
// Every operation that waits is cancellable: a cancelled read leaves the data in the buffer and
// unregisters from the poller. A peer that resets or vanishes surfaces as std::system_error from
// the next read or drain; SIGPIPE never kills the process.
//
// Operations try the system call first and suspend only when the socket says EAGAIN. A read or
// drain that completes at once does not yield to other tasks (as in CPython): a task that keeps
// streaming without ever waiting should `co_await asyncio::sleep(0)` now and then.
// Memory: the receive buffer is given back whenever the stream waits for data with nothing
// buffered, and the write buffer once it is sent, so idle connections hold no buffers. Both go to
// a small per-thread free list (io/detail/buffer_pool.hpp), so taking them again for the next
// request costs no allocation.
// TLS (io/tls.hpp, asyncio::tls) sits under the same Stream: every operation works unchanged.
// Lifetime: the state is shared with a background close (close() with data still buffered), so a
// Stream may be destroyed at any time; the socket closes when that flush ends (10 s at most).

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

class Stream {
public:
    /// readline()/readuntil() give up (LimitOverrunError) when this much is buffered without a
    /// separator: 64 KiB, as in CPython.
    static constexpr std::size_t kDefaultLimit = 64 * 1024;

    Stream() = default;
    /// Takes ownership of a connected socket (made non-blocking here if it is not).
    explicit Stream(int fd, std::size_t limit = kDefaultLimit);
    explicit Stream(detail::NonBlockingSocket socket, std::size_t limit = kDefaultLimit);
    Stream(Stream&&) noexcept = default;
    Stream& operator=(Stream&&) noexcept;
    /// Closes the stream (as close()) if that was not done.
    ~Stream();

    // --- reading ---
    // Each read returns at once when the buffer holds enough; otherwise it suspends until the
    // socket has data (resumed by the poller; EOF and a reset end the wait too) and receives it.
    // A cancelled read leaves what arrived in the buffer. The Stream must outlive the read.
    /// Up to `n` bytes; with n < 0, everything until EOF. Empty at EOF.
    [[nodiscard]] Task<std::string> read(std::ptrdiff_t n = -1);
    /// Exactly `n` bytes; IncompleteReadError (with what was read) if EOF comes first.
    [[nodiscard]] Task<std::string> readexactly(std::size_t n);
    /// One line, keeping its "\n"; the rest of the stream at EOF; empty at EOF.
    /// LimitOverrunError if the line exceeds limit().
    [[nodiscard]] Task<std::string> readline();
    /// Up to and including `separator`; IncompleteReadError at EOF, LimitOverrunError if the
    /// separator does not start within limit() bytes.
    [[nodiscard]] Task<std::string> readuntil(std::string separator = "\n");
    [[nodiscard]] bool at_eof() const noexcept;

    // --- writing ---
    /// Appends to the write buffer; nothing is sent until drain() (or close()).
    void write(std::string_view data);
    /// The same; a string passed by rvalue is adopted without a copy when the buffer is empty
    /// (`s.write(co_await s.read(n))` copies nothing).
    void write(std::string&& data);
    void write(const char* data) { write(std::string_view(data)); }
    /// Sends the write buffer, suspending while the socket cannot take more (back-pressure).
    /// Returns once everything is handed to the kernel. Throws std::system_error if the peer
    /// reset or vanished.
    [[nodiscard]] detail::MaybeTask<void> drain();
    /// Sends the buffered data, then shuts down the sending side (the peer reads EOF).
    [[nodiscard]] Task<> write_eof();
    [[nodiscard]] std::size_t write_buffer_size() const noexcept;

    // --- closing ---
    /// Starts closing: what is buffered is still delivered (in the background), then the socket
    /// is closed. Never throws, never waits.
    void close() noexcept;
    /// Closes the socket now and drops what was not sent yet (CPython's transport.abort()): for
    /// a peer that stopped reading, which close() would keep buffering for in the background.
    void abort() noexcept;
    /// Suspends until the socket is closed: at once after abort() or a close() with nothing
    /// left to send; otherwise resumed when the background flush of close() ends.
    [[nodiscard]] Task<> wait_closed();
    [[nodiscard]] bool is_closing() const noexcept;

    // --- information and options ---
    /// "peername" or "sockname" as "host:port" ("[::1]:port" for IPv6); over TLS also "cipher"
    /// (the cipher suite) and "tls_version" ("TLSv1.2"); empty if unknown.
    [[nodiscard]] std::string get_extra_info(std::string_view name) const;
    [[nodiscard]] Address peername() const;
    [[nodiscard]] Address sockname() const;
    void set_nodelay(bool enabled);
    void set_keepalive(bool enabled);
    /// Caps the kernel's send buffer for this socket (SO_SNDBUF; Linux doubles the value for its
    /// bookkeeping). For a connection that pushes to a peer which may stop reading (an event
    /// stream, a WebSocket): drain() then waits, and a time-out around it starts, once this much
    /// is unsent, instead of once the kernel's buffer has grown to megabytes.
    void set_send_buffer_size(std::size_t bytes);
    [[nodiscard]] std::size_t limit() const noexcept;
    void set_limit(std::size_t limit) noexcept;
    [[nodiscard]] int fd() const noexcept;
    [[nodiscard]] explicit operator bool() const noexcept { return static_cast<bool>(m_state); }

    // --- the buffer itself, for parsers that work in place (the http layer) ---
    /// Bytes received and not consumed yet.
    [[nodiscard]] std::string_view buffered() const noexcept;
    /// Drops the first `n` buffered bytes.
    void consume(std::size_t n) noexcept;
    /// Receives whatever the socket has into the buffer (one system call when data is there, no
    /// allocation). Returns the number of new bytes; 0 means EOF.
    [[nodiscard]] detail::MaybeTask<std::size_t> receive();
    /// One non-blocking receive: new bytes (0 at EOF), or std::nullopt if nothing is there now.
    [[nodiscard]] std::optional<std::size_t> try_receive();
    /// The write buffer itself, for serialisers that append in place (the http layer builds each
    /// response there, with no copy in between): append only; what it holds already is still to
    /// be sent. The same as write() otherwise: nothing is sent until drain() or try_flush().
    [[nodiscard]] std::string& output_buffer();
    /// Sends what the socket takes now without waiting; true when the write buffer is empty.
    bool try_flush();
    /// Suspends until the socket may be readable / writable (no allocation; cancellable).
    [[nodiscard]] detail::IoWait wait_readable() noexcept;
    [[nodiscard]] detail::IoWait wait_writable() noexcept;

    struct State;
    /// For open_connection(): the socket while it connects.
    [[nodiscard]] State& state_for_connect() noexcept { return *m_state; }

    // --- for a transport layered on the socket (asyncio::tls) ---
    /// The socket's handle in the poller (its readiness flags and waits).
    [[nodiscard]] detail::IoHandle& io_handle() noexcept;
    /// From now on every receive and send goes through `transport` (installed once, before any
    /// data is read or written).
    void set_transport(std::unique_ptr<detail::StreamTransport> transport);
    [[nodiscard]] detail::StreamTransport* transport() const noexcept;

private:
    std::shared_ptr<State> m_state;  ///< shared with a background flush after close()
};

/// Connects to host:port (a name is resolved on a worker thread, so other tasks keep running).
/// Use wait_for() for a connect time-out. Throws std::system_error when refused or unreachable.
[[nodiscard]] Task<Stream> open_connection(std::string host, std::uint16_t port);

}  // namespace asyncio
