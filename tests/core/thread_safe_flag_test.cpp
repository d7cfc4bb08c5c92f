#include <asyncio/core/thread_safe_flag.hpp>

#include <asyncio/core/sleep.hpp>
#include <asyncio/core/task.hpp>
#include <asyncio/core/timeout.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <string>
#include <thread>

#include "core/test_support.hpp"

using namespace std::chrono_literals;
using asyncio_test::run_virtual;

namespace {

std::chrono::nanoseconds process_cpu_time() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

struct WaitResult {
    asyncio::Duration waited{};
    std::chrono::nanoseconds cpu{};
};

asyncio::Task<WaitResult> wait_for_thread(asyncio::ThreadSafeFlag* flag, asyncio::Duration delay) {
    const asyncio::Duration start = asyncio_test::now();
    const auto cpu_start = process_cpu_time();
    std::thread setter([flag, delay] {
        std::this_thread::sleep_for(delay);
        flag->set();
    });
    co_await flag->wait();
    WaitResult result{asyncio_test::now() - start, process_cpu_time() - cpu_start};
    setter.join();
    co_return result;
}

TEST(ThreadSafeFlag, SetFromAnotherThreadWakesTheTaskWhileTheLoopSleeps) {
    asyncio::ThreadSafeFlag flag;
    const WaitResult result = asyncio::run(wait_for_thread(&flag, 200ms));
    EXPECT_GE(result.waited, asyncio_test::ns(200ms));
    EXPECT_LT(result.waited, asyncio_test::ns(1s));
    // The loop slept in the OS: a busy loop would burn ~200 ms of CPU here.
    EXPECT_LT(result.cpu, 20ms) << "CPU used while waiting: " << result.cpu.count() / 1000 << " us";
}

asyncio::Task<std::string> set_before_wait() {
    asyncio::ThreadSafeFlag flag;
    flag.set();
    co_await flag.wait();  // already set: returns at once and clears it
    std::string seen = "passed";
    try {
        co_await asyncio::wait_for(flag.wait(), 5ms);
        seen += ", passed again";
    } catch (const asyncio::TimeoutError&) {
        seen += ", cleared by the first wait";
    }
    flag.set();
    flag.clear();
    try {
        co_await asyncio::wait_for(flag.wait(), 5ms);
        seen += ", passed after clear";
    } catch (const asyncio::TimeoutError&) {
        seen += ", clear() cleared it";
    }
    co_return seen;
}

TEST(ThreadSafeFlag, AFlagSetBeforeTheWaitIsSeenOnceThenCleared) {
    EXPECT_EQ(run_virtual(set_before_wait()), "passed, cleared by the first wait, clear() cleared it");
}

asyncio::Task<> wait_flag(asyncio::ThreadSafeFlag* flag) { co_await flag->wait(); }

asyncio::Task<std::string> second_waiter() {
    asyncio::ThreadSafeFlag flag;
    auto first = asyncio::create_task(wait_flag(&flag));
    co_await asyncio::sleep(0);
    std::string seen;
    try {
        co_await flag.wait();
    } catch (const asyncio::InvalidStateError&) {
        seen = "second waiter refused";
    }
    flag.set();
    co_await first;
    co_return seen + ", first woken";
}

TEST(ThreadSafeFlag, OnlyOneTaskMayWait) { EXPECT_EQ(run_virtual(second_waiter()), "second waiter refused, first woken"); }

asyncio::Task<std::string> cancel_waiter() {
    asyncio::ThreadSafeFlag flag;
    auto waiter = asyncio::create_task(wait_flag(&flag));
    co_await asyncio::sleep(1ms);
    waiter.cancel();
    co_await asyncio::sleep(1ms);
    std::string seen = waiter.cancelled() ? "cancelled" : "not cancelled";
    flag.set();  // nobody waits any more: the flag just stays set for the next waiter
    co_await flag.wait();
    co_return seen + ", next wait passed";
}

TEST(ThreadSafeFlag, CancellingTheWaiterUnregistersIt) { EXPECT_EQ(run_virtual(cancel_waiter()), "cancelled, next wait passed"); }

asyncio::Task<bool> one_short_wait(asyncio::ThreadSafeFlag* flag) {
    try {
        co_await asyncio::wait_for(flag->wait(), 100us);
        co_return true;
    } catch (const asyncio::TimeoutError&) {
        co_return false;
    }
}

TEST(ThreadSafeFlag, SetsFromAnotherThreadNeverTouchALoopThatIsGone) {
    // Each run() makes a loop, waits on the flag, and destroys the loop, while another thread
    // keeps calling set(): a set() that read the loop just before the wait ended must be done
    // with it before the loop goes (ASan reports it otherwise).
    asyncio::ThreadSafeFlag flag;
    std::atomic<bool> stop{false};
    std::thread setter([&] {
        while (!stop.load()) flag.set();
    });
    int woken = 0;
    for (int i = 0; i < 300; ++i) woken += asyncio::run(one_short_wait(&flag)) ? 1 : 0;
    stop.store(true);
    setter.join();
    EXPECT_GT(woken, 0);
}

}  // namespace
