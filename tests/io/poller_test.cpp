// The poller and IoHandle: readiness remembered per descriptor (edge-triggered with epoll), several
// waiters on one descriptor, released descriptors, and handles that outlive their loop. Run with
// both back-ends (ASYNCIO_POLLER=epoll|poll).
#include <asyncio/io/poller.hpp>

#include <asyncio/core/errors.hpp>
#include <asyncio/core/sleep.hpp>
#include <asyncio/core/timeout.hpp>
#include <asyncio/io/stream.hpp>

#include <gtest/gtest.h>

#include <string>

#include "io/io_test_support.hpp"

using namespace std::chrono_literals;

namespace {

using PollerTest = io_test::IoTest;

bool io_pending() { return asyncio::get_event_loop().platform().has_pending_io(); }

// Data and the peer's FIN reported in one event, then a short read (taken to mean "drained"):
// the next read must still see the EOF, although no new event will ever come.
asyncio::Task<> eof_after_short_read() {
    auto [client, server] = co_await io_test::tcp_pair();
    client.write("abc");
    client.close();
    co_await asyncio::sleep(20ms);  // the loop polls: data and hang-up arrive as one event
    EXPECT_EQ(co_await server.read(100), "abc");
    EXPECT_EQ(co_await asyncio::wait_for(server.read(100), 2s), "") << "EOF after a short read";
}
TEST_F(PollerTest, EofReportedWithDataIsSeenAfterAShortRead) { io_test::run(eof_after_short_read()); }

asyncio::Task<> reset_after_short_read() {
    auto [client, server] = co_await io_test::tcp_pair();
    client.write("abc");
    co_await client.drain();
    io_test::reset(client);
    co_await asyncio::sleep(20ms);
    try {
        const std::string first = co_await server.read(100);  // "abc", or the reset at once
        EXPECT_EQ(first, "abc");
        (void)co_await asyncio::wait_for(server.read(100), 2s);
    } catch (const std::system_error&) {
        // The reset: what a peer that vanishes looks like.
    }
}
TEST_F(PollerTest, ResetReportedWithDataIsSeenAfterAShortRead) { io_test::run(reset_after_short_read()); }

// --- several waiters on one descriptor ---

asyncio::Task<> drain_in_task(asyncio::Stream& stream, bool* done) {
    co_await stream.drain();
    *done = true;
}

asyncio::Task<> drain_and_close_flush_wait_together() {
    auto [client, server] = co_await io_test::tcp_pair();
    constexpr std::size_t kSize = 16 * 1024 * 1024;
    server.write(std::string(kSize, 'w'));
    bool drained = false;
    auto draining = asyncio::create_task(drain_in_task(server, &drained));
    co_await asyncio::sleep(5ms);
    server.close();  // a background flush now waits for "writable" too
    std::size_t received = 0;
    while (co_await client.receive() != 0) {
        received += client.buffered().size();
        client.consume(client.buffered().size());
    }
    EXPECT_EQ(received, kSize);
    co_await asyncio::wait_for(std::move(draining), 2s);
    EXPECT_TRUE(drained) << "the first waiter was woken too";
    co_await asyncio::wait_for(server.wait_closed(), 2s);
}
TEST_F(PollerTest, TwoTasksWaitingToWriteAreBothWoken) { io_test::run(drain_and_close_flush_wait_together()); }

asyncio::Task<std::string> read_some(asyncio::Stream& stream) { co_return co_await stream.read(100); }

asyncio::Task<> two_readers() {
    auto [client, server] = co_await io_test::tcp_pair();
    auto first = asyncio::create_task(read_some(server));
    auto second = asyncio::create_task(read_some(server));
    co_await asyncio::sleep(5ms);
    client.write("x");
    co_await client.drain();
    co_await asyncio::sleep(5ms);
    client.write("y");
    co_await client.drain();
    const std::string a = co_await asyncio::wait_for(std::move(first), 2s);
    const std::string b = co_await asyncio::wait_for(std::move(second), 2s);
    EXPECT_EQ(a + b, "xy");
}
TEST_F(PollerTest, TwoTasksWaitingToReadAreServedInTurn) { io_test::run(two_readers()); }

// --- released descriptors ---

asyncio::Task<> close_wakes_a_reader() {
    auto [client, server] = co_await io_test::tcp_pair();
    auto reading = asyncio::create_task(read_some(server));
    co_await asyncio::sleep(5ms);
    EXPECT_TRUE(io_pending());
    server.close();  // another task closes the stream the reader waits on
    EXPECT_FALSE(io_pending());
    EXPECT_EQ(co_await asyncio::wait_for(std::move(reading), 2s), "") << "a closed stream reads as EOF";
}
TEST_F(PollerTest, ClosingAStreamWakesItsReaderWithEof) { io_test::run(close_wakes_a_reader()); }

asyncio::Task<> released_handle_never_waits() {
    auto [client, server] = co_await io_test::tcp_pair();
    const int fd = ::dup(server.fd());
    {
        asyncio::detail::IoHandle handle(fd);
        handle.not_readable();
        handle.release_descriptor();
        EXPECT_EQ(handle.fd(), -1);
        co_await asyncio::wait_for(handle.wait_readable(), 1s);  // returns at once
        EXPECT_FALSE(io_pending());
    }
    ::close(fd);
}
TEST_F(PollerTest, AReleasedHandleNeverSuspends) { io_test::run(released_handle_never_waits()); }

// --- a handle that outlives its loop ---

asyncio::Task<asyncio::Stream> connected_stream() {
    auto [client, server] = co_await io_test::tcp_pair();
    co_return std::move(client);
}

TEST_F(PollerTest, AStreamOutlivingItsLoopStillClosesItsSocket) {
    asyncio::Stream kept = asyncio::run(connected_stream());  // the loop and its poller are gone
    EXPECT_GE(kept.fd(), 0);
    kept.close();  // must not touch the dead poller (ASan checks)
    EXPECT_EQ(kept.fd(), -1);
}

}  // namespace
