// The poller's wake-up path: Platform::wake() from other threads, the eventfd behind it, and how
// wake-ups mix with socket readiness. Run on both back-ends; with ASYNCIO_POLLER=poll this is the
// code an ESP32 runs (src/io/poll_poller.cpp; only the clock and the making of the eventfd differ,
// see src/io/poll_port.hpp and docs/ESP32.md).
#include <asyncio/core/platform.hpp>

#include <asyncio/core/loop.hpp>
#include <asyncio/core/task.hpp>
#include <asyncio/core/thread_safe_flag.hpp>
#include <asyncio/io/stream.hpp>

#include <gtest/gtest.h>

#include <dirent.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "io/io_test_support.hpp"

using namespace std::chrono_literals;

namespace {

using WakeupTest = io_test::IoTest;
using Clock = std::chrono::steady_clock;

/// How long one Platform::wait() took.
Clock::duration timed_wait(asyncio::Platform& platform, std::optional<asyncio::Duration> timeout) {
    const auto start = Clock::now();
    platform.wait(timeout);
    return Clock::now() - start;
}

/// Descriptors of this process whose /proc/self/fd link starts with `kind` ("anon_inode:[eventfd]",
/// "pipe:").
int open_descriptors_of_kind(const std::string& kind) {
    DIR* dir = ::opendir("/proc/self/fd");
    if (dir == nullptr) return -1;
    int count = 0;
    while (const dirent* entry = ::readdir(dir)) {
        if (entry->d_name[0] == '.') continue;
        char target[256] = {};
        const std::string path = std::string("/proc/self/fd/") + entry->d_name;
        const ssize_t length = ::readlink(path.c_str(), target, sizeof target - 1);
        if (length > 0 && std::string(target, static_cast<std::size_t>(length)).rfind(kind, 0) == 0) ++count;
    }
    ::closedir(dir);
    return count;
}

TEST_F(WakeupTest, TheWakeupDescriptorIsOneEventfdAsOnTheEsp32) {
    const int eventfds = open_descriptors_of_kind("anon_inode:[eventfd]");
    const int pipes = open_descriptors_of_kind("pipe:");
    {
        const auto platform = asyncio::make_default_platform();
        EXPECT_EQ(open_descriptors_of_kind("anon_inode:[eventfd]"), eventfds + 1);
        EXPECT_EQ(open_descriptors_of_kind("pipe:"), pipes) << "the ESP32 has eventfds, not pipes";
    }
    EXPECT_EQ(open_descriptors_of_kind("anon_inode:[eventfd]"), eventfds) << "closed with its platform";
}

TEST_F(WakeupTest, AWakeBeforeTheWaitMakesItReturnAtOnce) {
    const auto platform = asyncio::make_default_platform();
    platform->wake();
    EXPECT_LT(timed_wait(*platform, asyncio::Duration(30s)), 10s) << "the wake-up was lost";
}

TEST_F(WakeupTest, OneWaitConsumesEveryWakeSoFarAndTheNextOneSleeps) {
    const auto platform = asyncio::make_default_platform();
    // Far more than a pipe holds (64 KiB): an eventfd only counts, so wake() never blocks or fails.
    for (int i = 0; i < 100'000; ++i) platform->wake();
    EXPECT_LT(timed_wait(*platform, asyncio::Duration(30s)), 10s);
    // A wake-up left undrained (a read of the wrong size fails on an eventfd) would end this at once
    // and make every later wait a busy loop.
    EXPECT_GE(timed_wait(*platform, asyncio::Duration(50ms)), 50ms);
}

TEST_F(WakeupTest, AWakeFromAnotherThreadEndsALongWait) {
    const auto platform = asyncio::make_default_platform();
    std::thread waker([&platform] {
        std::this_thread::sleep_for(50ms);
        platform->wake();
    });
    // A wait without time-out would hang the suite if the wake-up were lost: bound it at a minute
    // and require it to end long before.
    const auto waited = timed_wait(*platform, asyncio::Duration(60s));
    waker.join();
    EXPECT_LT(waited, 30s);
}

TEST_F(WakeupTest, WakesInTurnFromAnotherThreadAreNeverLost) {
    // Each round: the thread wakes the platform once, then waits for the loop's side to count
    // the wake. A wake-up that arrived between poll() and the drain and was swallowed would stall
    // a round until the 30 s time-out.
    const auto platform = asyncio::make_default_platform();
    std::atomic<int> rounds_seen{0};
    constexpr int kRounds = 500;
    std::thread waker([&] {
        for (int round = 1; round <= kRounds; ++round) {
            platform->wake();
            while (rounds_seen.load() < round) std::this_thread::yield();
        }
    });
    int stalls = 0;
    for (int round = 1; round <= kRounds; ++round) {
        if (timed_wait(*platform, asyncio::Duration(30s)) >= 20s) ++stalls;
        rounds_seen.store(round);
    }
    waker.join();
    EXPECT_EQ(stalls, 0);
}

// The ESP32 case: a task blocked on a socket while an interrupt (here, a thread) keeps setting a
// ThreadSafeFlag. Both kinds of readiness must come through the same poll().
asyncio::Task<std::string> flag_rounds_while_a_socket_read_waits(int rounds) {
    auto [client, server] = co_await io_test::tcp_pair();
    asyncio::ThreadSafeFlag flag;
    std::atomic<int> seen{0};
    auto reader = asyncio::create_task(server.readline());
    std::thread setter([&flag, &seen, rounds] {
        for (int round = 1; round <= rounds; ++round) {
            flag.set();
            while (seen.load() < round) std::this_thread::yield();
        }
    });
    for (int round = 1; round <= rounds; ++round) {
        co_await flag.wait();
        seen.store(round);
    }
    setter.join();
    EXPECT_FALSE(reader.done()) << "nothing was sent yet";
    client.write("after the flags\n");
    co_await client.drain();
    std::string line = co_await reader;
    co_return line;
}

TEST_F(WakeupTest, FlagSetsFromAnotherThreadAndSocketReadinessShareOnePoll) {
    EXPECT_EQ(io_test::run(flag_rounds_while_a_socket_read_waits(100)), "after the flags\n");
}

}  // namespace
