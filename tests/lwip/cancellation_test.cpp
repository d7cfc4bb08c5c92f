// Cancelling a task blocked in read() on an lwIP socket: it ends with CancelledError, its wait is
// unregistered from the poller, and the socket still works: data sent later is read.
#include <asyncio/io/stream.hpp>

#include <asyncio/core/errors.hpp>
#include <asyncio/core/loop.hpp>
#include <asyncio/core/sleep.hpp>

#include <gtest/gtest.h>

#include <string>

#include "lwip_test_support.hpp"

using namespace std::chrono_literals;

namespace {

using LwipCancellationTest = lwip_test::LwipTest;

/// Whether any task waits on a socket.
bool io_pending() { return asyncio::get_event_loop().platform().has_pending_io(); }

asyncio::Task<std::string> read_some(asyncio::Stream& stream) { co_return co_await stream.read(100); }

asyncio::Task<> cancel_blocked_read() {
    lwip_test::Pair pair = co_await lwip_test::connected_pair();
    auto reader = asyncio::create_task(read_some(pair.client));
    co_await asyncio::sleep(50ms);
    EXPECT_FALSE(reader.done()) << "nothing was sent: the read waits";
    EXPECT_TRUE(io_pending()) << "the read waits on the poller";
    reader.cancel();
    EXPECT_FALSE(io_pending()) << "cancel() unregistered the wait";
    bool cancelled = false;
    try {
        (void)co_await reader;
    } catch (const asyncio::CancelledError&) {
        cancelled = true;
    }
    EXPECT_TRUE(cancelled) << "the read ended with CancelledError";

    // The same through a time-out.
    EXPECT_THROW((void)co_await asyncio::wait_for(pair.client.read(100), 50ms), asyncio::TimeoutError);
    EXPECT_FALSE(io_pending());

    pair.server.write("sent later\n");
    co_await pair.server.drain();
    EXPECT_EQ(co_await asyncio::wait_for(pair.client.readline(), 5s), "sent later\n") << "the socket still works";
    pair.client.write("and back\n");
    co_await pair.client.drain();
    EXPECT_EQ(co_await asyncio::wait_for(pair.server.readline(), 5s), "and back\n");
    co_await lwip_test::close_pair(pair);
}
TEST_F(LwipCancellationTest, CancelledReadRaisesAndTheSocketStillWorks) { lwip_test::run(cancel_blocked_read()); }

}  // namespace
