#include <asyncio/http/server.hpp>

#include <asyncio/core/errors.hpp>
#include <asyncio/core/timeout.hpp>
#include <asyncio/http/chunked_decoder.hpp>

#include <optional>
#include <system_error>

namespace asyncio::http {

namespace {

/// Waits until the stream is readable (or writable) for at most `limit`; yields false when the
/// time ran out. Allocation-free: the hot path of a keep-alive connection waits here.
class [[nodiscard]] TimedIoWait {
public:
    enum class For { read, write };
    TimedIoWait(Stream& stream, For direction, Duration limit)
        : m_wait(direction == For::write ? stream.wait_writable() : stream.wait_readable()), m_limit(limit) {}

    bool await_ready() const noexcept { return m_wait.await_ready(); }
    bool await_suspend(std::coroutine_handle<> handle) {
        m_scope.emplace(m_limit);
        return m_wait.await_suspend(handle);
    }
    bool await_resume() {
        try {
            m_wait.await_resume();
        } catch (const CancelledError&) {
            if (m_scope && m_scope->expired()) return false;
            throw;
        }
        return true;
    }

private:
    detail::IoWait m_wait;
    Duration m_limit;
    std::optional<Timeout> m_scope;
};

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

}  // namespace

/// One client connection: reads requests, answers them in order, enforces limits and time-outs.
/// Lives in the frame of the connection's task, linked into the server's list.
class HttpServer::Connection : public detail::ListHook {
public:
    Connection(HttpServer& server, Stream& stream)
        : m_server(server), m_stream(stream), m_peer(stream.get_extra_info("peername")), m_task(current_task()) {
        server.m_connections.push_back(*this);
        ++server.m_stats.active_connections;
        ++server.m_stats.connections_accepted;
    }
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    ~Connection() {
        unlink();
        if (--m_server.m_stats.active_connections == 0 && m_server.m_closing) m_server.m_all_closed.set();
    }

    [[nodiscard]] bool idle() const noexcept { return m_idle; }
    [[nodiscard]] bool streaming() const noexcept { return m_streaming; }
    void cancel() noexcept { m_task.cancel(); }

    Task<> run();
    Task<> reject_busy();

private:
    [[nodiscard]] const ServerOptions& options() const noexcept { return m_server.m_options; }
    ParseResult parse_head() noexcept {
        return parse_request(m_stream.buffered(), static_cast<Request&>(m_request), options().limits);
    }
    /// Appends the error response for a request that cannot be parsed; the connection closes.
    void answer_parse_error(const ParseResult& verdict);
    void answer(bool keep_alive);
    void log(TimePoint started) const;
    Task<bool> flush_slowly();
    Task<> flush_before_close();
    Task<> run_stream_handler(const StreamHandler& handler, std::size_t head_bytes);

    HttpServer& m_server;
    Stream& m_stream;
    std::string m_peer;
    TaskRef m_task;
    ServerRequest m_request;
    Response m_response;
    ChunkedDecoder m_chunked;
    std::string m_chunked_body;
    std::string m_serialised;
    bool m_idle = false;
    bool m_streaming = false;
};

void HttpServer::Connection::answer_parse_error(const ParseResult& verdict) {
    ++m_server.m_stats.bad_requests;
    m_response.reset();
    m_response.error(verdict.http_status, verdict.reason);
    m_request.method = "-";
    m_request.target = "-";
    answer(false);
}

void HttpServer::Connection::answer(bool keep_alive) {
    const int status = m_response.status;
    ++m_server.m_stats.requests;
    ++m_server.m_stats.responses_by_class[static_cast<std::size_t>(status >= 100 && status < 600 ? status / 100 : 5)];
    m_serialised.clear();  // keeps its capacity: no allocation per response
    append_response(m_serialised, m_response, m_request.method == "HEAD", keep_alive, m_request.version_minor == 0);
    m_stream.write(m_serialised);
}

void HttpServer::Connection::log(TimePoint started) const {
    if (!options().access_log) return;
    AccessLogEntry entry{m_peer, m_request.method, m_request.target, m_response.status, m_response.body().size(),
                         get_event_loop().time() - started};
    options().access_log(entry);
}

Task<bool> HttpServer::Connection::flush_slowly() {
    while (!m_stream.try_flush()) {
        // g++ 12 miscompiles a co_await inside a condition: the result is always named first.
        const bool writable = co_await TimedIoWait(m_stream, TimedIoWait::For::write, options().write_timeout);
        if (!writable) {
            ++m_server.m_stats.timeouts;
            co_return false;
        }
    }
    co_return true;
}

Task<> HttpServer::Connection::flush_before_close() {
    const bool flushed = co_await flush_slowly();
    (void)flushed;  // closing either way; a write time-out is already counted
}

Task<> HttpServer::Connection::reject_busy() {
    ++m_server.m_stats.connections_rejected;
    m_response.reset();
    m_response.error(503, "too many connections, retry shortly");
    m_response.set_header("Retry-After", "1");
    m_request.method = "-";
    m_request.target = "-";
    answer(false);
    co_await flush_before_close();
            co_return;
}

Task<> HttpServer::Connection::run_stream_handler(const StreamHandler& handler, std::size_t head_bytes) {
    OwnedRequest owned(m_request);
    m_stream.consume(head_bytes);  // what follows the request belongs to the handler
    m_streaming = true;
    co_await handler(std::move(owned), m_stream);
}

Task<> HttpServer::Connection::run() {
    const Router& router = m_server.m_router;
    for (;;) {
        // 1. A complete request head. Idle until its first byte, then the header time-out runs.
        ParseResult head = parse_head();
        std::optional<TimePoint> head_deadline;
        while (head.partial()) {
            if (m_stream.write_buffer_size() > 0 && !m_stream.try_flush()) {
                const bool flushed = co_await flush_slowly();
                if (!flushed) co_return;
            }
            const bool waiting_idle = m_stream.buffered().empty();
            if (!waiting_idle && !head_deadline) head_deadline = get_event_loop().time() + options().header_timeout;
            m_idle = waiting_idle;
            if (m_server.m_closing && waiting_idle) co_return;
            const Duration limit = waiting_idle ? options().idle_timeout : *head_deadline - get_event_loop().time();
            const bool ready = co_await TimedIoWait(m_stream, TimedIoWait::For::read, limit);
            m_idle = false;
            if (!ready) {
                ++m_server.m_stats.timeouts;
                if (waiting_idle) co_return;  // an idle keep-alive connection simply closes
                answer_parse_error(ParseResult{ParseStatus::error, 0, 408, "request head not received in time"});
                co_await flush_before_close();
            co_return;
                co_return;
            }
            const std::optional<std::size_t> received = m_stream.try_receive();
            if (received == 0u) co_return;  // EOF: the client is done
            if (received) m_server.m_stats.bytes_received += *received;
            head = parse_head();
        }
        const TimePoint started = get_event_loop().time();
        if (head.error()) {
            answer_parse_error(head);
            co_await flush_before_close();
            co_return;
            co_return;
        }

        // 2. The body, if any.
        m_request.body = {};
        if (m_request.content_length || m_request.chunked) {
            if (m_request.expect_continue && m_stream.buffered().size() == head.consumed) {
                m_stream.write(kContinue);
                if (!m_stream.try_flush()) {
                    const bool flushed = co_await flush_slowly();
                    if (!flushed) co_return;
                }
            }
            ParseResult body_state{};
            m_chunked.reset();
            m_chunked_body.clear();
            std::size_t decoded = 0;  // bytes after the head the chunked decoder has already seen
            for (;;) {
                const std::string_view after_head = m_stream.buffered().substr(head.consumed);
                if (m_request.chunked) {
                    body_state = m_chunked.feed(after_head.substr(decoded), m_chunked_body, options().limits.max_body);
                    decoded += body_state.consumed;
                    body_state.consumed = decoded;
                } else if (after_head.size() >= *m_request.content_length) {
                    body_state = ParseResult{ParseStatus::complete, static_cast<std::size_t>(*m_request.content_length), 0, {}};
                }
                if (!body_state.partial()) break;
                const bool readable = co_await TimedIoWait(m_stream, TimedIoWait::For::read, options().header_timeout);
                if (!readable) {
                    ++m_server.m_stats.timeouts;
                    answer_parse_error(ParseResult{ParseStatus::error, 0, 408, "request body not received in time"});
                    co_await flush_before_close();
            co_return;
                    co_return;
                }
                const std::optional<std::size_t> received = m_stream.try_receive();
                if (received == 0u) co_return;
                if (received) m_server.m_stats.bytes_received += *received;
                head = parse_head();  // the buffer may have moved: views must be refreshed
            }
            if (body_state.error()) {
                answer_parse_error(body_state);
                co_await flush_before_close();
            co_return;
                co_return;
            }
            const std::string_view raw_body = m_stream.buffered().substr(head.consumed, body_state.consumed);
            m_request.body = m_request.chunked ? std::string_view(m_chunked_body) : raw_body;
            head.consumed += body_state.consumed;
        }

        // 3. Dispatch.
        m_request.peer = m_peer;
        const Router::Match route = router.match(m_request.method, m_request.path);
        if (route.stream_handler != nullptr) {
            co_await run_stream_handler(*route.stream_handler, head.consumed);
            co_return;
        }
        m_response.reset();
        if (route.handler != nullptr) {
            (*route.handler)(m_request, m_response);
        } else if (route.async_handler != nullptr) {
            co_await (*route.async_handler)(m_request, m_response);
        } else {
            m_response.error(route.status);
            if (!route.allow.empty()) m_response.set_header("Allow", route.allow);
            if (route.status == 204) m_response.body().clear();
        }
        const bool keep_alive = m_request.keep_alive && !m_server.m_closing;
        answer(keep_alive);
        log(started);
        m_stream.consume(head.consumed);
        if (!keep_alive) {
            co_await flush_before_close();
            co_return;
            co_return;
        }
        // 4. Pipelined requests already buffered are answered before one write sends them all,
        //    unless too much output is waiting.
        if (m_stream.write_buffer_size() > options().max_buffered_output) {
            const bool flushed = co_await flush_slowly();
            if (!flushed) co_return;
        }
    }
}

// --- HttpServer ---

HttpServer::HttpServer(const Router& router, ServerOptions options) : m_router(router), m_options(std::move(options)) {}

HttpServer::~HttpServer() { close(); }

Task<> HttpServer::start(std::string host, std::uint16_t port) {
    HttpServer* self = this;
    m_server = co_await start_server([self](Stream stream) { return serve(self, std::move(stream)); },
                                     std::move(host), port);
}

bool HttpServer::admit() noexcept {
    if (m_stats.active_connections < m_options.max_connections) return true;
    bool found = false;
    m_connections.for_each([&](Connection& connection) {
        if (!found && connection.idle()) {
            found = true;
            ++m_stats.idle_closed_for_room;
            connection.cancel();
        }
    });
    return found;
}

Task<> HttpServer::serve(HttpServer* server, Stream stream) {
    const bool admitted = server->admit();
    HttpServer::Connection connection(*server, stream);
    try {
        if (admitted) {
            co_await connection.run();
        } else {
            co_await connection.reject_busy();
        }
    } catch (const std::system_error&) {
        // The client reset or vanished: nothing to answer, the stream closes below.
    }
    stream.close();
}

void HttpServer::close() noexcept {
    if (m_closing) return;
    m_closing = true;
    m_server.close();
    if (m_stats.active_connections == 0) m_all_closed.set();
    m_connections.for_each([](Connection& connection) {
        if (connection.idle() || connection.streaming()) connection.cancel();
    });
}

Task<> HttpServer::wait_closed() { co_await m_all_closed.wait(); }

}  // namespace asyncio::http
