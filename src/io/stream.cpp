#include <asyncio/io/stream.hpp>

#include <asyncio/core/errors.hpp>
#include <asyncio/core/event.hpp>
#include <asyncio/core/timeout.hpp>
#include <asyncio/io/detail/buffer_pool.hpp>
#include <asyncio/io/detail/byte_buffer.hpp>
#include <asyncio/io/detail/resolve_host.hpp>
#include <asyncio/io/detail/socket_ops.hpp>
#include <asyncio/io/poller.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <optional>
#include <stdexcept>
#include <sys/socket.h>
#include <system_error>
#include <vector>

namespace asyncio {

namespace {
#if ASYNCIO_SMALL_BUFFERS
constexpr std::size_t kReceiveChunk = 2 * 1024;  // lwIP holds at most one TCP window anyway
constexpr std::size_t kDirectReceive = 512;
#else
/// One receive asks the kernel for at least this much: everything a client pipelined arrives in
/// one system call, and a bulk transfer moves 64 KiB per call.
constexpr std::size_t kReceiveChunk = 64 * 1024;
/// With this much free space the receive buffer takes the bytes directly; with less, they go
/// through a per-thread scratch buffer and are appended (the buffer grows to take them).
constexpr std::size_t kDirectReceive = 16 * 1024;
#endif
/// A receive buffer larger than this is given back as soon as a consume() empties it (after a
/// big readexactly(), say); smaller ones are kept while data flows and given back when the
/// stream goes idle (a receive finds nothing, or a task starts to wait for data).
#if ASYNCIO_SMALL_BUFFERS
constexpr std::size_t kKeepReceiveCapacity = 0;  // a board: every emptied buffer goes back at once
#else
constexpr std::size_t kKeepReceiveCapacity = 256 * 1024;
#endif
/// A back-end that sends in the background (io_uring) may hold this much unsent when try_flush()
/// says the buffer is flushed: asyncio's default high-water mark. (drain() waits for all of it.)
constexpr std::size_t kBackgroundHighWater = 64 * 1024;
/// After close(), buffered output gets this long to reach a peer that does not read.
constexpr auto kCloseFlushLimit = std::chrono::seconds(10);

char* receive_scratch() {
    thread_local std::array<char, kReceiveChunk> scratch;
    return scratch.data();
}
}  // namespace

struct Stream::State : std::enable_shared_from_this<Stream::State> {
    State(int socket, std::size_t read_limit) : io(socket), limit(read_limit) {}
    State(const State&) = delete;
    State& operator=(const State&) = delete;
    ~State() { close_now(); }

    [[nodiscard]] std::string_view buffered() const noexcept { return input.view(); }
    void consume(std::size_t n) noexcept {
        input.consume(n);
        if (input.capacity() > kKeepReceiveCapacity) input.release_if_empty();
    }
    /// The stream waits for data: an empty receive buffer is given back meanwhile.
    void going_idle() noexcept { input.release_if_empty(); }

    /// One receive attempt: new bytes (0 at EOF), or nullopt if the socket has nothing now.
    std::optional<std::size_t> receive_now() {
        if (eof || closed) return 0;
        // Drop what was consumed first: a reader that takes lines one by one never empties the
        // buffer (a partial line stays), and the dead prefix must not pile up.
        input.compact();
        const bool direct = input.tail_room() >= kDirectReceive;
        char* into = direct ? input.tail() : receive_scratch();
        const std::size_t wanted = direct ? input.tail_room() : kReceiveChunk;
        const detail::IoResult result =
            transport ? transport->receive(into, wanted) : io.receive(into, wanted);
        if (result.error != 0) {
            if (result.would_block()) {
                io.not_readable();
                going_idle();
                return std::nullopt;
            }
            detail::throw_error(result.error, "recv");
        }
        const auto n = static_cast<std::size_t>(result.value);
        if (n == 0) {
            eof = true;
            return 0;
        }
        if (direct) input.commit(n);
        else input.append(into, n);
        // A short read emptied the socket; the poller reports the next arrival, so the next
        // receive waits for it instead of paying for a recv() that says EAGAIN. (A transport
        // keeps the flag itself: its short read may have ended at a close_notify. A back-end
        // that receives in the background answers the next receive without a system call.)
        if (n < wanted && !transport && !io.receives_in_background()) io.not_readable();
        return n;
    }

    /// One send, through the transport if there is one. A failure the transport throws (TLS)
    /// drops the output as a failed send() of the socket does, then propagates.
    detail::IoResult send_some(const char* data, std::size_t size) {
        if (!transport) return detail::send(io.fd(), data, size);
        try {
            return transport->send(data, size);
        } catch (...) {
            drop_output();
            throw;
        }
    }

    /// Sends as much of the write buffer as the socket takes now. True when it is empty.
    bool flush_now() {
        if (closed) {
            if (output_start == output.size()) return true;
            throw InvalidStateError("the stream was closed before its buffer could be sent");
        }
        if (background_sends && !transport && io.sends_in_background()) return hand_over_output();
        while (output_start < output.size()) {
            const char* pending = output.data() + output_start;
            const std::size_t size = output.size() - output_start;
            const detail::IoResult result = send_some(pending, size);
            if (result.error != 0) {
                if (result.would_block()) {
                    io.not_writable();
                    return false;
                }
                drop_output();
                detail::throw_error(result.error, "send");
            }
            output_start += static_cast<std::size_t>(result.value);
        }
        drop_output();  // an idle stream holds no write buffer; the next write takes it back
        if (eof_after_flush) {
            eof_after_flush = false;
            send_eof();
        }
        return true;
    }

    /// flush_now() on a back-end that sends in the background (io_uring): the write buffer goes
    /// to the poller whole. True when it was taken and what is still in flight is at most
    /// kBackgroundHighWater (asyncio's high-water mark), and, before a FIN, when all of it has
    /// gone. (drain() and close() wait for all of it: all_sent().)
    bool hand_over_output() {
        if (output_start < output.size()) {
            const int error = io.send_in_background(output, output_start);
            if (error == EAGAIN) {  // the previous buffer is in flight: writable once it has gone
                io.not_writable_until_sent();
                return false;
            }
            if (error != 0) {
                drop_output();
                detail::throw_error(error, "send");
            }
            output = std::string();  // taken; the next write takes a buffer from the pool
            output_start = 0;
        }
        const std::size_t allowed = eof_after_flush ? 0 : kBackgroundHighWater;  // the FIN follows the data
        if (!background_sent_down_to(allowed)) return false;
        if (eof_after_flush) {
            eof_after_flush = false;
            send_eof();
        }
        return true;
    }

    /// At most `allowed` bytes handed to the back-end are unsent; otherwise the handle waits
    /// until the back-end reports the send done. Throws the error of a send that failed.
    bool background_sent_down_to(std::size_t allowed) {
        const detail::BackgroundSend sending = io.background_send();
        if (sending.error != 0) detail::throw_error(sending.error, "send");
        if (sending.unsent <= allowed) return true;
        io.not_writable_until_sent();
        return false;
    }

    /// Everything written has left the process: flushed, and nothing in flight in the back-end.
    /// close() waits for this, so that the socket is not closed under a send.
    bool all_sent() { return flush_now() && background_sent_down_to(0); }

    /// Ends the sending side: the transport's end-of-stream record (TLS close_notify), then FIN.
    void send_eof() noexcept {
        if (transport) transport->send_end_of_stream();
        detail::shutdown_write(io.fd());
    }

    /// Empties the write buffer (sent, or never to be) and gives its storage back to the pool.
    void drop_output() noexcept {
        output_start = 0;
        detail::give_write_buffer(output);
    }

    void close_now() noexcept {
        if (closed) return;
        closed = true;
        if (transport && !aborted) transport->send_end_of_stream();
        const int fd = io.fd();
        io.release_descriptor();
        detail::close_socket(fd);
        closed_event.set();
    }

    detail::IoHandle io;
    std::size_t limit;
    detail::ByteBuffer input;
    std::string output;
    std::size_t output_start = 0;
    bool eof = false;
    bool closing = false;
    bool closed = false;
    bool eof_after_flush = false;
    bool background_sends = false;  ///< allow_background_sends()
    bool aborted = false;  ///< abort(): not even a transport's end-of-stream record is sent
    Event closed_event;
    /// Null on plain TCP (one predictable branch per system call, no virtual call).
    std::unique_ptr<detail::StreamTransport> transport;
};

namespace {

Task<std::size_t> receive_when_ready(std::shared_ptr<Stream::State> state) {
    for (;;) {
        if (!state->io.readable()) state->going_idle();
        co_await state->io.wait_readable();
        if (auto received = state->receive_now()) co_return *received;
    }
}

detail::MaybeTask<std::size_t> receive_into(const std::shared_ptr<Stream::State>& state) {
    if (state->io.readable() || state->eof || state->closed) {
        if (auto received = state->receive_now()) return detail::MaybeTask<std::size_t>::ready(*received);
    }
    return receive_when_ready(state);
}

Task<> send_all_when_writable(std::shared_ptr<Stream::State> state) {
    while (!state->all_sent()) co_await state->io.wait_writable();
}

/// After close(): deliver what is buffered (for a bounded time), then close the socket.
Task<> flush_then_close(std::shared_ptr<Stream::State> state) {
    try {
        co_await wait_for(send_all_when_writable(state), kCloseFlushLimit);
    } catch (const CancelledError&) {
        state->close_now();  // the loop is shutting down
        throw;
    } catch (...) {
        // The peer is gone or does not read: nothing more can be delivered; close anyway.
    }
    state->close_now();
}

int make_non_blocking(int fd) {
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0 && (flags & O_NONBLOCK) == 0) ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    return fd;
}

std::shared_ptr<Stream::State> make_state(int fd, std::size_t limit) {
    try {
        return std::make_shared<Stream::State>(fd, limit);
    } catch (...) {
        detail::close_socket(fd);  // the Stream owns the socket whatever happens
        throw;
    }
}

}  // namespace

Stream::Stream(int fd, std::size_t limit) : m_state(make_state(make_non_blocking(fd), limit)) {}
Stream::Stream(detail::NonBlockingSocket socket, std::size_t limit) : m_state(make_state(socket.fd, limit)) {}

Stream& Stream::operator=(Stream&& other) noexcept {
    if (this != &other) {
        close();
        m_state = std::move(other.m_state);
    }
    return *this;
}

Stream::~Stream() { close(); }

// --- reading ---

detail::MaybeTask<std::size_t> Stream::receive() { return receive_into(m_state); }
std::optional<std::size_t> Stream::try_receive() { return m_state->receive_now(); }
bool Stream::try_flush() { return m_state->flush_now(); }
void Stream::allow_background_sends() noexcept { m_state->background_sends = true; }
detail::IoWait Stream::wait_readable() noexcept {
    if (!m_state->io.readable()) m_state->going_idle();
    return m_state->io.wait_readable();
}
detail::IoWait Stream::wait_writable() noexcept { return m_state->io.wait_writable(); }

std::string_view Stream::buffered() const noexcept { return m_state->buffered(); }
void Stream::consume(std::size_t n) noexcept { m_state->consume(n); }
bool Stream::at_eof() const noexcept { return m_state->eof && m_state->buffered().empty(); }

Task<std::string> Stream::read(std::ptrdiff_t n) {
    auto state = m_state;
    if (n == 0) co_return std::string();
    if (n < 0) {
        for (;;) {  // named results, no co_await in a condition: g++ 12 (docs/TOOLCHAIN.md)
            const std::size_t received = co_await receive_into(state);
            if (received == 0) break;
        }
        std::string all(state->buffered());
        state->consume(all.size());
        co_return all;
    }
    if (state->buffered().empty()) {
        const std::size_t received = co_await receive_into(state);  // g++ 12: never discard it
        (void)received;
    }
    std::string part(state->buffered().substr(0, static_cast<std::size_t>(n)));
    state->consume(part.size());
    co_return part;
}

Task<std::string> Stream::readexactly(std::size_t n) {
    auto state = m_state;
    while (state->buffered().size() < n) {
        const std::size_t received = co_await receive_into(state);
        if (received == 0) {
            std::string partial(state->buffered());
            state->consume(partial.size());
            throw IncompleteReadError(std::move(partial), n);
        }
    }
    std::string exact(state->buffered().substr(0, n));
    state->consume(n);
    co_return exact;
}

Task<std::string> Stream::readuntil(std::string separator) {
    auto state = m_state;
    if (separator.empty()) throw std::invalid_argument("readuntil(): empty separator");
    std::size_t searched = 0;  // where the next search starts, so each byte is scanned once
    for (;;) {
        const std::string_view data = state->buffered();
        const std::size_t found = data.find(separator, searched);
        if (found != std::string_view::npos) {
            if (found > state->limit) {
                throw LimitOverrunError("separator found, but the chunk is longer than the stream's limit of " +
                                            std::to_string(state->limit) + " bytes",
                                        found);
            }
            std::string chunk(data.substr(0, found + separator.size()));
            state->consume(chunk.size());
            co_return chunk;
        }
        // No separator starts before `searched`; once that is past the limit none can be accepted
        // any more (CPython: offset = buflen + 1 - seplen > limit), however the bytes were split.
        searched = data.size() >= separator.size() ? data.size() - separator.size() + 1 : 0;
        if (searched > state->limit) {
            throw LimitOverrunError("separator not found within the stream's limit of " +
                                        std::to_string(state->limit) + " bytes",
                                    searched);
        }
        const std::size_t received = co_await receive_into(state);
        if (received == 0) {
            std::string partial(state->buffered());
            state->consume(partial.size());
            const std::size_t expected = partial.size() + separator.size();
            throw IncompleteReadError(std::move(partial), expected);
        }
    }
}

Task<std::string> Stream::readline() {
    try {
        co_return co_await readuntil("\n");
    } catch (IncompleteReadError& at_eof) {
        co_return std::move(at_eof.partial);  // the last, unterminated line (empty at EOF)
    }
}

// --- writing ---

void Stream::write(std::string&& data) {
    State& state = *m_state;
    if (state.closing) throw InvalidStateError("write() on a closed Stream");
    if (state.output_start == state.output.size()) {  // nothing waits to be sent: adopt the string
        detail::give_write_buffer(state.output);
        state.output = std::move(data);
        state.output_start = 0;
        return;
    }
    write(std::string_view(data));
}

void Stream::write(std::string_view data) { output_buffer().append(data); }

std::string& Stream::output_buffer() {
    State& state = *m_state;
    if (state.closing) throw InvalidStateError("write() on a closed Stream");
    if (state.output.empty()) {
        if (state.output.capacity() <= std::string().capacity()) detail::take_write_buffer(state.output);
    } else if (state.output_start > 0 && state.output_start >= state.output.size() - state.output_start) {
        // A partly sent buffer drops its sent prefix once that is at least as long as what is
        // left (amortised O(1) per byte), so a writer that never waits for an empty buffer stays
        // bounded.
        state.output.erase(0, state.output_start);
        state.output_start = 0;
    }
    return state.output;
}

std::size_t Stream::write_buffer_size() const noexcept {
    return m_state->output.size() - m_state->output_start + m_state->io.background_send().unsent;
}

detail::MaybeTask<void> Stream::drain() {
    if (m_state->closed) throw InvalidStateError("drain() on a closed Stream");
    const detail::BackgroundSend in_flight = m_state->io.background_send();
    if (m_state->output_start == m_state->output.size() && !m_state->eof_after_flush && in_flight.unsent == 0 &&
        in_flight.error == 0) {
        return detail::MaybeTask<void>::ready();
    }
    if (m_state->io.writable() && m_state->all_sent()) return detail::MaybeTask<void>::ready();
    return send_all_when_writable(m_state);
}

Task<> Stream::write_eof() {
    auto state = m_state;
    state->eof_after_flush = true;
    co_await drain();
    if (state->eof_after_flush) {  // nothing was buffered, so flush_now() had nothing to do
        state->eof_after_flush = false;
        state->send_eof();
    }
}

// --- closing ---

void Stream::close() noexcept {
    if (!m_state || m_state->closing) return;
    m_state->closing = true;
    bool flushed = true;
    try {
        flushed = m_state->all_sent();
    } catch (...) {
        // The peer is gone: nothing left to deliver.
    }
    if (flushed || running_loop() == nullptr) {
        m_state->close_now();
        return;
    }
    try {
        (void)create_task(flush_then_close(m_state), "stream-close-flush");
    } catch (...) {
        m_state->close_now();
    }
}

void Stream::abort() noexcept {
    if (!m_state) return;
    m_state->closing = true;
    m_state->aborted = true;
    m_state->drop_output();
    m_state->close_now();  // a close() still flushing in the background finds the socket gone
}

Task<> Stream::wait_closed() {
    auto state = m_state;
    co_await state->closed_event.wait();
}

bool Stream::is_closing() const noexcept { return m_state && m_state->closing; }

// --- information and options ---

std::string Stream::get_extra_info(std::string_view name) const {
    if (name == "peername") return peername().to_string();
    if (name == "sockname") return sockname().to_string();
    if (m_state && m_state->transport) return m_state->transport->get_extra_info(name);
    return {};
}

Address Stream::peername() const { return detail::peer_address(m_state->io.fd()); }
Address Stream::sockname() const { return detail::local_address(m_state->io.fd()); }
detail::IoHandle& Stream::io_handle() noexcept { return m_state->io; }
detail::StreamTransport* Stream::transport() const noexcept { return m_state ? m_state->transport.get() : nullptr; }
void Stream::set_transport(std::unique_ptr<detail::StreamTransport> transport) {
    if (m_state->transport) throw InvalidStateError("set_transport(): the stream has a transport already");
    m_state->transport = std::move(transport);
}
int Stream::fd() const noexcept { return m_state ? m_state->io.fd() : -1; }
std::size_t Stream::limit() const noexcept { return m_state->limit; }
void Stream::set_limit(std::size_t limit) noexcept { m_state->limit = limit; }

void Stream::set_nodelay(bool enabled) {
    const auto result = detail::set_option(fd(), IPPROTO_TCP, TCP_NODELAY, enabled ? 1 : 0);
    if (result.error != 0) detail::throw_error(result.error, "setsockopt(TCP_NODELAY)");
}

void Stream::set_keepalive(bool enabled) {
    const auto result = detail::set_option(fd(), SOL_SOCKET, SO_KEEPALIVE, enabled ? 1 : 0);
    if (result.error != 0) detail::throw_error(result.error, "setsockopt(SO_KEEPALIVE)");
}

void Stream::set_send_buffer_size(std::size_t bytes) {
    if (bytes == 0 || bytes > static_cast<std::size_t>(INT_MAX)) {
        throw std::invalid_argument("set_send_buffer_size(): bytes must be in [1, INT_MAX]");
    }
    const auto result = detail::set_option(fd(), SOL_SOCKET, SO_SNDBUF, static_cast<int>(bytes));
    if (result.error != 0) detail::throw_error(result.error, "setsockopt(SO_SNDBUF)");
}

}  // namespace asyncio

// --- open_connection ---

namespace asyncio {

namespace {

/// Connects one socket to `address`; the Stream owns it whatever happens.
Task<Stream> connect_to(const Address address) {
    const detail::IoResult opened = detail::open_socket(address.family(), SOCK_STREAM);
    if (opened.error != 0) detail::throw_error(opened.error, "socket");
    Stream stream(detail::NonBlockingSocket{static_cast<int>(opened.value)});
    Stream::State& state = stream.state_for_connect();
    const detail::IoResult started = detail::start_connect(stream.fd(), address);
    if (started.error == EINPROGRESS) {
        state.io.not_writable();
        co_await state.io.wait_writable();
        if (const int error = detail::connect_result(stream.fd()); error != 0) detail::throw_error(error, "connect");
    } else if (started.error != 0) {
        detail::throw_error(started.error, "connect");
    }
    stream.set_nodelay(true);
    co_return stream;
}

}  // namespace

Task<Stream> open_connection(std::string host, std::uint16_t port) {
    const std::vector<Address> addresses = co_await detail::resolve_tcp_host(host, port, detail::HostUse::connect);
    std::exception_ptr last_failure;
    for (const Address& address : addresses) {
        try {
            co_return co_await connect_to(address);
        } catch (const std::system_error&) {
            last_failure = std::current_exception();  // try the next address, as CPython does
        }
    }
    std::rethrow_exception(last_failure);
}

}  // namespace asyncio
