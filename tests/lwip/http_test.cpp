// The http layer on the lwIP back-end, as the board serves it: an HttpServer whose route returns
// a body answers 100 requests on one keep-alive connection, and a request head over the header
// limit (9 KiB against 8 KiB) is answered 431 and its connection closed.
#include <asyncio/http/server.hpp>

#include <asyncio/core/errors.hpp>
#include <asyncio/http/router.hpp>
#include <asyncio/io/stream.hpp>

#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <system_error>

#include "lwip_test_support.hpp"

using namespace std::chrono_literals;
namespace http = asyncio::http;

namespace {

using LwipHttpTest = lwip_test::LwipTest;

/// One response read from `stream`: its status line, and its body (by Content-Length).
struct RawResponse {
    std::string status_line;
    std::string body;
    bool closes = false;  ///< "Connection: close"
};

asyncio::Task<RawResponse> read_response(asyncio::Stream& stream) {
    RawResponse response;
    const std::string head = co_await asyncio::wait_for(stream.readuntil("\r\n\r\n"), 5s);
    response.status_line = head.substr(0, head.find("\r\n"));
    const std::size_t length_at = head.find("Content-Length: ");
    EXPECT_NE(length_at, std::string::npos) << head;
    const std::size_t length = length_at == std::string::npos ? 0 : std::stoul(head.substr(length_at + 16));
    response.closes = head.find("Connection: close") != std::string::npos;
    response.body = co_await asyncio::wait_for(stream.readexactly(length), 5s);
    co_return response;
}

asyncio::Task<> keep_alive(const http::Router* app) {
    http::HttpServer server(*app);
    co_await server.start("127.0.0.1", 0);
    asyncio::Stream client = co_await asyncio::open_connection("127.0.0.1", server.port());
    for (int i = 0; i < 100; ++i) {
        client.write("GET /hello?n=" + std::to_string(i) + " HTTP/1.1\r\nHost: board\r\n\r\n");
        co_await client.drain();
        const RawResponse response = co_await read_response(client);
        EXPECT_EQ(response.status_line, "HTTP/1.1 200 OK") << "request " << i;
        EXPECT_EQ(response.body, "hello from lwIP " + std::to_string(i) + "\n");
        EXPECT_FALSE(response.closes);
        if (::testing::Test::HasFailure()) break;
    }
    EXPECT_EQ(server.stats().requests, 100u);
    EXPECT_EQ(server.stats().connections_accepted, 1u) << "all on one keep-alive connection";
    client.close();
    server.close();
    co_await asyncio::wait_for(server.wait_closed(), 5s);
}

http::Router hello_router() {
    http::Router app;
    app.get("/hello", [](const http::ServerRequest& request, http::Response& response) {
        response.text("hello from lwIP " + std::string(request.query.substr(request.query.find('=') + 1)) + "\n");
    });
    return app;
}

TEST_F(LwipHttpTest, HundredRequestsOnOneKeepAliveConnection) {
    const http::Router app = hello_router();
    lwip_test::run(keep_alive(&app));
}

asyncio::Task<> header_too_large(const http::Router* app) {
    http::HttpServer server(*app);
    co_await server.start("127.0.0.1", 0);
    asyncio::Stream client = co_await asyncio::open_connection("127.0.0.1", server.port());
    client.write("GET /hello?n=0 HTTP/1.1\r\nHost: board\r\nX-Large: " + std::string(9 * 1024, 'h') + "\r\n\r\n");
    co_await asyncio::wait_for(client.drain(), 5s);
    const RawResponse response = co_await read_response(client);
    EXPECT_EQ(response.status_line, "HTTP/1.1 431 Request Header Fields Too Large");
    EXPECT_TRUE(response.closes);
    EXPECT_EQ(co_await asyncio::wait_for(client.read(100), 5s), "") << "then the server closes the connection";
    EXPECT_EQ(server.stats().bad_requests, 1u);
    client.close();
    server.close();
    co_await asyncio::wait_for(server.wait_closed(), 5s);
}
TEST_F(LwipHttpTest, OversizedHeaderIsAnswered431) {
    const http::Router app = hello_router();
    lwip_test::run(header_too_large(&app));
}

}  // namespace
