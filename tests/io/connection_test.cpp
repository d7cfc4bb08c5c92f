// open_connection, and a peer that goes away: refused connections, names, resets in the middle of
// a read and of a drain. OS failures are std::system_error; SIGPIPE never kills the process.
#include <asyncio/io/stream.hpp>

#include <asyncio/core/errors.hpp>
#include <asyncio/core/sleep.hpp>
#include <asyncio/io/server.hpp>

#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>
#include <string>
#include <system_error>

#include "io/io_test_support.hpp"

using namespace std::chrono_literals;

namespace {

using ConnectionTest = io_test::IoTest;

bool sigpipe_is_default() {
    struct sigaction current {};
    ::sigaction(SIGPIPE, nullptr, &current);
    return current.sa_handler == SIG_DFL;
}

asyncio::Task<> refused() {
    std::uint16_t port = 0;
    {
        io_test::RawListener listener;  // a port that was free a moment ago and is closed now
        port = listener.port();
    }
    try {
        (void)co_await asyncio::open_connection("127.0.0.1", port);
        ADD_FAILURE() << "connecting to a closed port must fail";
    } catch (const std::system_error& error) {
        EXPECT_EQ(error.code().value(), ECONNREFUSED) << error.what();
        EXPECT_NE(std::string(error.what()).find("connect"), std::string::npos) << "names the call";
    }
}
TEST_F(ConnectionTest, ConnectingToAClosedPortIsConnectionRefused) { io_test::run(refused()); }

asyncio::Task<> say_hello(asyncio::Stream stream) {
    stream.write("hello from " + stream.get_extra_info("sockname") + "\n");
    co_await stream.drain();
}

asyncio::Task<> by_name() {
    auto server = co_await asyncio::start_server(say_hello, "127.0.0.1", 0);
    asyncio::Stream client = co_await asyncio::open_connection("localhost", server.port());
    EXPECT_EQ(co_await client.readline(), "hello from 127.0.0.1:" + std::to_string(server.port()) + "\n");
    EXPECT_EQ(client.peername().port(), server.port());
}
TEST_F(ConnectionTest, ConnectsToAHostName) { io_test::run(by_name()); }

asyncio::Task<> numeric_ipv6() {
    auto server = co_await asyncio::start_server(say_hello, "::1", 0);
    asyncio::Stream client = co_await asyncio::open_connection("::1", server.port());
    EXPECT_EQ(co_await client.readline(), "hello from [::1]:" + std::to_string(server.port()) + "\n");
}
TEST_F(ConnectionTest, ConnectsOverIPv6) {
    if (!io_test::has_ipv6()) GTEST_SKIP() << "no IPv6 on this host";
    io_test::run(numeric_ipv6());
}

// --- a peer that resets the connection ---

asyncio::Task<> reset_later(asyncio::Stream& stream) {
    co_await asyncio::sleep(20ms);
    io_test::reset(stream);
}

asyncio::Task<> reset_during_read() {
    auto [client, server] = co_await io_test::tcp_pair();
    client.write("some data first\n");
    co_await client.drain();
    EXPECT_EQ(co_await server.readline(), "some data first\n");
    auto resetter = asyncio::create_task(reset_later(client));
    try {
        (void)co_await server.read(100);  // waits: the reset arrives meanwhile
        ADD_FAILURE() << "a reset must surface as std::system_error";
    } catch (const std::system_error& error) {
        EXPECT_EQ(error.code().value(), ECONNRESET) << error.what();
    }
    co_await resetter;
    server.close();
    co_await server.wait_closed();
}
TEST_F(ConnectionTest, PeerResetDuringReadIsASystemError) {
    ASSERT_TRUE(sigpipe_is_default());
    io_test::run(reset_during_read());
}

asyncio::Task<> reset_during_drain() {
    auto [client, server] = co_await io_test::tcp_pair();
    server.write(std::string(16 * 1024 * 1024, 'd'));  // far more than the peer's buffers take
    auto resetter = asyncio::create_task(reset_later(client));  // and it never reads
    try {
        co_await server.drain();
        ADD_FAILURE() << "a reset must surface as std::system_error";
    } catch (const std::system_error& error) {
        const int code = error.code().value();
        EXPECT_TRUE(code == ECONNRESET || code == EPIPE) << error.what();
    }
    co_await resetter;
    EXPECT_EQ(server.write_buffer_size(), 0u) << "nothing more can be sent: the buffer is dropped";
}
TEST_F(ConnectionTest, PeerResetDuringDrainIsASystemErrorWithoutSigpipe) {
    ASSERT_TRUE(sigpipe_is_default()) << "SIGPIPE must keep its default action, which would kill the process";
    io_test::run(reset_during_drain());
}

asyncio::Task<> write_after_peer_closed() {
    auto [client, server] = co_await io_test::tcp_pair();
    client.close();
    co_await client.wait_closed();
    EXPECT_EQ(co_await server.read(10), "");  // the peer's FIN
    bool failed = false;
    // The first send may still be accepted (the peer answers it with a reset); a later one fails.
    for (int i = 0; i < 10 && !failed; ++i) {
        server.write("anyone there?\n");
        try {
            co_await server.drain();
        } catch (const std::system_error& error) {
            const int code = error.code().value();
            EXPECT_TRUE(code == EPIPE || code == ECONNRESET) << error.what();
            failed = true;
        }
        co_await asyncio::sleep(5ms);
    }
    EXPECT_TRUE(failed);
}
TEST_F(ConnectionTest, WritingToAClosedPeerIsASystemErrorWithoutSigpipe) {
    ASSERT_TRUE(sigpipe_is_default());
    io_test::run(write_after_peer_closed());
}

// --- a handler's peer that goes away ---

asyncio::Task<> read_until_error(asyncio::Stream stream, std::string* outcome) {
    try {
        while (!(co_await stream.read(1024)).empty()) {
        }
        *outcome = "eof";
    } catch (const std::system_error& error) {
        *outcome = error.code().value() == ECONNRESET ? "reset" : error.what();
    }
}

asyncio::Task<> handler_sees_reset() {
    std::string outcome;
    auto server = co_await asyncio::start_server(
        [&outcome](asyncio::Stream stream) { return read_until_error(std::move(stream), &outcome); }, "127.0.0.1",
        0);
    asyncio::Stream client = co_await asyncio::open_connection("127.0.0.1", server.port());
    client.write("x");
    co_await client.drain();
    co_await asyncio::sleep(10ms);
    io_test::reset(client);
    server.close();
    co_await asyncio::wait_for(server.wait_closed(), 5s);
    EXPECT_EQ(outcome, "reset");
}
TEST_F(ConnectionTest, AHandlerSeesItsPeerResetAsASystemError) { io_test::run(handler_sees_reset()); }

}  // namespace
