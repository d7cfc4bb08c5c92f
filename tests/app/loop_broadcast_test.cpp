// LoopBroadcast: values published on one thread reach a loop running on another, in order, each
// once; a receiver that falls behind loses its oldest (counted), and publish() never waits.
#include "loop_broadcast.hpp"

#include <asyncio/core/loop.hpp>
#include <asyncio/core/task.hpp>
#include <asyncio/core/timeout.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

namespace sensor_server {
namespace {

using namespace std::chrono_literals;

/// Receives until the broadcast closes.
asyncio::Task<std::vector<int>> receive_all(LoopBroadcast<int>& broadcast, std::size_t receiver) {
    std::vector<int> received;
    for (;;) {
        const std::vector<int> batch = co_await asyncio::wait_for(broadcast.receive(receiver), 10s);
        if (batch.empty()) co_return received;
        received.insert(received.end(), batch.begin(), batch.end());
    }
}

TEST(LoopBroadcast, EveryLoopGetsEveryValueInOrderFromAnotherThread) {
    constexpr int kValues = 2000;
    LoopBroadcast<int> broadcast(2, kValues);  // room for all: nothing is dropped
    std::vector<int> got[2];
    std::thread loops[2];
    for (std::size_t k = 0; k < 2; ++k) {
        loops[k] = std::thread([&broadcast, &got, k] { got[k] = asyncio::run(receive_all(broadcast, k)); });
    }
    for (int value = 0; value < kValues; ++value) {
        broadcast.publish(value);
        if (value % 100 == 0) std::this_thread::sleep_for(1ms);  // the loops wait in between
    }
    broadcast.close();
    for (std::thread& loop : loops) loop.join();
    for (const std::vector<int>& values : got) {
        ASSERT_EQ(values.size(), static_cast<std::size_t>(kValues));
        for (int i = 0; i < kValues; ++i) ASSERT_EQ(values[static_cast<std::size_t>(i)], i);
    }
    EXPECT_EQ(broadcast.dropped(0), 0u);
    EXPECT_EQ(broadcast.dropped(1), 0u);
}

TEST(LoopBroadcast, ASlowLoopLosesItsOldestAndThePublisherNeverWaits) {
    LoopBroadcast<int> broadcast(1, 4);
    for (int value = 1; value <= 10; ++value) broadcast.publish(value);  // nobody receives yet
    broadcast.close();
    const std::vector<int> received = asyncio::run(receive_all(broadcast, 0));
    EXPECT_EQ(received, (std::vector<int>{7, 8, 9, 10}));
    EXPECT_EQ(broadcast.dropped(0), 6u);
}

TEST(LoopBroadcast, ClosingWakesAWaitingReceiver) {
    LoopBroadcast<int> broadcast(1, 4);
    std::vector<int> received{-1};
    std::thread loop([&] { received = asyncio::run(receive_all(broadcast, 0)); });
    std::this_thread::sleep_for(50ms);  // the receiver waits, its loop asleep in the OS
    broadcast.close();
    loop.join();
    EXPECT_TRUE(received.empty());
}

}  // namespace
}  // namespace sensor_server
