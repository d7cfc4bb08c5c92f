// A WebSocket peer that vanishes: a client that resets its connection in the
// middle of a frame it sends, or while the server is writing to it, ends the session. receive()
// returns or throws instead of waiting for ever, a blocked flush() throws, and the HttpServer
// releases the connection. Real sockets on 127.0.0.1, client and server on one loop.
#include <asyncio/http/websocket.hpp>

#include <asyncio/core/event.hpp>
#include <asyncio/core/sleep.hpp>
#include <asyncio/core/timeout.hpp>
#include <asyncio/http/server.hpp>
#include <asyncio/io/stream.hpp>

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <system_error>

#include "http/websocket_test_support.hpp"
#include "io/io_test_support.hpp"

using namespace std::chrono_literals;
namespace http = asyncio::http;

namespace {

using WebSocketPeerResetTest = io_test::IoTest;

/// How a server-side task ended.
enum class Ending { running, closed, reset, cancelled };

/// Which tasks the server runs on the WebSocket.
enum class Tasks { reader, writer, reader_and_writer };

/// What the server's WebSocket handler saw; lives in the test's frame.
struct Session {
    Ending reader = Ending::running;
    Ending writer = Ending::running;
    int messages = 0;
    bool writer_waiting = false;  ///< the writer is suspended in flush(): its buffer is full
    asyncio::Event reader_ended;
    asyncio::Event writer_ended;
};

/// Receives until the connection ends, recording how.
asyncio::Task<> receive_until_gone(http::WebSocket& socket, Session* session) {
    try {
        for (;;) {
            const std::optional<http::Message> message = co_await socket.receive();  // named: g++ 12
            if (!message) break;
            ++session->messages;
        }
        session->reader = Ending::closed;
    } catch (const std::system_error&) {
        session->reader = Ending::reset;
    }
    session->reader_ended.set();
}

/// Sends 64 KiB messages as fast as the client takes them, until a flush fails (or the reader's
/// end cancels it).
asyncio::Task<> send_until_gone(http::WebSocket& socket, Session* session) {
    const std::string chunk(64 * 1024, 'r');
    try {
        for (;;) {
            socket.queue_binary(chunk);
            session->writer_waiting = true;
            co_await socket.flush();
            session->writer_waiting = false;
        }
    } catch (const std::system_error&) {
        session->writer = Ending::reset;
    } catch (const asyncio::CancelledError&) {
        session->writer = Ending::cancelled;
        session->writer_ended.set();
        throw;
    }
    session->writer_waiting = false;
    session->writer_ended.set();
}

/// The /ws handler. With both tasks it is laid out as sensor-server's /ws: the reader runs in
/// the handler, and its end ends the writer.
asyncio::Task<> websocket_session(http::OwnedRequest request, asyncio::Stream& stream, Session* session,
                                  Tasks tasks) {
    auto socket = co_await http::WebSocket::accept(request, stream);
    if (!socket) co_return;
    if (tasks == Tasks::reader) {
        co_await receive_until_gone(*socket, session);
    } else if (tasks == Tasks::writer) {
        co_await send_until_gone(*socket, session);
    } else {
        asyncio::Task<> writer = asyncio::create_task(send_until_gone(*socket, session));
        co_await receive_until_gone(*socket, session);
        writer.cancel();  // a no-op if it saw the reset first
        try {
            co_await writer;
        } catch (const asyncio::CancelledError&) {
        }
    }
}

/// A server whose /ws runs `tasks` and records what they see in `session`.
struct WebSocketServer {
    WebSocketServer(Session& session, Tasks tasks) : server(router) {
        router.stream("/ws", [&session, tasks](http::OwnedRequest request, asyncio::Stream& stream) {
            return websocket_session(std::move(request), stream, &session, tasks);
        });
    }
    http::Router router;
    http::HttpServer server;
};

using websocket_test::open_websocket;

/// Waits (bounded) until the server has let go of every connection.
asyncio::Task<> until_no_connections(const http::HttpServer& server) {
    for (int i = 0; i < 500 && server.stats().active_connections > 0; ++i) co_await asyncio::sleep(10ms);
    EXPECT_EQ(server.stats().active_connections, 0u) << "the vanished client's connection was kept";
}

/// A client sends the first `cut` bytes of a 300-byte text frame, then resets. The bytes and the
/// reset reach the server together (the client does not yield in between): the server's read
/// takes the bytes and must still see the reset, which the poller reported only once.
asyncio::Task<> reset_mid_frame(std::size_t cut, Tasks tasks) {
    Session session;
    WebSocketServer fixture(session, tasks);
    http::HttpServer& server = fixture.server;
    co_await server.start("127.0.0.1", 0);

    asyncio::Stream client = co_await open_websocket(server.port());
    std::string frame;
    const std::array<std::uint8_t, 4> mask{0x12, 0x34, 0x56, 0x78};
    http::encode_masked_frame(http::Opcode::text, std::string(300, 'x'), true, mask, frame);
    client.write(std::string_view(frame).substr(0, cut));
    co_await client.drain();
    io_test::reset(client);

    try {
        co_await asyncio::wait_for(session.reader_ended.wait(), 5s);
    } catch (const asyncio::TimeoutError&) {
        ADD_FAILURE() << "receive() still waits 5 s after the client reset (cut after " << cut << " bytes)";
    }
    EXPECT_EQ(session.messages, 0) << "a partial frame is not a message";
    EXPECT_NE(session.reader, Ending::running);
    co_await until_no_connections(server);
    server.close();
    co_await server.wait_closed();
}

TEST_F(WebSocketPeerResetTest, ResetInTheMiddleOfAFrameEndsReceive) {
    // Header of a 300-byte masked frame: 2 bytes, 2 of extended length, 4 of mask.
    for (const std::size_t cut : {1u, 2u, 4u, 6u, 8u, 9u, 20u}) {
        SCOPED_TRACE("cut after " + std::to_string(cut) + " bytes");
        io_test::run(reset_mid_frame(cut, Tasks::reader));
    }
}

TEST_F(WebSocketPeerResetTest, ResetInTheMiddleOfAFrameEndsReaderAndWriter) {
    for (const std::size_t cut : {2u, 9u}) {
        SCOPED_TRACE("cut after " + std::to_string(cut) + " bytes");
        io_test::run(reset_mid_frame(cut, Tasks::reader_and_writer));
    }
}

/// The client never reads, so the server's writer blocks in flush(); then the client resets.
/// Nothing may wait for the peer that is gone: a lone writer's flush() throws; with a reader too,
/// whichever sees the reset first ends the session.
asyncio::Task<> reset_while_server_writes(Tasks tasks) {
    Session session;
    WebSocketServer fixture(session, tasks);
    http::HttpServer& server = fixture.server;
    co_await server.start("127.0.0.1", 0);

    asyncio::Stream client = co_await open_websocket(server.port());
    for (int i = 0; i < 500 && !session.writer_waiting; ++i) co_await asyncio::sleep(10ms);
    EXPECT_TRUE(session.writer_waiting) << "the server's writer never blocked on the non-reading client";
    io_test::reset(client);

    try {
        co_await asyncio::wait_for(session.writer_ended.wait(), 5s);
        if (tasks != Tasks::writer) co_await asyncio::wait_for(session.reader_ended.wait(), 5s);
    } catch (const asyncio::TimeoutError&) {
        ADD_FAILURE() << "a server task still waits 5 s after the client reset";
    }
    if (tasks == Tasks::writer) {
        EXPECT_EQ(session.writer, Ending::reset) << "the blocked flush() reports the reset";
    } else {
        EXPECT_NE(session.writer, Ending::running);
        EXPECT_NE(session.reader, Ending::running);  // the reset, or EOF if the writer took the error
    }
    co_await until_no_connections(server);
    server.close();
    co_await server.wait_closed();
}

TEST_F(WebSocketPeerResetTest, ResetWhileTheServerWritesFailsTheBlockedFlush) {
    io_test::run(reset_while_server_writes(Tasks::writer));
}

TEST_F(WebSocketPeerResetTest, ResetWhileTheServerWritesEndsReaderAndWriter) {
    io_test::run(reset_while_server_writes(Tasks::reader_and_writer));
}

}  // namespace
