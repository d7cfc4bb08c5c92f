#pragma once

#include <asyncio/core/task.hpp>
#include <asyncio/http/server.hpp>
#include <asyncio/io/stream.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace asyncio::http {

/// Header fields as {name, value} pairs, in order: those a TestClient sends, those it received.
using TestHeaders = std::vector<std::pair<std::string, std::string>>;

/// A response as the client received it.
struct TestResponse {
    int status = 0;       ///< the status code (200)
    std::string reason;   ///< the reason phrase ("OK")
    TestHeaders headers;  ///< as received, in order, names as sent
    std::string body;  ///< de-chunked; empty for HEAD, 1xx, 204 and 304
    /// The first header of that name (case-insensitive); empty if absent.
    [[nodiscard]] std::string_view header(std::string_view name) const noexcept;
};

/// A client for testing an HttpServer in the same process, as Microdot's TestClient: requests go
/// through the server's own connection code (parser, router, keep-alive, limits, error pages) over
/// a Unix socket pair, so there is no port, no network and no listening socket.
///
///     http::Router routes;
///     routes.get("/hello", [](const auto&, auto& res) { res.body() = "hi"; });
///     http::HttpServer server(routes);
///     http::TestClient client(server);
///     http::TestResponse res = co_await client.get("/hello");   // res.status == 200, res.body == "hi"
///
/// One keep-alive connection serves every request in turn; it is opened again when the server
/// closed it (Connection: close, an error). For an event stream or a WebSocket, open() sends the
/// request and hands over the connection. Hosted systems only (it needs socketpair()).
/// Lifetime: the server and its router must outlive the client.
class TestClient {
public:
    /// A client of `server`; no connection is made until the first request.
    explicit TestClient(HttpServer& server) : m_server(server) {}
    TestClient(const TestClient&) = delete;
    TestClient& operator=(const TestClient&) = delete;
    /// Closes the connection; the server's side of it ends when it next runs.
    ~TestClient();

    /// Sends a request on the keep-alive connection. `Host` and, with a body, `Content-Length`
    /// are added unless given (or Transfer-Encoding is).
    /// Suspends when: the response has not wholly arrived (a 100 Continue is skipped). Resumed
    /// by: the poller, as the server's answer comes in (the server runs in a task of its own).
    /// Returns: the response; after a Connection: close answer the client closes its connection
    /// (the next request opens another).
    /// Throws IncompleteReadError if the server closed the connection before a whole answer
    /// (std::system_error, ECONNRESET, if it closed without reading all of the request);
    /// std::runtime_error if the answer is not HTTP.
    /// Cancellation: CancelledError; the connection is left mid-exchange: close connection()
    /// before the next request.
    /// Lifetime: the client (and so the server) must outlive the call.
    [[nodiscard]] Task<TestResponse> request(std::string method, std::string target, std::string body = {},
                                             TestHeaders headers = {});
    /// request("GET", target, {}, headers).
    [[nodiscard]] Task<TestResponse> get(std::string target, TestHeaders headers = {}) {
        return request("GET", std::move(target), {}, std::move(headers));
    }
    /// request("POST", target, body, headers).
    [[nodiscard]] Task<TestResponse> post(std::string target, std::string body, TestHeaders headers = {}) {
        return request("POST", std::move(target), std::move(body), std::move(headers));
    }

    /// Sends a request on a connection of its own and returns that connection unread, for a
    /// response that does not end (an event stream) or a protocol switch (a WebSocket).
    [[nodiscard]] Task<Stream> open(std::string method, std::string target, TestHeaders headers = {});
    /// The keep-alive connection itself (opened if needed), to send raw or pipelined bytes and
    /// read what comes back; read_response() parses one response from it.
    [[nodiscard]] Stream& connection();
    /// Reads one response from `stream` (the answer to a request of `method`).
    [[nodiscard]] static Task<TestResponse> read_response(Stream& stream, std::string method = "GET");

private:
    /// A socket pair whose server end the HttpServer serves in a task of its own.
    Stream connect();

    HttpServer& m_server;
    Stream m_connection;
};

}  // namespace asyncio::http
