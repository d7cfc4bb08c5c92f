// WebSocket over real connections on 127.0.0.1 (an HttpServer and a raw client on one loop):
// nothing goes out after the close frame, a cancelled receive() loses no message, and a cancelled
// flush() leaves nothing stranded in the stream's buffer.
#include <asyncio/http/websocket.hpp>

#include <asyncio/core/errors.hpp>
#include <asyncio/core/event.hpp>
#include <asyncio/core/sleep.hpp>
#include <asyncio/core/timeout.hpp>
#include <asyncio/http/server.hpp>
#include <asyncio/io/stream.hpp>

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "http/websocket_test_support.hpp"
#include "io/io_test_support.hpp"

using namespace std::chrono_literals;
namespace http = asyncio::http;

namespace {

using WebSocketTest = io_test::IoTest;

/// What the server does with an accepted WebSocket.
using Body = std::function<asyncio::Task<>(http::WebSocket&)>;

/// An HttpServer whose /ws accepts the upgrade and runs `body` on the WebSocket; `done` is set
/// once the body returned (the handler then returns, which closes the connection).
struct WebSocketServer {
    explicit WebSocketServer(Body body_) : body(std::move(body_)), server(router) {
        router.stream("/ws", [this](http::OwnedRequest request, asyncio::Stream& stream) {
            return session(std::move(request), stream);
        });
    }
    asyncio::Task<> session(http::OwnedRequest request, asyncio::Stream& stream) {
        auto socket = co_await http::WebSocket::accept(request, stream);
        if (socket) co_await body(*socket);
        done.set();
    }
    Body body;
    asyncio::Event done;
    http::Router router;
    http::HttpServer server;
};

using websocket_test::open_websocket;

constexpr http::FrameLimits kClientLimits{.max_payload = 64 * 1024 * 1024, .require_mask = false};

/// The server's next frame as the client reads it; std::nullopt at EOF.
asyncio::Task<std::optional<http::Frame>> read_frame(asyncio::Stream& client) {
    http::Frame frame;
    for (;;) {
        const http::FrameResult parsed = http::parse_frame(client.buffered(), frame, kClientLimits);
        if (parsed.error()) throw std::runtime_error("the server sent a malformed frame");
        if (!parsed.partial()) {
            client.consume(parsed.consumed);
            co_return frame;
        }
        const std::size_t received = co_await client.receive();  // named: g++ 12
        if (received == 0) co_return std::nullopt;
    }
}

/// Runs `body` on the server's WebSocket while `client_side` runs on the client's connection.
asyncio::Task<> with_websocket(Body body, std::function<asyncio::Task<>(asyncio::Stream&)> client_side) {
    WebSocketServer fixture(std::move(body));
    co_await fixture.server.start("127.0.0.1", 0);
    asyncio::Stream client = co_await open_websocket(fixture.server.port());
    co_await client_side(client);
    try {
        co_await asyncio::wait_for(fixture.done.wait(), 5s);
    } catch (const asyncio::TimeoutError&) {
        ADD_FAILURE() << "the server's WebSocket body still runs 5 s after the client's part ended";
    }
    client.close();
    fixture.server.close();
    co_await fixture.server.wait_closed();
}

// --- nothing after the close frame (RFC 6455 5.5.1) ---

asyncio::Task<> queue_after_close() {
    co_await with_websocket(
        [](http::WebSocket& socket) -> asyncio::Task<> {
            co_await socket.close(http::kCloseNormal, "bye");
            EXPECT_TRUE(socket.closed());
            EXPECT_THROW(socket.queue_text("late text"), asyncio::InvalidStateError);
            EXPECT_THROW(socket.queue_binary("late binary"), asyncio::InvalidStateError);
            EXPECT_THROW((void)socket.send_text("late send"), asyncio::InvalidStateError);
            co_await socket.flush();  // nothing queued: nothing to send
        },
        [](asyncio::Stream& client) -> asyncio::Task<> {
            const std::optional<http::Frame> close = co_await read_frame(client);
            EXPECT_TRUE(close.has_value());
            if (close) {
                EXPECT_EQ(close->opcode, http::Opcode::close);
            }
            // The server's handler ends and the connection closes: nothing may come before EOF.
            const std::string rest = co_await asyncio::wait_for(client.read(-1), 5s);
            EXPECT_EQ(rest.size(), 0u) << "bytes sent after the close frame";
        });
}
TEST_F(WebSocketTest, SendingAfterCloseThrowsAndNothingFollowsTheCloseFrame) { io_test::run(queue_after_close()); }

// --- a cancelled receive() loses nothing ---

/// The client sends `count` text messages "m0", "m1"... in one write, then its EOF.
asyncio::Task<> send_messages(asyncio::Stream& client, int count) {
    std::string frames;
    for (int i = 0; i < count; ++i) {
        http::encode_masked_frame(http::Opcode::text, "m" + std::to_string(i), true, {1, 2, 3, 4}, frames);
    }
    client.write(frames);
    co_await client.write_eof();
}

asyncio::Task<> cancelled_receives_lose_nothing() {
    constexpr int kMessages = 300;  // several times the frames receive() handles before it pauses
    std::vector<std::string> received;
    int cancelled = 0;
    co_await with_websocket(
        [&](http::WebSocket& socket) -> asyncio::Task<> {
            // A receive() is cancelled at its first pause (when it had to wait, for data or to
            // let the other tasks run); the one after it runs to its end. Every message must
            // still come, in order.
            bool cancel_next = true;
            for (;;) {
                auto receiving = asyncio::create_task(socket.receive());
                co_await asyncio::sleep(0);
                if (cancel_next) receiving.cancel();
                std::optional<http::Message> message;
                try {
                    message = co_await receiving;
                    cancel_next = true;
                } catch (const asyncio::CancelledError&) {
                    ++cancelled;
                    cancel_next = false;
                    continue;
                }
                if (!message) break;  // the client's EOF
                received.push_back(message->data);
            }
        },
        [&](asyncio::Stream& client) -> asyncio::Task<> { co_await send_messages(client, kMessages); });
    EXPECT_GT(cancelled, 0) << "no receive() was ever cancelled: the test proves nothing";
    std::vector<std::string> expected;
    for (int i = 0; i < kMessages; ++i) expected.push_back("m" + std::to_string(i));
    EXPECT_EQ(received, expected) << "messages lost to cancelled receives";
}
TEST_F(WebSocketTest, ACancelledReceiveLosesNoMessage) { io_test::run(cancelled_receives_lose_nothing()); }

// --- a cancelled flush() strands nothing ---

asyncio::Task<> flush_after_cancelled_flush() {
    const std::string payload(8 * 1024 * 1024, 'b');  // far more than the socket buffers hold
    asyncio::Event client_reads;
    asyncio::Event client_done;
    asyncio::Stream* client_stream = nullptr;
    std::optional<http::Frame> frame;
    co_await with_websocket(
        [&](http::WebSocket& socket) -> asyncio::Task<> {
            socket.queue_binary(payload);
            auto first = asyncio::create_task(socket.flush());
            co_await asyncio::sleep(20ms);  // the client does not read yet: the flush must wait
            EXPECT_FALSE(first.done()) << "the flush did not wait: the test proves nothing";
            first.cancel();
            try {
                co_await first;
            } catch (const asyncio::CancelledError&) {
            }
            // The rest of the frame is still in the stream's buffer; the next flush, with nothing
            // queued, must send it.
            client_reads.set();
            co_await asyncio::wait_for(socket.flush(), 5s);
            // The connection stays open until the client has read (or given up): a close() would
            // send the rest in the background and hide a flush that sent nothing.
            co_await client_done.wait();
        },
        [&](asyncio::Stream& client) -> asyncio::Task<> {
            client_stream = &client;
            co_await client_reads.wait();
            try {
                frame = co_await asyncio::wait_for(read_frame(client), 5s);
            } catch (const asyncio::TimeoutError&) {
                ADD_FAILURE() << "the frame's rest was never sent";
            }
            client_done.set();
        });
    EXPECT_NE(client_stream, nullptr);
    EXPECT_TRUE(frame.has_value());
    if (frame) {
        EXPECT_EQ(frame->opcode, http::Opcode::binary);
        EXPECT_EQ(frame->payload.size(), payload.size());
        EXPECT_TRUE(frame->payload == payload);
    }
}
TEST_F(WebSocketTest, AFlushAfterACancelledFlushSendsWhatWasLeftBuffered) {
    io_test::run(flush_after_cancelled_flush());
}

}  // namespace
