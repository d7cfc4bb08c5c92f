#pragma once
// HttpServer: HTTP/1.1 over asyncio streams, with the limits and time-outs a device on a shared
// network needs.
//
//   http::Router app;
//   app.get("/healthz", [](const http::ServerRequest&, http::Response& res) { res.text("ok\n"); });
//   http::HttpServer server(app);
//   co_await server.start("127.0.0.1", 8080);
//   co_await server.wait_closed();       // until server.close() (a signal handler, say)
//
// Per connection: keep-alive (HTTP/1.1 by default, 1.0 on request), pipelined requests answered
// in order with one write per batch, Expect: 100-continue, Content-Length and chunked bodies.
// A bad request gets its status (400, 408, 413, 414, 431, 501, 505) and the connection is closed;
// other connections never notice.
// Cost: an idle keep-alive connection holds one coroutine frame and its stream, about 2 KiB; the
// request state (64 header slots, the response) is lent only while a request is in progress, and
// the keep-alive path of a plain handler allocates nothing per request (bench/RESULTS.md).

#include <asyncio/core/event.hpp>
#include <asyncio/core/task.hpp>
#include <asyncio/http/router.hpp>
#include <asyncio/io/server.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace asyncio::http {

/// One line of the access log.
struct AccessLogEntry {
    std::string_view peer;
    std::string_view method;
    std::string_view target;
    int status = 0;
    std::size_t body_bytes = 0;
    Duration duration{};
};

struct ServerOptions {
    Limits limits;
    /// A request head must be complete this long after its first byte (then 408 and close). The
    /// body shares the deadline, extended by what arrived at min_body_rate: the time-out does
    /// not restart with each read, so a client dripping a byte now and then is closed too.
    Duration header_timeout = std::chrono::seconds(20);
    /// Bytes per second of a request body that extend its deadline (1 MiB at 1 KiB/s: 17 min).
    std::size_t min_body_rate = 1024;
    /// A keep-alive connection with no request for this long is closed.
    Duration idle_timeout = std::chrono::seconds(60);
    /// A client that takes nothing from a full write buffer for this long is closed.
    Duration write_timeout = std::chrono::seconds(10);
    /// The most connections served at once. Beyond it, idle keep-alive connections are closed
    /// to make room; if none is idle, the connection slowest to send its request (fewest bytes
    /// per second, waiting for at least shed_after) is answered 408 and closed; if none is that
    /// slow, the newcomer gets 503 with Retry-After.
    std::size_t max_connections = 1024;
    /// How long a request must have been arriving before the connection may be closed for room.
    Duration shed_after = std::chrono::milliseconds(500);
    /// Pipelined responses buffered before the connection stops reading to send them: a client
    /// that pipelines and never reads cannot grow the server's memory.
    std::size_t max_buffered_output = 256 * 1024;
    /// Called once per response, when set (the --log access log).
    std::function<void(const AccessLogEntry&)> access_log;
    /// The Server header of every response ("sensor-server"); empty: none (RFC 9110 10.2.4 makes
    /// it optional, and the library does not name itself to the world by default).
    std::string server_name;
};

/// Counters for /metrics. Monotonic except active_connections.
struct ServerStats {
    std::uint64_t requests = 0;
    std::uint64_t connections_accepted = 0;
    std::uint64_t connections_rejected = 0;  ///< 503: over the connection cap, none idle
    std::uint64_t idle_closed_for_room = 0;  ///< idle keep-alive connections closed at the cap
    std::uint64_t slow_closed_for_room = 0;  ///< connections slowest to send a request, closed at the cap
    std::uint64_t timeouts = 0;              ///< header, idle and write time-outs
    std::uint64_t bad_requests = 0;          ///< answered 4xx/5xx by the parser's verdict
    std::uint64_t bytes_received = 0;
    std::size_t active_connections = 0;
    std::array<std::uint64_t, 6> responses_by_class{};  ///< index 1..5: 1xx..5xx
};

class HttpServer {
public:
    explicit HttpServer(const Router& router, ServerOptions options = {});
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;
    ~HttpServer();

    /// Listens on host:port (port 0: any free port, see port()). Suspends only while a host
    /// name is resolved (on a worker thread); returns once the socket listens, after which each
    /// connection runs in a task of its own. Throws std::system_error if the address is taken
    /// or not of this machine. The server (and its router) must outlive every connection: call
    /// close() and await wait_closed() before destroying it.
    [[nodiscard]] Task<> start(std::string host, std::uint16_t port);
    /// How a server listens: given the connection handler, the host and the port, returns the
    /// listening Server. HTTPS passes one that calls start_server(handler, host, port, ServerTls)
    /// (asyncio/io/tls.hpp), so the http layer itself needs no TLS library.
    using Listen = std::function<Task<Server>(Server::Callback handler, std::string host, std::uint16_t port)>;
    /// Listens on host:port with `listen` (plain TCP if it is empty).
    [[nodiscard]] Task<> start(std::string host, std::uint16_t port, Listen listen);
    [[nodiscard]] std::uint16_t port() const noexcept { return m_server.port(); }

    /// Serves one connection made elsewhere (http::TestClient's socket pair, a socket handed
    /// over by another process): the same code as an accepted connection runs, admission and
    /// limits included. Suspends until the connection ends; the server must outlive the task.
    [[nodiscard]] Task<> serve_connection(Stream stream) { return serve(this, std::move(stream)); }

    /// Graceful shutdown: stop accepting, close idle connections, let requests in flight finish
    /// (their connections then close), end streaming handlers (SSE, WebSocket).
    void close() noexcept;
    /// Suspends until close() was called and every connection has ended; resumed by the last
    /// connection's task as it ends (at once if none is open).
    [[nodiscard]] Task<> wait_closed();

    [[nodiscard]] const ServerStats& stats() const noexcept { return m_stats; }
    /// The accept loop's counters: connections shed (answered 503 without a descriptor to serve
    /// them) and back-offs while the process was out of descriptors or memory.
    [[nodiscard]] AcceptStats accept_stats() const noexcept { return m_server.accept_stats(); }
    [[nodiscard]] const ServerOptions& options() const noexcept { return m_options; }

    class Connection;
    struct Exchange;

private:
    friend class Connection;
    /// Whether a new connection may be served; at the cap, closes the oldest idle one for it, or
    /// else the one slowest to send its request.
    [[nodiscard]] bool admit() noexcept;
    [[nodiscard]] Connection* slowest_sender() noexcept;
    /// The task of one connection (a static member: coroutine lambdas must not capture).
    static Task<> serve(HttpServer* server, Stream stream);
    /// The state of one request in progress (2.3 KiB, mostly header slots), from the free list:
    /// only connections with a request in progress hold one, and taking it allocates nothing
    /// once the list has warmed up.
    [[nodiscard]] std::unique_ptr<Exchange> take_exchange();
    void give_exchange(std::unique_ptr<Exchange> exchange) noexcept;

    const Router& m_router;
    ServerOptions m_options;
    Server m_server;
    ServerStats m_stats;
    detail::IntrusiveList<Connection> m_connections;  ///< oldest first
    std::vector<std::unique_ptr<Exchange>> m_free_exchanges;
    Event m_all_closed;
    bool m_closing = false;
};

}  // namespace asyncio::http
