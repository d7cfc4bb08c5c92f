#pragma once
// One HTTP connection of an HttpServer (src/http, not installed): the request/response state
// machine, its time-outs and its share of the loop.

#include <asyncio/http/server.hpp>

#include <asyncio/core/detail/intrusive_list.hpp>
#include <asyncio/core/task.hpp>
#include <asyncio/http/chunked_decoder.hpp>
#include <asyncio/http/request_parser.hpp>
#include <asyncio/http/response.hpp>
#include <asyncio/http/router.hpp>
#include <asyncio/io/stream.hpp>

#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "connection_timer.hpp"

namespace asyncio::http {

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

/// One request in progress: its parsed head, the response being built, the state of a chunked
/// body. Views in `request` point into the connection's receive buffer.
struct HttpServer::Exchange {
    ServerRequest request;
    Response response;
    ChunkedDecoder chunked;
    std::string chunked_body;
};

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
        if (!linked()) return;  // orphaned: the server is gone (the exchange is freed, not pooled)
        release_exchange();
        unlink();
        if (--m_server.m_stats.active_connections == 0 && m_server.m_closing) m_server.m_all_closed.set();
    }

    /// The server is being destroyed while this connection's task still runs (no wait_closed()
    /// first): the connection leaves the server's list and is cancelled; when its task unwinds,
    /// it touches the server no more.
    void orphan() noexcept {
        unlink();
        m_task.cancel();
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
    void answer_handler_failure(const std::exception_ptr& failure);
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

}  // namespace asyncio::http
