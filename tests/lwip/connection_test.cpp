// A connection over the lwIP back-end, as a user of Stream sees it: start_server on port 0,
// open_connection, lines echoed, addresses as text; and how each side learns the other closed:
// a FIN is EOF (read() empty, readexactly() IncompleteReadError), closing with unread data sends
// a reset instead (the peer's read raises), as Linux does.
#include <asyncio/io/stream.hpp>

#include <asyncio/core/errors.hpp>
#include <asyncio/core/event.hpp>
#include <asyncio/core/sleep.hpp>
#include <asyncio/io/server.hpp>

#include <gtest/gtest.h>

#include <cerrno>
#include <functional>
#include <string>
#include <system_error>

#include "lwip_test_support.hpp"

using namespace std::chrono_literals;

namespace {

using LwipConnectionTest = lwip_test::LwipTest;

/// What the echo server's handler saw of its connection.
struct EchoLog {
    std::string peername;
    std::string sockname;
    int lines = 0;
};

/// Echoes lines until EOF.
asyncio::Task<> echo_lines(EchoLog* log, asyncio::Stream stream) {
    log->peername = stream.get_extra_info("peername");
    log->sockname = stream.get_extra_info("sockname");
    for (;;) {
        std::string line = co_await stream.readline();
        if (line.empty()) break;
        ++log->lines;
        stream.write(std::move(line));
        co_await stream.drain();
    }
    stream.close();
    co_await stream.wait_closed();
}

asyncio::Task<> echo() {
    EchoLog log;
    auto server = co_await asyncio::start_server(std::bind_front(&echo_lines, &log), "127.0.0.1", 0);
    EXPECT_NE(server.port(), 0) << "port 0 picks a free port, reported by port()";
    asyncio::Stream client = co_await asyncio::wait_for(asyncio::open_connection("127.0.0.1", server.port()), 5s);
    const std::string lines[] = {"hello lwIP\n", "a second line\n", std::string(3000, 'x') + "\n"};
    for (const std::string& line : lines) {
        client.write(line);
        co_await client.drain();
        EXPECT_EQ(co_await asyncio::wait_for(client.readline(), 5s), line);
    }
    const std::string port = std::to_string(server.port());
    EXPECT_EQ(client.get_extra_info("peername"), "127.0.0.1:" + port);
    const std::string client_name = client.get_extra_info("sockname");
    EXPECT_EQ(client_name.rfind("127.0.0.1:", 0), 0u) << client_name;
    EXPECT_NE(client_name, "127.0.0.1:0");
    EXPECT_EQ(log.sockname, "127.0.0.1:" + port) << "the server's end is the listening port";
    EXPECT_EQ(log.peername, client_name) << "the server sees the client's address";
    EXPECT_EQ(log.lines, 3);

    client.close();
    co_await asyncio::wait_for(client.wait_closed(), 5s);
    server.close();
    co_await asyncio::wait_for(server.wait_closed(), 5s);  // the handler saw EOF and ended
}
TEST_F(LwipConnectionTest, EchoesLinesAndNamesBothEnds) { lwip_test::run(echo()); }

// lwIP's raw API has no SO_REUSEPORT: asking for it is an error, never a listener without it.
asyncio::Task<> reuse_port_refused() {
    asyncio::ListenOptions options;
    options.reuse_port = true;
    EchoLog log;
    try {
        (void)co_await asyncio::start_server(std::bind_front(&echo_lines, &log), "127.0.0.1", 0, options);
        ADD_FAILURE() << "reuse_port must not be ignored where there is no SO_REUSEPORT";
    } catch (const std::system_error& error) {
        EXPECT_EQ(error.code().value(), ENOPROTOOPT);
        EXPECT_NE(std::string(error.what()).find("SO_REUSEPORT"), std::string::npos) << error.what();
    }
    // Nothing was left listening: a plain server gets a port as before.
    auto server = co_await asyncio::start_server(std::bind_front(&echo_lines, &log), "127.0.0.1", 0);
    EXPECT_NE(server.port(), 0);
}
TEST_F(LwipConnectionTest, ReusePortIsRefusedWithAClearError) { lwip_test::run(reuse_port_refused()); }

// --- the peer closes: EOF ---

asyncio::Task<> peer_closes() {
    lwip_test::Pair pair = co_await lwip_test::connected_pair();
    pair.server.write("last words");
    co_await pair.server.drain();
    pair.server.close();  // FIN after the data
    co_await asyncio::wait_for(pair.server.wait_closed(), 5s);
    EXPECT_EQ(co_await asyncio::wait_for(pair.client.read(), 5s), "last words") << "read() reads until EOF";
    EXPECT_EQ(co_await asyncio::wait_for(pair.client.read(100), 5s), "") << "then read() is empty: EOF";
    EXPECT_TRUE(pair.client.at_eof());
    co_await lwip_test::close_pair(pair);
}
TEST_F(LwipConnectionTest, PeerCloseIsEndOfFile) { lwip_test::run(peer_closes()); }

asyncio::Task<> readexactly_at_eof() {
    lwip_test::Pair pair = co_await lwip_test::connected_pair();
    pair.server.write("abcd");
    co_await pair.server.write_eof();  // a FIN, the server's end stays open
    try {
        (void)co_await asyncio::wait_for(pair.client.readexactly(10), 5s);
        ADD_FAILURE() << "EOF before 10 bytes must raise IncompleteReadError";
    } catch (const asyncio::IncompleteReadError& error) {
        EXPECT_EQ(error.partial, "abcd");
        EXPECT_EQ(error.expected, 10u);
    }
    // The other direction still works after a half-close.
    pair.client.write("still here\n");
    co_await pair.client.drain();
    EXPECT_EQ(co_await asyncio::wait_for(pair.server.readline(), 5s), "still here\n");
    co_await lwip_test::close_pair(pair);
}
TEST_F(LwipConnectionTest, ReadexactlyCutShortByEofRaisesIncompleteReadError) { lwip_test::run(readexactly_at_eof()); }

// --- closing with and without unread data ---

asyncio::Task<> close_with_unread_data() {
    lwip_test::Pair pair = co_await lwip_test::connected_pair();
    pair.client.write("never read by the server\n");
    co_await pair.client.drain();
    co_await asyncio::wait_for(pair.server.wait_readable(), 5s);  // it arrived; nobody reads it
    pair.server.close();
    co_await asyncio::wait_for(pair.server.wait_closed(), 5s);
    try {
        const std::string got = co_await asyncio::wait_for(pair.client.read(100), 5s);
        ADD_FAILURE() << "closing with unread data must reset the connection, the client read '" << got << "'";
    } catch (const std::system_error& error) {
        EXPECT_EQ(error.code().value(), ECONNRESET) << error.what();
    }
    co_await lwip_test::close_pair(pair);
}
TEST_F(LwipConnectionTest, ClosingWithUnreadDataSendsAReset) { lwip_test::run(close_with_unread_data()); }

asyncio::Task<> data_before_reset() {
    lwip_test::Pair pair = co_await lwip_test::connected_pair();
    pair.client.write("a request the server will not read\n");
    co_await pair.client.drain();
    co_await asyncio::wait_for(pair.server.wait_readable(), 5s);
    pair.server.write("an answer sent before the reset\n");
    co_await pair.server.drain();
    pair.server.close();  // unread data: a reset follows the answer
    co_await asyncio::wait_for(pair.server.wait_closed(), 5s);
    // Linux: what arrived before the reset is read first, then the reset is reported.
    EXPECT_EQ(co_await asyncio::wait_for(pair.client.readline(), 5s), "an answer sent before the reset\n");
    try {
        (void)co_await asyncio::wait_for(pair.client.read(100), 5s);
        ADD_FAILURE() << "then the reset must be reported";
    } catch (const std::system_error& error) {
        EXPECT_EQ(error.code().value(), ECONNRESET) << error.what();
    }
    co_await lwip_test::close_pair(pair);
}
TEST_F(LwipConnectionTest, DataReceivedBeforeAResetIsReadFirst) { lwip_test::run(data_before_reset()); }

asyncio::Task<> close_after_reading_everything() {
    lwip_test::Pair pair = co_await lwip_test::connected_pair();
    pair.client.write("read by the server\n");
    co_await pair.client.drain();
    EXPECT_EQ(co_await asyncio::wait_for(pair.server.readline(), 5s), "read by the server\n");
    pair.server.close();
    co_await asyncio::wait_for(pair.server.wait_closed(), 5s);
    EXPECT_EQ(co_await asyncio::wait_for(pair.client.read(100), 5s), "") << "everything was read: a FIN, so EOF";
    co_await lwip_test::close_pair(pair);
}
TEST_F(LwipConnectionTest, ClosingAfterReadingEverythingSendsAFin) { lwip_test::run(close_after_reading_everything()); }

}  // namespace
