#pragma once

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

/// One line of the access log (ServerOptions::access_log). The views are valid during the call
/// only.
struct AccessLogEntry {
    std::string_view peer;       ///< "host:port" of the client
    std::string_view method;     ///< as the request line gave it
    std::string_view target;     ///< the raw request-target, query included
    int status = 0;              ///< the response's status code
    std::size_t body_bytes = 0;  ///< the response body's size (for HEAD, of the body not sent)
    Duration duration{};         ///< from the end of the request head to the response being buffered
};

/// What an HttpServer allows and how long it waits; the defaults suit a device on a shared
/// network.
struct ServerOptions {
    Limits limits;  ///< of each request: line, header section and body sizes (414, 431, 413)
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
    /// Called, when set, once per request answered through the router (a handler's response, its
    /// 500, or a 404/405/501/OPTIONS answer); not for a request the parser refused, a time-out's
    /// 408, a 503 at the connection cap, or a stream handler's response.
    std::function<void(const AccessLogEntry&)> access_log;
    /// The Server header of every response ("sensor-server"); empty: none (RFC 9110 10.2.4 makes
    /// it optional, and the library does not name itself to the world by default).
    std::string server_name;
    /// How start() listens: the backlog, and reuse_port for one server per event loop on the
    /// same port (docs/DESIGN.md, "One loop per core"). Given to start_server(), or to the
    /// Listen function start() was given.
    ListenOptions listen_options;
};

/// Counters for /metrics. Monotonic except active_connections.
struct ServerStats {
    std::uint64_t requests = 0;              ///< responses written, error pages (400, 408, 503...) included
    std::uint64_t connections_accepted = 0;  ///< connections served, those refused at the cap included
    std::uint64_t connections_rejected = 0;  ///< 503: over the connection cap, none idle
    std::uint64_t idle_closed_for_room = 0;  ///< idle keep-alive connections closed at the cap
    std::uint64_t slow_closed_for_room = 0;  ///< connections slowest to send a request, closed at the cap
    std::uint64_t timeouts = 0;              ///< header, idle and write time-outs
    std::uint64_t bad_requests = 0;          ///< answered 4xx/5xx by the parser's verdict
    std::uint64_t bytes_received = 0;        ///< request bytes read (not what stream handlers read)
    std::size_t active_connections = 0;      ///< connections whose task runs now
    std::array<std::uint64_t, 6> responses_by_class{};  ///< index 1..5: 1xx..5xx
};

/// HTTP/1.1 over asyncio streams, with the limits and time-outs a device on a shared network
/// needs.
///
///     http::Router app;
///     app.get("/healthz", [](const http::ServerRequest&, http::Response& res) { res.text("ok\n"); });
///     http::HttpServer server(app);
///     co_await server.start("127.0.0.1", 8080);
///     co_await server.wait_closed();       // until server.close() (a signal handler, say)
///
/// Per connection: keep-alive (HTTP/1.1 by default, 1.0 on request), pipelined requests answered
/// in order with one write per batch, Expect: 100-continue, Content-Length and chunked bodies.
/// A bad request gets its status (400, 408, 413, 414, 431, 501, 505) and the connection is closed;
/// other connections never notice. A handler that throws gets the client a 500; a connection
/// error (the client reset or vanished) ends its connection quietly.
///
/// Cost: an idle keep-alive connection holds one coroutine frame and its stream, about 2 KiB; the
/// request state (64 header slots, the response) is lent only while a request is in progress, and
/// the keep-alive path of a plain handler allocates nothing per request (bench/RESULTS.md).
///
/// Not copyable, not movable: every connection refers to it. Use it on the loop's thread only.
class HttpServer {
public:
    /// A server for the routes of `router`, which it refers to (the Router must outlive it).
    /// Nothing listens until start().
    explicit HttpServer(const Router& router, ServerOptions options = {});
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;
    /// Closes the server (as close()). Connections still running are cancelled and touch the
    /// server no more as they end; for a graceful end, await wait_closed() before.
    ~HttpServer();

    /// Listens on host:port (port 0: any free port, see port()). Suspends only while a host
    /// name is resolved (on a worker thread); returns once the socket listens, after which each
    /// connection runs in a task of its own. Throws std::system_error if the address is taken
    /// or not of this machine, or the name does not resolve. The server (and its router) must
    /// outlive every connection: call close() and await wait_closed() before destroying it.
    /// Call it once: a second start() would leave the first listener running, out of reach.
    [[nodiscard]] Task<> start(std::string host, std::uint16_t port);
    /// How a server listens: given the connection handler, the host, the port and
    /// ServerOptions::listen_options, returns the listening Server. HTTPS passes one that calls
    /// start_server(handler, host, port, ServerTls, options) (asyncio/io/tls.hpp), so the http
    /// layer itself needs no TLS library.
    using Listen = std::function<Task<Server>(Server::Callback handler, std::string host, std::uint16_t port,
                                              ListenOptions options)>;
    /// Listens on host:port with `listen` (plain TCP if it is empty).
    [[nodiscard]] Task<> start(std::string host, std::uint16_t port, Listen listen);
    /// The port listened on (the one picked for port 0); 0 before start().
    [[nodiscard]] std::uint16_t port() const noexcept { return m_server.port(); }

    /// Serves one connection made elsewhere (http::TestClient's socket pair, a socket handed
    /// over by another process): the same code as an accepted connection runs, admission and
    /// limits included. Run it as a task of its own (create_task()), as the server runs each
    /// accepted connection.
    /// Suspends when: the connection waits for the client (its next request, more of one, or
    /// room to send) or an async handler awaits. Resumed by: the poller, the connection's
    /// time-outs, or close() (which cancels an idle or streaming connection).
    /// Returns: when the connection has ended: the client closed it, a time-out, a bad request
    /// answered, Connection: close, or the server closing. A handler's exception becomes a 500
    /// and a report; a std::system_error ends the connection, reported unless it is a connection
    /// error (is_connection_error()); any other exception escaping the connection code is thrown.
    /// Cancellation: the connection closes; CancelledError.
    /// Lifetime: the server (and its router) must outlive the task; the stream is its own.
    [[nodiscard]] Task<> serve_connection(Stream stream) { return serve(this, std::move(stream)); }

    /// Graceful shutdown: stop accepting, close idle connections, let requests in flight finish
    /// (their connections then close), end streaming handlers (SSE, WebSocket).
    void close() noexcept;
    /// Suspends when: close() has not been called, or connections are still open (served from
    /// start() or serve_connection()). Resumed by: close() if no connection is open, else the
    /// last connection's task as it ends.
    /// Returns: void; never throws but CancelledError (a cancelled wait leaves the server and
    /// its connections as they are).
    /// Lifetime: the HttpServer must outlive the wait.
    [[nodiscard]] Task<> wait_closed();

    /// The counters, live: the reference stays valid, and current, as long as the server.
    [[nodiscard]] const ServerStats& stats() const noexcept { return m_stats; }
    /// The accept loop's counters: connections shed (answered 503 without a descriptor to serve
    /// them) and back-offs while the process was out of descriptors or memory.
    [[nodiscard]] AcceptStats accept_stats() const noexcept { return m_server.accept_stats(); }
    /// The options given to the constructor.
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
