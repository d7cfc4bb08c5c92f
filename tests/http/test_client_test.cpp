// The router and the server's connection code through http::TestClient (no port, no network):
// routing, 404/405/Allow, keep-alive, pipelining, limits, a throwing handler, a POST body, an
// event stream and a WebSocket.
#include <asyncio/http/test_client.hpp>

#include <asyncio/http/event_stream.hpp>
#include <asyncio/http/router.hpp>
#include <asyncio/http/server.hpp>
#include <asyncio/http/websocket.hpp>

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "io/io_test_support.hpp"

using namespace std::chrono_literals;
namespace http = asyncio::http;

namespace {

using TestClientTest = io_test::IoTest;

http::Router app_routes() {
    http::Router routes;
    routes.get("/hello", [](const auto&, auto& res) { res.body() = "hi"; });
    routes.post("/echo", [](const auto& req, auto& res) { res.body() = "got " + std::string(req.body); });
    routes.get("/boom", [](const auto&, auto&) { throw std::runtime_error("boom"); });
    routes.stream("/events", [](http::OwnedRequest request, asyncio::Stream& stream) -> asyncio::Task<> {
        http::EventStream events(request, stream);
        events.queue("first", 1);
        co_await events.flush();
    });
    routes.stream("/ws", [](http::OwnedRequest request, asyncio::Stream& stream) -> asyncio::Task<> {
        auto socket = co_await http::WebSocket::accept(request, stream);
        if (!socket) co_return;
        const std::optional<http::Message> message = co_await socket->receive();  // named: g++ 12
        if (!message) co_return;
        const std::string reply = "echo " + message->data;
        co_await socket->send_text(reply);
    });
    return routes;
}

asyncio::Task<> routes_statuses_and_keep_alive() {
    const http::Router routes = app_routes();
    http::HttpServer server(routes);
    http::TestClient client(server);
    const http::TestResponse hello = co_await client.get("/hello");
    EXPECT_EQ(hello.status, 200);
    EXPECT_EQ(hello.body, "hi");
    const http::TestResponse missing = co_await client.get("/nowhere");
    EXPECT_EQ(missing.status, 404);
    const http::TestResponse wrong_method = co_await client.request("DELETE", "/hello");
    EXPECT_EQ(wrong_method.status, 405);
    EXPECT_EQ(wrong_method.header("Allow"), "GET, HEAD, OPTIONS");
    const http::TestResponse head = co_await client.request("HEAD", "/hello");
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.body, "");
    const http::TestResponse echoed = co_await client.post("/echo", "payload");
    EXPECT_EQ(echoed.body, "got payload");
    const http::TestResponse failed = co_await client.get("/boom");
    EXPECT_EQ(failed.status, 500);
    const http::TestResponse after = co_await client.get("/hello");
    EXPECT_EQ(after.status, 200) << "the connection serves on after a 500";
    EXPECT_EQ(server.stats().connections_accepted, 1u) << "every request on one keep-alive connection";
    EXPECT_EQ(server.stats().requests, 7u);
}
TEST_F(TestClientTest, RoutesStatusesAndKeepAlive) {
    io_test::CapturedReports reports;  // the /boom report
    io_test::run(routes_statuses_and_keep_alive());
    EXPECT_EQ(reports.count_containing("GET /boom"), 1u);
}

asyncio::Task<> pipelined_requests_are_answered_in_order() {
    const http::Router routes = app_routes();
    http::HttpServer server(routes);
    http::TestClient client(server);
    asyncio::Stream& connection = client.connection();
    connection.write("GET /hello HTTP/1.1\r\nHost: t\r\n\r\nGET /nowhere HTTP/1.1\r\nHost: t\r\n\r\n"
                     "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nok");
    co_await connection.drain();
    const http::TestResponse first = co_await http::TestClient::read_response(connection);
    const http::TestResponse second = co_await http::TestClient::read_response(connection);
    const http::TestResponse third = co_await http::TestClient::read_response(connection);
    EXPECT_EQ(first.body, "hi");
    EXPECT_EQ(second.status, 404);
    EXPECT_EQ(third.body, "got ok");
}
TEST_F(TestClientTest, PipelinedRequestsAreAnsweredInOrder) {
    io_test::run(pipelined_requests_are_answered_in_order());
}

asyncio::Task<> limits_are_enforced() {
    const http::Router routes = app_routes();
    http::ServerOptions options;
    options.limits.max_header_bytes = 1024;
    options.limits.max_body = 16;
    http::HttpServer server(routes, options);
    http::TestClient client(server);
    http::TestHeaders big{{"X-Big", std::string(2000, 'a')}};  // named: g++ 12
    const http::TestResponse big_header = co_await client.get("/hello", std::move(big));
    EXPECT_EQ(big_header.status, 431);
    const http::TestResponse big_body = co_await client.post("/echo", std::string(100, 'b'));
    EXPECT_EQ(big_body.status, 413);
    const http::TestResponse fine = co_await client.get("/hello");  // a new connection after the close
    EXPECT_EQ(fine.status, 200);
}
TEST_F(TestClientTest, LimitsAreEnforced) { io_test::run(limits_are_enforced()); }

asyncio::Task<> event_stream_and_websocket() {
    const http::Router routes = app_routes();
    http::HttpServer server(routes);
    http::TestClient client(server);
    asyncio::Stream events = co_await client.open("GET", "/events");
    const std::string all = co_await events.read();  // the handler returns: the stream ends
    EXPECT_EQ(all.substr(all.find("\r\n\r\n") + 4), "id: 1\ndata: first\n\n");
    http::TestHeaders upgrade_headers{{"Upgrade", "websocket"},  // named: g++ 12
                                      {"Connection", "Upgrade"},
                                      {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
                                      {"Sec-WebSocket-Version", "13"}};
    asyncio::Stream ws = co_await client.open("GET", "/ws", std::move(upgrade_headers));
    const http::TestResponse upgrade = co_await http::TestClient::read_response(ws);
    EXPECT_EQ(upgrade.status, 101);
    EXPECT_EQ(upgrade.header("Sec-WebSocket-Accept"), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    // A masked text frame "hey" (RFC 6455 5.3: the client masks; mask 0x00000000 keeps it legible).
    ws.write(std::string("\x81\x83\x00\x00\x00\x00hey", 9));
    co_await ws.drain();
    const std::string frame = co_await ws.readexactly(2 + 8);
    EXPECT_EQ(frame, std::string("\x81\x08", 2) + "echo hey");
}
TEST_F(TestClientTest, EventStreamAndWebSocket) { io_test::run(event_stream_and_websocket()); }

}  // namespace
