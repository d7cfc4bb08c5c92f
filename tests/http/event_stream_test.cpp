// http::EventStream through a real HttpServer on 127.0.0.1: the head, retry, ids, event types,
// multi-line data (any line break), Last-Event-ID, HEAD, keep-alive comments, and a client that stops reading
// dropped quietly after the write time-out.
#include <asyncio/http/event_stream.hpp>

#include <asyncio/core/queue.hpp>
#include <asyncio/core/sleep.hpp>
#include <asyncio/http/server.hpp>
#include <asyncio/io/stream.hpp>

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <sys/socket.h>

#include "io/io_test_support.hpp"

using namespace std::chrono_literals;
namespace http = asyncio::http;

namespace {

using EventStreamTest = io_test::IoTest;

/// A route that sends what the test puts in `events` (std::nullopt ends the stream).
struct Feed {
    asyncio::Queue<std::optional<std::string>> events;
    http::EventStream::Options options;
    std::string last_event_id_seen;
};

http::Router feed_routes(Feed& feed) {
    http::Router routes;
    routes.stream("/events", [&feed](http::OwnedRequest request, asyncio::Stream& stream) -> asyncio::Task<> {
        http::EventStream events(request, stream, feed.options);
        feed.last_event_id_seen = events.last_event_id();
        std::uint64_t id = 0;
        for (;;) {
            co_await events.flush();
            if (events.head_only()) co_return;
            const std::optional<std::string> data = co_await events.next([&] { return feed.events.get(); });
            if (!data) co_return;
            ++id;
            events.queue(*data, id, id % 2 == 0 ? "even" : "");
        }
    });
    return routes;
}

asyncio::Task<asyncio::Stream> request_events(std::uint16_t port, std::string extra_headers = {}, std::string method = "GET") {
    asyncio::Stream client = co_await asyncio::open_connection("127.0.0.1", port);
    client.write(method + " /events HTTP/1.1\r\nHost: x\r\n" + extra_headers + "\r\n");
    co_await client.drain();
    co_return client;
}

asyncio::Task<> events_with_ids_types_and_lines() {
    Feed feed;
    feed.options.retry = 2500ms;
    feed.options.server_name = "test";
    const http::Router routes = feed_routes(feed);
    http::HttpServer server(routes);
    co_await server.start("127.0.0.1", 0);
    asyncio::Stream client = co_await request_events(server.port(), "Last-Event-ID: 41\r\n");
    const std::string head = co_await client.readuntil("\r\n\r\n");
    EXPECT_EQ(head.rfind("HTTP/1.1 200 OK\r\nDate: ", 0), 0u) << head;
    EXPECT_NE(head.find("\r\nConnection: close\r\n"), std::string::npos);
    EXPECT_NE(head.find("\r\nContent-Type: text/event-stream\r\n"), std::string::npos);
    EXPECT_NE(head.find("\r\nCache-Control: no-store\r\n"), std::string::npos);
    EXPECT_NE(head.find("\r\nServer: test\r\n"), std::string::npos);
    EXPECT_EQ(head.find("Content-Length"), std::string::npos) << "the body ends with the connection";
    EXPECT_EQ(co_await client.readuntil("\n\n"), "retry: 2500\n\n");
    EXPECT_EQ(feed.last_event_id_seen, "41");
    co_await feed.events.put("one");
    EXPECT_EQ(co_await client.readuntil("\n\n"), "id: 1\ndata: one\n\n");
    co_await feed.events.put("two\nlines");
    EXPECT_EQ(co_await client.readuntil("\n\n"), "id: 2\nevent: even\ndata: two\ndata: lines\n\n");
    // A lone CR ends a line as well as LF does: it cannot end the data field and start another.
    co_await feed.events.put("a\rid: 99\r\nb");
    EXPECT_EQ(co_await client.readuntil("\n\n"), "id: 3\ndata: a\ndata: id: 99\ndata: b\n\n");
    co_await feed.events.put(std::nullopt);
    EXPECT_EQ(co_await client.read(), "") << "the stream ends with the connection";
    client.close();
    server.close();
    co_await server.wait_closed();
}
TEST_F(EventStreamTest, EventsWithIdsTypesAndLines) { io_test::run(events_with_ids_types_and_lines()); }

asyncio::Task<> head_request_gets_the_head_only() {
    Feed feed;
    feed.options.retry = 1s;
    const http::Router routes = feed_routes(feed);
    http::HttpServer server(routes);
    co_await server.start("127.0.0.1", 0);
    asyncio::Stream client = co_await request_events(server.port(), {}, "HEAD");
    const std::string all = co_await client.read();
    EXPECT_EQ(all.rfind("HTTP/1.1 200 OK\r\n", 0), 0u);
    EXPECT_EQ(all.size(), all.find("\r\n\r\n") + 4) << "no body, not even retry: " << all;
    client.close();
    server.close();
    co_await server.wait_closed();
}
TEST_F(EventStreamTest, HeadRequestGetsTheHeadOnly) { io_test::run(head_request_gets_the_head_only()); }

asyncio::Task<> idle_stream_gets_keep_alive_comments() {
    Feed feed;
    feed.options.keep_alive = 50ms;
    const http::Router routes = feed_routes(feed);
    http::HttpServer server(routes);
    co_await server.start("127.0.0.1", 0);
    asyncio::Stream client = co_await request_events(server.port());
    (void)co_await client.readuntil("\r\n\r\n");
    EXPECT_EQ(co_await client.readuntil("\n\n"), ": keep-alive\n\n");
    EXPECT_EQ(co_await client.readuntil("\n\n"), ": keep-alive\n\n");
    co_await feed.events.put("after");  // the wait goes on after a comment
    EXPECT_EQ(co_await client.readuntil("\n\n"), "id: 1\ndata: after\n\n");
    client.close();
    server.close();
    co_await server.wait_closed();
}
TEST_F(EventStreamTest, IdleStreamGetsKeepAliveComments) { io_test::run(idle_stream_gets_keep_alive_comments()); }

asyncio::Task<> client_that_stops_reading_is_dropped_quietly() {
    io_test::CapturedReports reports;
    Feed feed;
    feed.options.write_timeout = 200ms;
    const http::Router routes = feed_routes(feed);
    http::HttpServer server(routes);
    co_await server.start("127.0.0.1", 0);
    asyncio::Stream client = co_await request_events(server.port());
    const std::string big(8 * 1024, 'x');
    // The client reads nothing: the server's capped send buffer and the client's receive
    // buffer fill, the next flush waits, and the write time-out drops the client.
    for (int i = 0; i < 2000 && server.stats().active_connections > 0; ++i) {
        co_await feed.events.put(big);
        co_await asyncio::sleep(1ms);
    }
    EXPECT_EQ(server.stats().active_connections, 0u) << "the client that stopped reading was dropped";
    EXPECT_TRUE(reports.messages().empty()) << "a client that stops reading is not the server's fault";
    client.abort();
    server.close();
    co_await server.wait_closed();
}
TEST_F(EventStreamTest, ClientThatStopsReadingIsDroppedQuietly) {
    io_test::run(client_that_stops_reading_is_dropped_quietly());
}

}  // namespace
