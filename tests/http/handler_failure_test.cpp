// A handler that throws: the client gets a 500 (not a closed connection), the exception's text
// stays out of the page, one error report names the route, and the connection keeps serving.
// A stream handler (SSE, WebSocket) that throws after taking the connection is reported, and a
// client that resets is not. Real sockets on 127.0.0.1, client and server on one loop.
#include <asyncio/http/server.hpp>

#include <asyncio/core/sleep.hpp>
#include <asyncio/http/router.hpp>
#include <asyncio/io/stream.hpp>

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <system_error>

#include "io/io_test_support.hpp"

using namespace std::chrono_literals;
namespace http = asyncio::http;

namespace {

using HandlerFailureTest = io_test::IoTest;

http::Router failing_routes() {
    http::Router routes;
    routes.get("/ok", [](const auto&, auto& res) { res.body() = "fine"; });
    routes.get("/throws", [](const auto&, auto& res) {
        res.body() = "half-made page";
        throw std::runtime_error("secret detail");
    });
    routes.get("/system-error", [](const auto&, auto&) {
        throw std::system_error(ENOENT, std::system_category(), "open(config.json)");
    });
    routes.get_async("/async-throws", [](const auto&, auto&) -> asyncio::Task<> {
        co_await asyncio::sleep(0);
        throw std::logic_error("async handler failed");
    });
    routes.stream("/stream-throws", [](http::OwnedRequest, asyncio::Stream&) -> asyncio::Task<> {
        co_await asyncio::sleep(0);
        throw std::runtime_error("stream handler failed");
    });
    return routes;
}

/// Sends one request on `client` and reads the response head and body (Content-Length framed).
asyncio::Task<std::string> exchange(asyncio::Stream& client, std::string target) {
    client.write("GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n");
    co_await client.drain();
    std::string head = co_await client.readuntil("\r\n\r\n");
    const std::size_t at = head.find("Content-Length: ");
    const std::size_t length = at == std::string::npos ? 0 : std::stoul(head.substr(at + 16));
    std::string body = co_await client.readexactly(length);
    co_return head + body;
}

asyncio::Task<> throwing_handlers_get_500_and_one_report_each() {
    io_test::CapturedReports reports;
    const http::Router routes = failing_routes();
    http::HttpServer server(routes);
    co_await server.start("127.0.0.1", 0);
    asyncio::Stream client = co_await asyncio::open_connection("127.0.0.1", server.port());
    for (const char* target : {"/throws", "/system-error", "/async-throws"}) {
        const std::string response = co_await exchange(client, target);
        EXPECT_EQ(response.rfind("HTTP/1.1 500 ", 0), 0u) << target << ": " << response;
        EXPECT_EQ(response.find("secret detail"), std::string::npos) << "the exception's text is not shown";
        EXPECT_EQ(response.find("half-made page"), std::string::npos) << "the handler's partial page is dropped";
    }
    // The same connection still serves.
    const std::string ok = co_await exchange(client, "/ok");
    EXPECT_EQ(ok.rfind("HTTP/1.1 200 ", 0), 0u) << ok;
    EXPECT_EQ(reports.count_containing("http: GET /throws from 127.0.0.1:"), 1u);
    EXPECT_EQ(reports.count_containing("failed: secret detail"), 1u);
    EXPECT_EQ(reports.count_containing("GET /system-error"), 1u) << "a system_error is not swallowed";
    EXPECT_EQ(reports.count_containing("GET /async-throws"), 1u);
    EXPECT_EQ(reports.messages().size(), 3u);
    EXPECT_EQ(server.stats().responses_by_class[5], 3u);
    client.close();
    server.close();
    co_await server.wait_closed();
}
TEST_F(HandlerFailureTest, ThrowingHandlersGet500AndOneReportEach) {
    io_test::run(throwing_handlers_get_500_and_one_report_each());
}

asyncio::Task<> stream_handler_failure_is_reported_and_closes() {
    io_test::CapturedReports reports;
    const http::Router routes = failing_routes();
    http::HttpServer server(routes);
    co_await server.start("127.0.0.1", 0);
    asyncio::Stream client = co_await asyncio::open_connection("127.0.0.1", server.port());
    client.write("GET /stream-throws HTTP/1.1\r\nHost: x\r\n\r\n");
    co_await client.drain();
    const std::string rest = co_await client.read();  // until the server closes
    EXPECT_EQ(rest, "");
    EXPECT_EQ(reports.count_containing("http: GET /stream-throws from 127.0.0.1:"), 1u);
    EXPECT_EQ(reports.count_containing("failed: stream handler failed"), 1u);
    EXPECT_EQ(reports.messages().size(), 1u);
    client.close();
    server.close();
    co_await server.wait_closed();
}
TEST_F(HandlerFailureTest, StreamHandlerFailureIsReportedAndTheConnectionCloses) {
    io_test::run(stream_handler_failure_is_reported_and_closes());
}

asyncio::Task<> client_reset_is_not_reported() {
    io_test::CapturedReports reports;
    http::Router routes;
    routes.stream("/wait", [](http::OwnedRequest, asyncio::Stream& stream) -> asyncio::Task<> {
        for (;;) {  // writes until the client's reset breaks the connection
            stream.write(std::string(4096, 'x'));
            co_await stream.drain();
            co_await asyncio::sleep(1ms);
        }
    });
    http::HttpServer server(routes);
    co_await server.start("127.0.0.1", 0);
    asyncio::Stream client = co_await asyncio::open_connection("127.0.0.1", server.port());
    client.write("GET /wait HTTP/1.1\r\nHost: x\r\n\r\n");
    co_await client.drain();
    (void)co_await client.readexactly(4096);
    io_test::reset(client);
    for (int i = 0; i < 200 && server.stats().active_connections > 0; ++i) co_await asyncio::sleep(5ms);
    EXPECT_EQ(server.stats().active_connections, 0u);
    EXPECT_TRUE(reports.messages().empty()) << reports.messages().front();
    server.close();
    co_await server.wait_closed();
}
TEST_F(HandlerFailureTest, ClientResetIsNotReported) { io_test::run(client_reset_is_not_reported()); }

}  // namespace
