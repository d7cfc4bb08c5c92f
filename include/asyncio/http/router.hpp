#pragma once

#include <asyncio/core/task.hpp>
#include <asyncio/http/request_parser.hpp>
#include <asyncio/http/response.hpp>
#include <asyncio/io/stream.hpp>

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace asyncio::http {

/// A request as a handler sees it: the parsed head, the body, and the peer. The views point into
/// the connection's buffer and stay valid until the handler returns (or its task finishes).
struct ServerRequest : Request {
    std::string_view body;  ///< the request body, de-chunked; empty if there is none
    std::string_view peer;  ///< "host:port" of the client
};

/// A copy of a request that owns its bytes, for handlers that outlive the parser's buffer (a
/// StreamHandler gets one). Keeps the method, path, query, peer, version and header fields; not
/// the body, the raw target or the flags derived from the headers.
struct OwnedRequest {
    /// Copies what is listed above out of `request`.
    explicit OwnedRequest(const ServerRequest& request);
    /// A Request viewing this object's strings (for functions that take one, such as
    /// check_websocket_upgrade); valid while this object lives unchanged.
    /// Its `target` is the path (the query is only in `query`), `upgrade` is derived again from
    /// Connection; at most kMaxHeaders fields are viewed.
    [[nodiscard]] Request view() const noexcept;
    int version_minor = 1;  ///< 0 for HTTP/1.0, 1 for HTTP/1.1
    std::string method;     ///< "GET", "HEAD"... (case-sensitive)
    std::string path;       ///< the request-target before '?'
    std::string query;      ///< after '?' (without it); empty if none
    std::string peer;       ///< "host:port" of the client
    std::vector<std::pair<std::string, std::string>> headers;  ///< {name, value} in the order received
    /// Case-insensitive header lookup; empty if absent.
    [[nodiscard]] std::string_view header(std::string_view name) const noexcept;
};

/// Fills in the response. If it throws, the client gets a 500 instead (the exception's text is
/// not shown), the server reports the failure once ("http: GET /path from PEER failed: ..."), and
/// the connection goes on serving.
using Handler = std::function<void(const ServerRequest&, Response&)>;
/// The same, for a handler that awaits (a sensor read, a query to another server).
using AsyncHandler = std::function<Task<>(const ServerRequest&, Response&)>;
/// Owns the connection from the end of the request head on; the connection closes when it ends.
/// An exception from it is reported as a Handler's is, unless it is a connection error (the
/// client reset or vanished: see io/connection_error.hpp) or a cancellation.
using StreamHandler = std::function<Task<>(OwnedRequest, Stream&)>;

/// Maps method + path to a handler, the way Python's micro-frameworks read.
///
///     http::Router app;
///     app.get("/healthz", [](const http::Request&, http::Response& res) { res.text("ok\n"); });
///     app.get_async("/slow", slow_handler);          // a coroutine: Task<>(const Request&, Response&)
///     app.stream("/events", sse_handler);            // takes over the connection (SSE, WebSocket)
///
/// HEAD is answered by the GET handler (the body is dropped). A path that exists with other
/// methods gets 405 with Allow; OPTIONS gets 204 with Allow ("OPTIONS *": the methods of every
/// route); a method neither standard (RFC 9110 9) nor routed anywhere gets 501 (RFC 9110 9.1);
/// anything else 404.
///
/// Paths match exactly (no patterns; the query is not part of the path), methods
/// case-sensitively; an exact route wins over a get_prefix() one, and of two routes for the same
/// method and path the first added wins. Each adding function returns the Router, to chain.
/// An HttpServer refers to its Router: add the routes before it starts, and keep the Router alive
/// as long as the server.
class Router {
public:
    /// Routes `method` requests for `path` to `handler`, which fills in the response at once.
    Router& route(std::string method, std::string path, Handler handler);
    /// Routes `method` requests for `path` to a handler that awaits.
    Router& route_async(std::string method, std::string path, AsyncHandler handler);
    /// route("GET", ...); also answers HEAD.
    Router& get(std::string path, Handler handler) { return route("GET", std::move(path), std::move(handler)); }
    /// route("POST", ...).
    Router& post(std::string path, Handler handler) { return route("POST", std::move(path), std::move(handler)); }
    /// route_async("GET", ...); also answers HEAD.
    Router& get_async(std::string path, AsyncHandler handler) {
        return route_async("GET", std::move(path), std::move(handler));
    }
    /// A GET route whose handler takes over the connection.
    Router& stream(std::string path, StreamHandler handler);
    /// Every GET (and HEAD) whose path starts with `prefix` (e.g. "/static/") goes to `handler`,
    /// unless the path has an exact route (for any method); prefixes are tried in the order
    /// added.
    Router& get_prefix(std::string prefix, Handler handler);

    /// What one request resolves to. Exactly one handler is set, or `status` says why not.
    struct Match {
        const Handler* handler = nullptr;               ///< a route(), get(), post() or get_prefix() route
        const AsyncHandler* async_handler = nullptr;    ///< a route_async() or get_async() route
        const StreamHandler* stream_handler = nullptr;  ///< a stream() route
        /// 200 with a handler; else 404, 405 (see allow), 501 (unknown method), 204 for OPTIONS,
        /// or 400 for the target "*" with a method other than OPTIONS.
        int status = 200;
        std::string allow;  ///< for 405 and OPTIONS: "GET, HEAD, OPTIONS"
    };
    /// The route for a request (HEAD looks for the GET route). The handler pointers point into
    /// the Router and stay valid until a route is added.
    [[nodiscard]] Match match(std::string_view method, std::string_view path) const;

private:
    struct Endpoint {
        std::string method;
        Handler handler;
        AsyncHandler async_handler;
        StreamHandler stream_handler;
    };
    using Endpoints = std::vector<Endpoint>;

    Endpoint& add(std::string method, std::string path);
    void note_method(const std::string& method);
    [[nodiscard]] const Endpoints* find_path(std::string_view path) const;
    [[nodiscard]] bool knows_method(std::string_view method) const noexcept;
    /// "GET, HEAD, POST, OPTIONS": what `methods` allows, HEAD with GET, OPTIONS always.
    [[nodiscard]] static std::string allow_list(const std::vector<std::string_view>& methods);

    /// Shortest first, then bytewise: most comparisons of a look-up are one of lengths, and the
    /// request's path is found without building a string (heterogeneous look-up).
    struct ShortlexLess {
        using is_transparent = void;
        bool operator()(std::string_view a, std::string_view b) const noexcept {
            return a.size() != b.size() ? a.size() < b.size() : a < b;
        }
    };
    std::map<std::string, Endpoints, ShortlexLess> m_exact;
    std::vector<std::pair<std::string, Endpoints>> m_prefixes;
    std::vector<std::string> m_methods;  ///< every method routed somewhere, first use first
};

}  // namespace asyncio::http
