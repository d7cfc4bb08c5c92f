// A client that aborts its connection: Stream::abort() with data it has not read resets the
// connection (lwIP, as a kernel, answers a close with unread data with a reset). The server's
// next read raises std::system_error(ECONNRESET), only that connection ends, and the server
// goes on serving new ones.
#include <asyncio/io/stream.hpp>

#include <asyncio/core/event.hpp>
#include <asyncio/io/server.hpp>

#include <gtest/gtest.h>

#include <cerrno>
#include <functional>
#include <string>
#include <system_error>

#include "lwip_test_support.hpp"

using namespace std::chrono_literals;

namespace {

using LwipResetTest = lwip_test::LwipTest;

/// How the greeting server's connections ended.
struct Endings {
    int eof = 0;
    int resets = 0;
    int other_errors = 0;
    asyncio::Event ended;  ///< set at each ending
};

/// Greets, then echoes lines until EOF or an error.
asyncio::Task<> greet_then_echo(Endings* endings, asyncio::Stream stream) {
    stream.write("hello\n");
    co_await stream.drain();
    try {
        for (;;) {
            std::string line = co_await stream.readline();
            if (line.empty()) break;
            stream.write(std::move(line));
            co_await stream.drain();
        }
        ++endings->eof;
    } catch (const std::system_error& error) {
        ++(error.code().value() == ECONNRESET ? endings->resets : endings->other_errors);
    }
    endings->ended.set();
}

asyncio::Task<> abort_then_serve_again() {
    Endings endings;
    auto server = co_await asyncio::start_server(std::bind_front(&greet_then_echo, &endings), "127.0.0.1", 0);

    asyncio::Stream rude = co_await asyncio::open_connection("127.0.0.1", server.port());
    co_await asyncio::wait_for(rude.wait_readable(), 5s);  // the greeting arrived, unread
    rude.abort();
    co_await asyncio::wait_for(endings.ended.wait(), 5s);
    EXPECT_EQ(endings.resets, 1) << "the server's read raised ECONNRESET";
    EXPECT_EQ(endings.eof + endings.other_errors, 0);
    endings.ended.clear();

    asyncio::Stream polite = co_await asyncio::open_connection("127.0.0.1", server.port());
    EXPECT_EQ(co_await asyncio::wait_for(polite.readline(), 5s), "hello\n");
    polite.write("still serving\n");
    co_await polite.drain();
    EXPECT_EQ(co_await asyncio::wait_for(polite.readline(), 5s), "still serving\n");
    polite.close();
    co_await asyncio::wait_for(endings.ended.wait(), 5s);
    EXPECT_EQ(endings.eof, 1) << "the second connection ended with EOF";
    EXPECT_EQ(server.accept_stats().accepted, 2u);

    server.close();
    co_await asyncio::wait_for(server.wait_closed(), 5s);
}
TEST_F(LwipResetTest, ServerReadRaisesOnAbortAndKeepsServing) { lwip_test::run(abort_then_serve_again()); }

}  // namespace
