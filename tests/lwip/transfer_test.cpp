// Bulk data over the lwIP back-end: 1 MiB each way through one connection, intact; and
// back-pressure: lwIP's receive window reopens only as the reader takes data, so a writer whose
// peer does not read waits in drain() with nearly everything still buffered, and finishes once
// the peer reads.
#include <asyncio/io/stream.hpp>

#include <asyncio/core/sleep.hpp>
#include <asyncio/io/server.hpp>

#include <gtest/gtest.h>

#include <cstddef>
#include <lwip/opt.h>
#include <optional>
#include <string>

#include "lwip_test_support.hpp"

using namespace std::chrono_literals;

namespace {

using LwipTransferTest = lwip_test::LwipTest;

constexpr std::size_t kMebibyte = 1024 * 1024;

/// Writes `total` bytes of the pattern in 16 KiB pieces, draining after each.
asyncio::Task<> send_pattern(asyncio::Stream& stream, std::size_t total) {
    constexpr std::size_t kPiece = 16 * 1024;
    for (std::size_t sent = 0; sent < total; sent += kPiece) {
        stream.write(lwip_test::pattern(std::min(kPiece, total - sent), sent));
        co_await stream.drain();
    }
}

/// Reads `total` bytes; true if they are the pattern.
asyncio::Task<bool> receive_pattern(asyncio::Stream& stream, std::size_t total) {
    std::string got;
    while (got.size() < total) {
        std::string piece = co_await stream.read(static_cast<std::ptrdiff_t>(total - got.size()));
        if (piece.empty()) break;  // EOF too early
        got += piece;
    }
    EXPECT_EQ(got.size(), total);
    co_return got == lwip_test::pattern(total);
}

/// 1 MiB from `from` to `to`, read as it is written.
asyncio::Task<> transfer(asyncio::Stream& from, asyncio::Stream& to) {
    auto sending = asyncio::create_task(send_pattern(from, kMebibyte));
    EXPECT_TRUE(co_await asyncio::wait_for(receive_pattern(to, kMebibyte), 20s)) << "1 MiB arrived intact";
    co_await asyncio::wait_for(std::move(sending), 5s);
}

// One direction at a time: with both directions at once, both ends' receive windows can close
// in the same pass over the loopback queue, and lwIP 2.1.3 then answers each zero-window ACK
// with another (tcp_in.c, tcp_receive(): a zero-length segment at rcv_nxt is "out of window"
// when rcv_wnd is 0), for ever, inside one netif_poll() (esp-idf issue #2425).
asyncio::Task<> both_ways() {
    lwip_test::Pair pair = co_await lwip_test::connected_pair();
    co_await transfer(pair.client, pair.server);
    co_await transfer(pair.server, pair.client);
    co_await lwip_test::close_pair(pair);
}
TEST_F(LwipTransferTest, OneMebibyteEachWayThroughOneConnection) { lwip_test::run(both_ways()); }

asyncio::Task<> drain_all(asyncio::Stream& stream) { co_await stream.drain(); }

asyncio::Task<> back_pressure() {
    lwip_test::Pair pair = co_await lwip_test::connected_pair();
    pair.client.write(lwip_test::pattern(kMebibyte));
    auto drained = asyncio::create_task(drain_all(pair.client));
    co_await asyncio::sleep(300ms);  // the server reads nothing meanwhile
    EXPECT_FALSE(drained.done()) << "drain() must wait while the peer does not read";
    // What left the write buffer is at most what lwIP holds for this connection: the peer's
    // window (its unread data) plus the sender's queue, a few segments each, far below 1 MiB.
    const std::size_t in_flight = kMebibyte - pair.client.write_buffer_size();
    EXPECT_GT(in_flight, 0u) << "a window's worth goes out at once";
    EXPECT_LE(in_flight, 64u * 1024) << "the window stays closed while the reader does not read";

    EXPECT_TRUE(co_await asyncio::wait_for(receive_pattern(pair.server, kMebibyte), 20s));
    co_await asyncio::wait_for(std::move(drained), 5s);  // done once the reader took it all
    EXPECT_EQ(pair.client.write_buffer_size(), 0u);
    co_await lwip_test::close_pair(pair);
}
TEST_F(LwipTransferTest, DrainWaitsUntilThePeerReads) { lwip_test::run(back_pressure()); }

/// Bytes that left `sender`'s write buffer while the peer read nothing for a while.
asyncio::Task<std::size_t> taken_while_the_peer_does_not_read(std::optional<std::size_t> send_buffer) {
    lwip_test::Pair pair = co_await lwip_test::connected_pair();
    if (send_buffer) pair.client.set_send_buffer_size(*send_buffer);
    pair.client.write(lwip_test::pattern(kMebibyte));
    pair.client.try_flush();
    co_await asyncio::sleep(300ms);
    pair.client.try_flush();
    const std::size_t taken = kMebibyte - pair.client.write_buffer_size();
    pair.client.abort();
    pair.server.abort();
    co_return taken;
}

asyncio::Task<> capped_send_buffer() {
    const std::size_t uncapped = co_await taken_while_the_peer_does_not_read(std::nullopt);
    const std::size_t capped = co_await taken_while_the_peer_does_not_read(TCP_MSS);
    // Both send into the peer's window; only the uncapped one also queues up to TCP_SND_BUF.
    EXPECT_GT(capped, 0u);
    EXPECT_LT(capped, uncapped);
}
TEST_F(LwipTransferTest, SendBufferSizeCapsWhatLwipQueues) { lwip_test::run(capped_send_buffer()); }

}  // namespace
