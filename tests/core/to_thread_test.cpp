#include <asyncio/core/to_thread.hpp>

#include <asyncio/core/sleep.hpp>
#include <asyncio/core/task.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include "core/test_support.hpp"

using namespace std::chrono_literals;

namespace {

std::string slow_read(std::string what, int delay_ms) {
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    return what + " read on another thread";
}

asyncio::Task<std::string> read_on_thread() {
    const auto loop_thread = std::this_thread::get_id();
    auto other_thread = co_await asyncio::to_thread([] { return std::this_thread::get_id(); });
    std::string text = co_await asyncio::to_thread(slow_read, std::string("sensor"), 20);
    co_return text + (other_thread != loop_thread ? ", not on the loop's thread" : ", on the loop's thread!");
}

TEST(ToThread, ReturnsTheFunctionsResult) {
    EXPECT_EQ(asyncio::run(read_on_thread()), "sensor read on another thread, not on the loop's thread");
}

asyncio::Task<std::string> failing_call() {
    try {
        co_await asyncio::to_thread([] { throw std::runtime_error("sensor unplugged"); });
    } catch (const std::runtime_error& e) {
        co_return e.what();
    }
    co_return "no exception";
}

TEST(ToThread, RethrowsTheFunctionsException) { EXPECT_EQ(asyncio::run(failing_call()), "sensor unplugged"); }

asyncio::Task<> ticker(int* ticks) {
    for (;;) {
        co_await asyncio::sleep(5ms);
        ++*ticks;
    }
}

asyncio::Task<int> loop_keeps_running() {
    int ticks = 0;
    auto t = asyncio::create_task(ticker(&ticks));
    co_await asyncio::to_thread([] { std::this_thread::sleep_for(100ms); });
    t.cancel();
    co_return ticks;
}

TEST(ToThread, TheLoopRunsOtherTasksMeanwhile) {
    // The blocking call takes 100 ms on its thread; the 5 ms ticker keeps ticking on the loop.
    EXPECT_GE(asyncio::run(loop_keeps_running()), 10);
}

asyncio::Task<std::string> cancel_awaiting_task() {
    auto call = asyncio::create_task(asyncio::to_thread([] {
        std::this_thread::sleep_for(200ms);
        return 1;
    }));
    co_await asyncio::sleep(10ms);
    const auto start = asyncio_test::now();
    call.cancel();
    try {
        co_await call;
    } catch (const asyncio::CancelledError&) {
        // Delivered at once: the thread runs on, and its result is dropped.
        co_return asyncio_test::now() - start < asyncio_test::ns(100ms) ? "cancelled at once" : "cancelled late";
    }
    co_return "not cancelled";
}

TEST(ToThread, CancellingTheAwaitingTaskDoesNotWaitForTheThread) {
    EXPECT_EQ(asyncio::run(cancel_awaiting_task()), "cancelled at once");
    std::this_thread::sleep_for(250ms);  // let the detached thread finish before the next test
}

}  // namespace
