#include <asyncio/http/server.hpp>

#include <asyncio/core/detail/timer_heap.hpp>
#include <asyncio/core/errors.hpp>
#include <asyncio/core/loop.hpp>
#include <asyncio/core/sleep.hpp>
#include <asyncio/http/chunked_decoder.hpp>
#include <asyncio/io/connection_error.hpp>
#include <asyncio/io/detail/buffer_pool.hpp>  // ASYNCIO_SMALL_BUFFERS

#include <optional>
#include <system_error>

namespace asyncio::http {

namespace {

/// "GET /path": how a failure report names the request.
std::string route_of(const Request& request) {
    std::string route(request.method);
    route.append(" ").append(request.path);
    return route;
}

/// The time limit of a connection's current wait (idle, request head, body, write), armed
/// lazily: the loop's timer heap sees one insertion per time-out period, not an insertion and a
/// removal per request (nginx's timers skip small moves for the same reason). A timer that fires
/// before its deadline (the deadline moved later since it was armed) re-arms itself; one that
/// fires while no wait runs does nothing.
class ConnectionTimer final : detail::TimerNode {
public:
    ConnectionTimer() : m_task(running_loop()->current_task()) {}

    /// Limits the wait that starts now to `deadline`.
    void start(TimePoint deadline) {
        m_deadline = deadline;
        m_running = true;
        m_expired = false;
        m_cancelling_at_start = m_task->cancelling();
        if (!armed() || deadline < this->deadline()) running_loop()->add_timer(*this, deadline);
    }
    /// The wait ended. True when this timer's expiry ended it and nobody else cancelled the task
    /// meanwhile: the caller then treats the CancelledError as the time-out. The timer's own
    /// cancel request is withdrawn either way (Task.uncancel(), as a timeout() scope does), so it
    /// cannot hit an unrelated await later.
    bool stop() noexcept {
        m_running = false;
        if (!std::exchange(m_expired, false)) return false;
        return m_task->uncancel() <= m_cancelling_at_start;
    }

    /// Ends the wait in progress now, as if its deadline had passed (a connection closed to make
    /// room). Nothing happens when no wait runs.
    void expire_now() noexcept {
        if (!m_running || m_expired) return;
        m_expired = true;
        m_task->cancel();
    }

private:
    void fire() override {
        if (!m_running) return;
        if (running_loop()->time() < m_deadline) {
            running_loop()->add_timer(*this, m_deadline);
            return;
        }
        m_expired = true;
        m_task->cancel();
    }

    detail::TaskState* m_task;
    TimePoint m_deadline{};
    unsigned m_cancelling_at_start = 0;
    bool m_running = false;
    bool m_expired = false;
};

/// Waits until the stream is readable (or writable) until `deadline`; yields false when the time
/// ran out. Allocation-free: the hot path of a keep-alive connection waits here.
class [[nodiscard]] TimedIoWait {
public:
    enum class For { read, write };
    TimedIoWait(Stream& stream, For direction, ConnectionTimer& timer, TimePoint deadline)
        : m_wait(direction == For::write ? stream.wait_writable() : stream.wait_readable()),
          m_timer(timer),
          m_deadline(deadline) {}

    bool await_ready() const noexcept { return m_wait.await_ready(); }
    bool await_suspend(std::coroutine_handle<> handle) {
        m_timer.start(m_deadline);
        return m_wait.await_suspend(handle);
    }
    bool await_resume() {
        try {
            m_wait.await_resume();
        } catch (const CancelledError&) {
            if (m_timer.stop()) return false;
            throw;
        }
        m_timer.stop();
        return true;
    }

private:
    detail::IoWait m_wait;
    ConnectionTimer& m_timer;
    TimePoint m_deadline;
};

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

/// The work a connection does before it lets the other tasks run. A client that pipelines
/// requests and reads the answers as fast as they come never makes its connection wait for the
/// socket, so without a bound one connection would hold the loop for as long as it keeps
/// sending (a scheduler's contract: a task awaits after a bounded amount of work). 16 small
/// requests or 64 KiB in and out take well under a millisecond.
constexpr std::size_t kMaxRequestsPerTurn = 16;
constexpr std::size_t kMaxBytesPerTurn = 64 * 1024;

/// How a busy connection gives the loop back: a timer due at once rather than sleep(0). With a
/// task always ready, the loop looks at I/O only every few dozen passes; with none ready (the
/// busy connection waiting for its timer) it polls I/O before the timer fires, so the other
/// connections' requests are seen on the next pass.
constexpr Duration kYield = Duration(1);

/// What the accept loop sends a connection it sheds (out of descriptors for too long, see
/// Server::set_refusal_message). Fixed bytes, so without Date: RFC 9110 6.6.1 leaves it optional
/// on a 5xx, and a date frozen at start-up would be wrong.
std::string shed_response() {
    constexpr std::string_view body = "Service Unavailable: server out of resources, retry shortly\n";
    std::string out =
        "HTTP/1.1 503 Service Unavailable\r\n"
        "Server: sensor-server\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Retry-After: 1\r\n"
        "Connection: close\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        "Content-Length: ";
    out.append(std::to_string(body.size())).append("\r\n\r\n").append(body);
    return out;
}

#if ASYNCIO_SMALL_BUFFERS
// A microcontroller (io/detail/buffer_pool.hpp): nothing is kept beyond what is in use.
constexpr std::size_t kMaxFreeExchanges = 0;
constexpr std::size_t kMaxPooledBody = 0;
#else
/// Exchanges a server keeps for reuse beyond those in use (each about 2.3 KiB).
constexpr std::size_t kMaxFreeExchanges = 32;
/// A pooled response whose body grew beyond this (a large page) gives that memory back.
constexpr std::size_t kMaxPooledBody = 64 * 1024;
#endif

}  // namespace

/// One request in progress: its parsed head, the response being built, the state of a chunked
/// body. Views in `request` point into the connection's receive buffer.
struct HttpServer::Exchange {
    ServerRequest request;
    Response response;
    ChunkedDecoder chunked;
    std::string chunked_body;
};

std::unique_ptr<HttpServer::Exchange> HttpServer::take_exchange() {
    if (m_free_exchanges.empty()) return std::make_unique<Exchange>();
    std::unique_ptr<Exchange> exchange = std::move(m_free_exchanges.back());
    m_free_exchanges.pop_back();
    return exchange;
}

void HttpServer::give_exchange(std::unique_ptr<Exchange> exchange) noexcept {
    if (m_free_exchanges.size() == kMaxFreeExchanges) return;  // the unique_ptr frees it
    if (exchange->response.body().capacity() > kMaxPooledBody) std::string().swap(exchange->response.body());
    if (exchange->chunked_body.capacity() > kMaxPooledBody) std::string().swap(exchange->chunked_body);
    m_free_exchanges.push_back(std::move(exchange));  // reserved: cannot throw
}

/// One client connection: reads requests, answers them in order, enforces limits and time-outs.
/// Lives in the frame of the connection's task (the only frame an idle keep-alive connection
/// costs), linked into the server's list. Holds an Exchange only while a request is in progress.
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
        release_exchange();
        unlink();
        if (--m_server.m_stats.active_connections == 0 && m_server.m_closing) m_server.m_all_closed.set();
    }

    [[nodiscard]] bool idle() const noexcept { return m_idle; }
    [[nodiscard]] bool streaming() const noexcept { return m_streaming; }
    void cancel() noexcept { m_task.cancel(); }
    /// Closes an idle connection to make room for a newcomer. It is no longer idle from now on
    /// (its task ends only when it next runs), so a second newcomer in the same pass picks
    /// another one.
    void close_for_room() noexcept {
        m_idle = false;
        m_task.cancel();
    }
    /// Bytes per second of the request that is arriving, if the connection waits for more of it
    /// and has for at least `at_least`; nullopt otherwise (idle, answering, streaming, or new).
    [[nodiscard]] std::optional<double> request_rate(TimePoint now, Duration at_least) const noexcept {
        if (!m_receiving_request || now - m_request_started < at_least) return std::nullopt;
        return static_cast<double>(m_request_bytes) / std::chrono::duration<double>(now - m_request_started).count();
    }
    /// Ends the wait for the request: it is answered 408 and the connection closes. No longer a
    /// candidate from now on, so a second newcomer in the same pass picks another one.
    void shed() noexcept {
        m_receiving_request = false;
        m_timer.expire_now();
    }

    /// The connection's task: serves requests until the client leaves, a time-out, an error or
    /// the server's close(). The hot path (a keep-alive request answered by a plain handler)
    /// stays in this one frame; rarer steps are coroutines of their own.
    static Task<> run(HttpServer* server, Stream stream);

private:
    [[nodiscard]] const ServerOptions& options() const noexcept { return m_server.m_options; }
    [[nodiscard]] ServerRequest& request() noexcept { return m_exchange->request; }
    [[nodiscard]] Response& response() noexcept { return m_exchange->response; }
    void take_exchange() {
        if (!m_exchange) m_exchange = m_server.take_exchange();
    }
    void release_exchange() noexcept {
        if (m_exchange) m_server.give_exchange(std::move(m_exchange));
    }
    /// Parses what is buffered (taking an Exchange for it, unless nothing is).
    ParseResult parse_head() {
        if (m_stream.buffered().empty()) return ParseResult{ParseStatus::partial, 0, 0, {}};
        take_exchange();
        return parse_request(m_stream.buffered(), static_cast<Request&>(request()), options().limits);
    }
    /// Receives what the socket has; false at EOF.
    bool receive() {
        const std::optional<std::size_t> received = m_stream.try_receive();
        if (received == 0u) return false;
        if (received) m_server.m_stats.bytes_received += *received;
        return true;
    }
    /// Appends the error response for a request that cannot be parsed; the connection closes.
    void answer_parse_error(const ParseResult& verdict);
    /// An error page in the Exchange's response, for a request that will not be served (its
    /// method and target show as "-" in the access log).
    void start_error_response(int status, std::string_view detail);
    void answer_unrouted(const Router::Match& route);
    /// A handler threw: its response is replaced by a 500 (the exception's text stays in the
    /// report, not in the page), and the failure is reported once, naming the route.
    void answer_handler_failure(std::exception_ptr failure);
    /// One report line: "http: ROUTE from PEER failed: WHAT" (the route is "METHOD PATH", or
    /// "connection" when no request is known).
    void report_failure(std::string_view route, std::string_view what) const;
    void answer(bool keep_alive);
    void log(TimePoint started) const;
    Task<bool> flush_slowly();
    Task<> flush_before_close();
    Task<> refuse(ParseResult verdict);
    Task<> time_out(bool waiting_idle);
    Task<> reject_busy();
    /// Reads the body of the request whose head is `head` (consumed grows by the body's
    /// length); false when the connection must end (answered with an error, or gone).
    Task<bool> read_body(ParseResult& head);
    /// The body's deadline: the head's, extended by what arrived at min_body_rate.
    [[nodiscard]] TimePoint body_deadline(std::size_t body_bytes) const noexcept {
        const double seconds = static_cast<double>(body_bytes) / static_cast<double>(std::max<std::size_t>(options().min_body_rate, 1));
        return detail::deadline_after(m_request_started, options().header_timeout + detail::to_duration(std::chrono::duration<double>(seconds)));
    }
    /// Waits for more of a request until `deadline`, noting its progress for slowest_sender().
    TimedIoWait wait_for_request_bytes(TimePoint deadline) {
        m_receiving_request = true;
        m_request_bytes = m_stream.buffered().size();
        return TimedIoWait(m_stream, TimedIoWait::For::read, m_timer, deadline);
    }
    Task<> run_stream_handler(const StreamHandler& handler, std::size_t head_bytes);
    /// Counts a request answered and the bytes it took in and out; true once the connection
    /// has done its share of work for this turn (then it must let the others run).
    bool account(std::size_t bytes_in, std::size_t bytes_out) noexcept {
        ++m_turn_requests;
        m_turn_bytes += bytes_in + bytes_out;
        return m_turn_requests >= kMaxRequestsPerTurn || m_turn_bytes >= kMaxBytesPerTurn;
    }
    /// Starts a new turn: what is answered already goes out now (as far as the socket takes
    /// it), then the caller awaits sleep(kYield). Not a coroutine of its own: the hot path
    /// allocates no frame.
    void end_turn() {
        m_turn_requests = 0;
        m_turn_bytes = 0;
        (void)m_stream.try_flush();
    }

    HttpServer& m_server;
    Stream& m_stream;
    std::string m_peer;
    TaskRef m_task;
    ConnectionTimer m_timer;
    std::unique_ptr<Exchange> m_exchange;
    std::size_t m_turn_requests = 0;
    std::size_t m_turn_bytes = 0;
    TimePoint m_request_started{};    ///< when the first byte of the current request arrived
    std::size_t m_request_bytes = 0;  ///< its bytes buffered when the connection last waited for more
    bool m_receiving_request = false; ///< waiting for more of a request's head or body
    bool m_idle = false;
    bool m_streaming = false;
};

void HttpServer::Connection::start_error_response(int status, std::string_view detail) {
    take_exchange();
    response().reset();
    response().error(status, detail);
    request().method = "-";
    request().target = "-";
}

void HttpServer::Connection::answer_parse_error(const ParseResult& verdict) {
    ++m_server.m_stats.bad_requests;
    start_error_response(verdict.http_status, verdict.reason);
    answer(false);
}

void HttpServer::Connection::answer_unrouted(const Router::Match& route) {
    response().error(route.status);
    if (!route.allow.empty()) response().set_header("Allow", route.allow);
    if (route.status == 204) {  // OPTIONS: the Allow header is the answer, there is no content
        response().body().clear();
        response().set_content_type({});
    }
}

void HttpServer::Connection::answer_handler_failure(std::exception_ptr failure) {
    try {
        std::rethrow_exception(std::move(failure));
    } catch (const std::exception& error) {
        report_failure(route_of(request()), error.what());
    } catch (...) {
        report_failure(route_of(request()), "an exception that is not a std::exception");
    }
    response().reset();
    response().error(500);
}

void HttpServer::Connection::report_failure(std::string_view route, std::string_view what) const {
    std::string message = "http: ";
    message.append(route).append(" from ").append(m_peer).append(" failed: ").append(what);
    report_error(message);
}

void HttpServer::Connection::answer(bool keep_alive) {
    const int status = response().status;
    ++m_server.m_stats.requests;
    ++m_server.m_stats.responses_by_class[static_cast<std::size_t>(status >= 100 && status < 600 ? status / 100 : 5)];
    // Serialised straight into the write buffer: no copy, no allocation per response.
    append_response(m_stream.output_buffer(), response(), request().method == "HEAD", keep_alive,
                    request().version_minor == 0);
}

void HttpServer::Connection::log(TimePoint started) const {
    if (!options().access_log) return;
    AccessLogEntry entry{m_peer,
                         m_exchange->request.method,
                         m_exchange->request.target,
                         m_exchange->response.status,
                         m_exchange->response.body_view().size(),
                         get_event_loop().time() - started};
    options().access_log(entry);
}

Task<bool> HttpServer::Connection::flush_slowly() {
    while (!m_stream.try_flush()) {
        const bool writable = co_await TimedIoWait(m_stream, TimedIoWait::For::write, m_timer,  // named: g++ 12
                                                   detail::deadline_after(get_event_loop().time(), options().write_timeout));
        if (!writable) {
            ++m_server.m_stats.timeouts;
            m_stream.abort();  // the client stopped reading: nothing more will reach it
            co_return false;
        }
    }
    co_return true;
}

Task<> HttpServer::Connection::flush_before_close() {
    const bool flushed = co_await flush_slowly();
    (void)flushed;  // closing either way; a write time-out is already counted
}

Task<> HttpServer::Connection::refuse(ParseResult verdict) {
    answer_parse_error(verdict);
    co_await flush_before_close();
}

Task<> HttpServer::Connection::time_out(bool waiting_idle) {
    ++m_server.m_stats.timeouts;
    if (waiting_idle) co_return;  // an idle keep-alive connection simply closes
    co_await refuse(ParseResult{ParseStatus::error, 0, 408, "request head not received in time"});
}

Task<> HttpServer::Connection::reject_busy() {
    ++m_server.m_stats.connections_rejected;
    start_error_response(503, "too many connections, retry shortly");
    response().set_header("Retry-After", "1");
    answer(false);
    co_await flush_before_close();
}

Task<bool> HttpServer::Connection::read_body(ParseResult& head) {
    ServerRequest& req = request();
    if (req.expect_continue && m_stream.buffered().size() == head.consumed) {
        m_stream.write(kContinue);
        if (!m_stream.try_flush()) {
            const bool flushed = co_await flush_slowly();
            if (!flushed) co_return false;
        }
    }
    ParseResult body_state{};
    ChunkedDecoder& chunked = m_exchange->chunked;
    std::string& chunked_body = m_exchange->chunked_body;
    chunked.reset();
    chunked_body.clear();
    std::size_t decoded = 0;  // bytes after the head the chunked decoder has already seen
    for (;;) {
        const std::string_view after_head = m_stream.buffered().substr(head.consumed);
        if (req.chunked) {
            body_state = chunked.feed(after_head.substr(decoded), chunked_body, options().limits.max_body);
            decoded += body_state.consumed;
            body_state.consumed = decoded;
        } else if (after_head.size() >= *req.content_length) {
            body_state = ParseResult{ParseStatus::complete, static_cast<std::size_t>(*req.content_length), 0, {}};
        }
        if (!body_state.partial()) break;
        const bool readable = co_await wait_for_request_bytes(body_deadline(after_head.size()));
        m_receiving_request = false;
        if (!readable) {
            ++m_server.m_stats.timeouts;
            co_await refuse(ParseResult{ParseStatus::error, 0, 408, "request body not received in time"});
            co_return false;
        }
        if (!receive()) co_return false;
        head = parse_head();  // the buffer may have moved: views must be refreshed
    }
    if (body_state.error()) {
        co_await refuse(body_state);
        co_return false;
    }
    const std::string_view raw_body = m_stream.buffered().substr(head.consumed, body_state.consumed);
    req.body = req.chunked ? std::string_view(chunked_body) : raw_body;
    head.consumed += body_state.consumed;
    co_return true;
}

Task<> HttpServer::Connection::run_stream_handler(const StreamHandler& handler, std::size_t head_bytes) {
    OwnedRequest owned(request());
    std::string route = owned.method + " " + owned.path;
    release_exchange();             // the handler has its own copy of the request
    m_stream.consume(head_bytes);   // what follows the request belongs to the handler
    m_streaming = true;
    // The handler owns the connection now (it may have answered already): a failure can only be
    // reported, and the connection closes.
    try {
        co_await handler(std::move(owned), m_stream);
    } catch (const CancelledError&) {
        throw;
    } catch (const std::system_error& error) {
        if (!is_connection_error(error)) report_failure(route, error.what());
    } catch (const std::exception& error) {
        report_failure(route, error.what());
    } catch (...) {
        report_failure(route, "an exception that is not a std::exception");
    }
}

Task<> HttpServer::Connection::run(HttpServer* server, Stream stream) {
    // The socket closes as soon as the connection ends, not when the frame is freed.
    struct CloseAtEnd {
        Stream& stream;
        ~CloseAtEnd() { stream.close(); }
    } close_at_end{stream};
    const bool admitted = server->admit();
    Connection connection(*server, stream);
    const Router& router = server->m_router;
    const ServerOptions& options = server->m_options;
    try {
        if (!admitted) {
            co_await connection.reject_busy();
            co_return;
        }
        for (;;) {
            // 1. A complete request head. Idle until its first byte, then the header time-out runs.
            ParseResult head = connection.parse_head();
            std::optional<TimePoint> head_deadline;
            while (head.partial()) {
                if (stream.write_buffer_size() > 0 && !stream.try_flush()) {
                    const bool flushed = co_await connection.flush_slowly();
                    if (!flushed) co_return;
                }
                const bool waiting_idle = stream.buffered().empty();
                if (waiting_idle) {
                    connection.release_exchange();  // an idle connection holds no request state
                    if (server->m_closing) co_return;
                } else if (!head_deadline) {
                    connection.m_request_started = get_event_loop().time();
                    head_deadline = detail::deadline_after(connection.m_request_started, options.header_timeout);
                }
                connection.m_idle = waiting_idle;
                bool ready = false;
                if (waiting_idle) {
                    ready = co_await TimedIoWait(stream, TimedIoWait::For::read, connection.m_timer,
                                                 detail::deadline_after(get_event_loop().time(), options.idle_timeout));
                } else {
                    ready = co_await connection.wait_for_request_bytes(*head_deadline);
                }
                connection.m_idle = false;
                connection.m_receiving_request = false;
                if (!ready) {
                    co_await connection.time_out(waiting_idle);
                    co_return;
                }
                if (!connection.receive()) co_return;  // EOF: the client is done
                head = connection.parse_head();
            }
            if (head.error()) {
                co_await connection.refuse(head);
                co_return;
            }
            if (!head_deadline) connection.m_request_started = get_event_loop().time();  // it came at once
            const TimePoint started = options.access_log ? get_event_loop().time() : TimePoint{};
            ServerRequest& request = connection.request();
            Response& response = connection.response();

            // 2. The body, if any.
            request.body = {};
            if (request.content_length || request.chunked) {
                const bool complete = co_await connection.read_body(head);
                if (!complete) co_return;
            }

            // 3. Dispatch.
            request.peer = connection.m_peer;
            const Router::Match route = router.match(request.method, request.path);
            if (route.stream_handler != nullptr) {
                co_await connection.run_stream_handler(*route.stream_handler, head.consumed);
                co_return;
            }
            response.reset();
            try {
                if (route.handler != nullptr) {
                    (*route.handler)(request, response);
                } else if (route.async_handler != nullptr) {
                    co_await (*route.async_handler)(request, response);
                } else {
                    connection.answer_unrouted(route);
                }
            } catch (const CancelledError&) {
                throw;  // the server is closing, or the connection's time-out: not the handler's fault
            } catch (...) {
                connection.answer_handler_failure(std::current_exception());
            }
            const bool keep_alive = request.keep_alive && !server->m_closing;
            const std::size_t output_before = stream.write_buffer_size();
            connection.answer(keep_alive);
            connection.log(started);
            stream.consume(head.consumed);
            const bool turn_used = connection.account(head.consumed, stream.write_buffer_size() - output_before);
            if (!keep_alive) {
                co_await connection.flush_before_close();
                co_return;
            }
            // 4. Pipelined requests already buffered are answered before one write sends them
            //    all, unless too much output is waiting.
            if (stream.write_buffer_size() > options.max_buffered_output) {
                const bool flushed = co_await connection.flush_slowly();
                if (!flushed) co_return;
            }
            // 5. The others' turn, after a bounded amount of work.
            if (turn_used) {
                connection.end_turn();
                co_await sleep(kYield);
            }
        }
    } catch (const std::system_error& error) {
        // The client reset or vanished: nothing to answer; the stream closes with the frame.
        // Anything else is a fault worth a line.
        if (!is_connection_error(error)) connection.report_failure("connection", error.what());
    }
}

// --- HttpServer ---

HttpServer::HttpServer(const Router& router, ServerOptions options) : m_router(router), m_options(std::move(options)) {
    m_free_exchanges.reserve(kMaxFreeExchanges);  // give_exchange() then never allocates
}

HttpServer::~HttpServer() { close(); }

Task<> HttpServer::start(std::string host, std::uint16_t port) { return start(std::move(host), port, Listen()); }

Task<> HttpServer::start(std::string host, std::uint16_t port, Listen listen) {
    HttpServer* self = this;
    Server::Callback handler = [self](Stream stream) { return serve(self, std::move(stream)); };
    if (listen) {
        m_server = co_await listen(std::move(handler), std::move(host), port);
    } else {
        m_server = co_await start_server(std::move(handler), std::move(host), port);
    }
    m_server.set_refusal_message(shed_response());
}

bool HttpServer::admit() noexcept {
    if (m_stats.active_connections < m_options.max_connections) return true;
    bool found = false;
    m_connections.for_each([&](Connection& connection) {
        if (!found && connection.idle()) {
            found = true;
            ++m_stats.idle_closed_for_room;
            connection.close_for_room();
        }
    });
    if (found) return true;
    // Every slot busy: the connection slowest to send its request gives way, rather than the
    // newcomer, so that clients trickling requests cannot hold every slot.
    Connection* slowest = slowest_sender();
    if (slowest == nullptr) return false;
    ++m_stats.slow_closed_for_room;
    slowest->shed();
    return true;
}

HttpServer::Connection* HttpServer::slowest_sender() noexcept {
    const TimePoint now = get_event_loop().time();
    Connection* slowest = nullptr;
    double slowest_rate = 0;
    m_connections.for_each([&](Connection& connection) {
        const std::optional<double> rate = connection.request_rate(now, m_options.shed_after);
        if (rate && (slowest == nullptr || *rate < slowest_rate)) {
            slowest = &connection;
            slowest_rate = *rate;
        }
    });
    return slowest;
}

Task<> HttpServer::serve(HttpServer* server, Stream stream) { return Connection::run(server, std::move(stream)); }

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
