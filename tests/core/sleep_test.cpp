#include <asyncio/core/sleep.hpp>

#include <asyncio/core/task.hpp>
#include <asyncio/core/timeout.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <limits>
#include <memory>
#include <vector>
#include <string>

#include "core/test_support.hpp"

using namespace std::chrono_literals;
using asyncio_test::ns;
using asyncio_test::run_virtual;
using asyncio_test::Trace;

namespace {

asyncio::Task<> sleeper(Trace* trace, std::string name, asyncio::Duration delay) {
    co_await asyncio::sleep(delay);
    trace->push_back(name);
}

// CPython reference (the same program on the default loop):
//   async def sleeper(name, d): await asyncio.sleep(d); T(name)
//   async def main():
//       ts = [asyncio.create_task(sleeper(n, d)) for n, d in [("c30", .03), ("a10", .01),
//             ("b20", .02), ("a10bis", .01), ("z0", 0), ("b20bis", .02)]]
//       T("created"); for t in ts: await t; T("done")
asyncio::Task<> timers(Trace* trace) {
    auto c30 = asyncio::create_task(sleeper(trace, "c30", 30ms));
    auto a10 = asyncio::create_task(sleeper(trace, "a10", 10ms));
    auto b20 = asyncio::create_task(sleeper(trace, "b20", 20ms));
    auto a10bis = asyncio::create_task(sleeper(trace, "a10bis", 10ms));
    auto z0 = asyncio::create_task(sleeper(trace, "z0", 0ms));
    auto b20bis = asyncio::create_task(sleeper(trace, "b20bis", 20ms));
    trace->push_back("created");
    co_await c30;
    co_await a10;
    co_await b20;
    co_await a10bis;
    co_await z0;
    co_await b20bis;
    trace->push_back("done");
}

TEST(Sleep, TimersFireInDeadlineOrderAndEqualDeadlinesFirstInFirstOut) {
    Trace trace;
    run_virtual(timers(&trace));
    EXPECT_EQ(trace, (Trace{"created", "z0", "a10", "a10bis", "b20", "b20bis", "c30", "done"}));
}

asyncio::Task<> many_equal_deadlines(Trace* trace) {
    // On the virtual clock every one of these deadlines is exactly equal.
    std::vector<asyncio::Task<>> tasks;
    for (int i = 0; i < 50; ++i) tasks.push_back(asyncio::create_task(sleeper(trace, std::to_string(i), 7ms)));
    for (auto& task : tasks) co_await task;
}

TEST(Sleep, FiftyEqualDeadlinesFireInTheOrderTheyWereSet) {
    Trace trace;
    run_virtual(many_equal_deadlines(&trace));
    Trace expected;
    for (int i = 0; i < 50; ++i) expected.push_back(std::to_string(i));
    EXPECT_EQ(trace, expected);
}

asyncio::Task<std::vector<asyncio::Duration>> sleep_forms() {
    std::vector<asyncio::Duration> times;
    co_await asyncio::sleep(1h);  // a virtual hour takes no real time
    times.push_back(asyncio_test::now());
    co_await asyncio::sleep(1.5);  // seconds, as asyncio.sleep(1.5)
    times.push_back(asyncio_test::now());
    co_await asyncio::sleep_ms(250);
    times.push_back(asyncio_test::now());
    co_await asyncio::sleep(2);  // an integer number of seconds
    times.push_back(asyncio_test::now());
    co_await asyncio::sleep(0);  // only yields
    co_await asyncio::sleep(-5ms);  // the past: only yields
    times.push_back(asyncio_test::now());
    co_return times;
}

TEST(Sleep, EveryFormSleepsExactlyItsDurationOnTheVirtualClock) {
    const auto start = std::chrono::steady_clock::now();
    auto times = run_virtual(sleep_forms());
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
    EXPECT_EQ(times, (std::vector<asyncio::Duration>{ns(1h), ns(1h + 1500ms), ns(1h + 1750ms), ns(1h + 3750ms),
                                                      ns(1h + 3750ms)}));
}

asyncio::Task<std::vector<asyncio::Duration>> periodic(asyncio::VirtualClock* clock) {
    // Work that takes 300 ms of every 1 s period: sleep_until keeps the period, sleep would drift.
    std::vector<asyncio::Duration> starts;
    asyncio::TimePoint next = asyncio::get_event_loop().time();
    for (int i = 0; i < 3; ++i) {
        next += 1s;
        co_await asyncio::sleep_until(next);
        starts.push_back(asyncio_test::now());
        clock->advance(300ms);
    }
    co_await asyncio::sleep_until(asyncio::TimePoint{});  // long past: only yields
    starts.push_back(asyncio_test::now());
    co_return starts;
}

TEST(Sleep, SleepUntilWakesAtTheGivenLoopTimeWithoutDrift) {
    auto clock = std::make_unique<asyncio::VirtualClock>();
    asyncio::VirtualClock* raw = clock.get();
    asyncio::EventLoop loop(std::move(clock));
    EXPECT_EQ(loop.run_until_complete(periodic(raw)),
              (std::vector<asyncio::Duration>{ns(1s), ns(2s), ns(3s), ns(3300ms)}));
}

asyncio::Task<std::string> sleep_forever_with_timeout(asyncio::Duration forever) {
    try {
        co_await asyncio::wait_for(asyncio::sleep(forever), 1s);
    } catch (const asyncio::TimeoutError&) {
        co_return "timed out at " + std::to_string(asyncio_test::now().count());
    }
    co_return "woke at " + std::to_string(asyncio_test::now().count());
}

TEST(Sleep, AnUnrepresentablyLongSleepNeverEndsInsteadOfWrappingRound) {
    // now + hours::max() overflows: it must mean "never", not a deadline in the past.
    EXPECT_EQ(run_virtual(sleep_forever_with_timeout(asyncio::Duration::max())), "timed out at 1000000000");
    EXPECT_EQ(run_virtual([]() -> asyncio::Task<std::string> {
                  try {
                      co_await asyncio::wait_for(asyncio::sleep(std::chrono::hours::max()), 1s);
                  } catch (const asyncio::TimeoutError&) {
                      co_return "timed out";
                  }
                  co_return "woke";
              }()),
              "timed out");
    EXPECT_EQ(run_virtual([]() -> asyncio::Task<std::string> {
                  try {
                      co_await asyncio::wait_for(asyncio::sleep(1e300), 1s);
                  } catch (const asyncio::TimeoutError&) {
                      co_return "timed out";
                  }
                  co_return "woke";
              }()),
              "timed out");
}

asyncio::Task<> interleave(Trace* trace, std::string name) {
    for (int i = 0; i < 3; ++i) {
        trace->push_back(name + std::to_string(i));
        co_await asyncio::sleep(0);
    }
}

asyncio::Task<> sleep_zero_yields(Trace* trace) {
    auto a = asyncio::create_task(interleave(trace, "a"));
    auto b = asyncio::create_task(interleave(trace, "b"));
    co_await a;
    co_await b;
}

TEST(Sleep, SleepZeroLetsEveryOtherReadyTaskRunFirst) {
    Trace trace;
    run_virtual(sleep_zero_yields(&trace));
    EXPECT_EQ(trace, (Trace{"a0", "b0", "a1", "b1", "a2", "b2"}));
}

asyncio::Task<> sleep_with_cleanup(Trace* trace) {
    try {
        co_await asyncio::sleep(10s);
        trace->push_back("slept");
    } catch (const asyncio::CancelledError&) {
        trace->push_back("cancelled at " + std::to_string(asyncio_test::now() / 1ms) + " ms");
        throw;
    }
}

asyncio::Task<> cancel_sleeper(Trace* trace) {
    auto task = asyncio::create_task(sleep_with_cleanup(trace));
    co_await asyncio::sleep(5ms);
    task.cancel();
    // Had the 10 s timer stayed armed, it would resume the finished task at 10 s.
    co_await asyncio::sleep(20s);
    trace->push_back(task.cancelled() ? "task cancelled" : "task not cancelled");
}

TEST(Sleep, CancellingASleepRemovesItsTimer) {
    Trace trace;
    run_virtual(cancel_sleeper(&trace));
    EXPECT_EQ(trace, (Trace{"cancelled at 5 ms", "task cancelled"}));
}

asyncio::Task<asyncio::Duration> real_sleep(asyncio::Duration delay) {
    const auto start = asyncio_test::now();
    co_await asyncio::sleep(delay);
    co_return asyncio_test::now() - start;
}

TEST(Sleep, OnTheRealClockASleepLastsAboutItsDuration) {
    const auto wall_start = std::chrono::steady_clock::now();
    const asyncio::Duration slept = asyncio::run(real_sleep(50ms));
    const auto wall = std::chrono::steady_clock::now() - wall_start;
    EXPECT_GE(slept, ns(50ms));
    EXPECT_LT(slept, ns(150ms));  // generous: a loaded CI machine
    EXPECT_GE(wall, 50ms);
}

}  // namespace
