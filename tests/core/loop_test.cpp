#include <asyncio/core/loop.hpp>

#include <asyncio/core/event.hpp>
#include <asyncio/core/frame_allocator.hpp>
#include <asyncio/core/sleep.hpp>
#include <asyncio/core/task.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/test_support.hpp"

using namespace std::chrono_literals;
using asyncio_test::CapturedReports;
using asyncio_test::run_virtual;
using asyncio_test::Trace;

namespace {

asyncio::Task<> worker(Trace* trace, std::string name, int steps) {
    for (int i = 0; i < steps; ++i) {
        trace->push_back(name + std::to_string(i));
        co_await asyncio::sleep(0);
    }
}

// CPython reference (python3 3.11, asyncio.run(main()); print(trace)):
//   async def worker(name, n):
//       for i in range(n):
//           T(f"{name}{i}"); await asyncio.sleep(0)
//   async def main():
//       T("main start")
//       a = asyncio.create_task(worker("a", 3)); b = asyncio.create_task(worker("b", 2))
//       T("main created"); await asyncio.sleep(0); T("main resumed")
//       c = asyncio.create_task(worker("c", 2))
//       await a; T("a joined"); await b; await c; T("main end")
asyncio::Task<> fairness(Trace* trace) {
    trace->push_back("main start");
    auto a = asyncio::create_task(worker(trace, "a", 3));
    auto b = asyncio::create_task(worker(trace, "b", 2));
    trace->push_back("main created");
    co_await asyncio::sleep(0);
    trace->push_back("main resumed");
    auto c = asyncio::create_task(worker(trace, "c", 2));
    co_await a;
    trace->push_back("a joined");
    co_await b;
    co_await c;
    trace->push_back("main end");
}

TEST(Loop, ReadyTasksRunInTheOrderCPythonRunsThem) {
    Trace trace;
    run_virtual(fairness(&trace));
    EXPECT_EQ(trace, (Trace{"main start", "main created", "a0", "b0", "main resumed", "a1", "b1", "c0", "a2", "c1",
                            "a joined", "main end"}));
}

// CPython reference:
//   async def nested(name, depth):
//       if depth == 0:
//           T(f"{name} bottom"); await asyncio.sleep(0); T(f"{name} bottom resumed"); return
//       await nested(name, depth - 1); T(f"{name} up {depth}")
//   async def main():
//       a = asyncio.create_task(nested("a", 2)); b = asyncio.create_task(nested("b", 1))
//       await a; await b
asyncio::Task<> nested(Trace* trace, std::string name, int depth) {
    if (depth == 0) {
        trace->push_back(name + " bottom");
        co_await asyncio::sleep(0);
        trace->push_back(name + " bottom resumed");
        co_return;
    }
    co_await nested(trace, name, depth - 1);
    trace->push_back(name + " up " + std::to_string(depth));
}

asyncio::Task<> two_nested(Trace* trace) {
    auto a = asyncio::create_task(nested(trace, "a", 2));
    auto b = asyncio::create_task(nested(trace, "b", 1));
    co_await a;
    co_await b;
}

TEST(Loop, InlineAwaitsRunWithinTheirTasksStepAsInCPython) {
    Trace trace;
    run_virtual(two_nested(&trace));
    EXPECT_EQ(trace, (Trace{"a bottom", "b bottom", "a bottom resumed", "a up 1", "a up 2", "b bottom resumed", "b up 1"}));
}

// CPython reference:
//   async def main():
//       loop = asyncio.get_running_loop()
//       loop.call_soon(lambda: T("soon1"))
//       loop.call_later(0.010, lambda: T("later10"))
//       loop.call_later(0.005, lambda: T("later5")); loop.call_later(0.005, lambda: T("later5bis"))
//       loop.call_soon(lambda: T("soon2"))
//       t = asyncio.create_task(worker("t", 2))
//       T("main"); await asyncio.sleep(0); T("main2"); await asyncio.sleep(0.02); T("main3"); await t
asyncio::Task<> callbacks(Trace* trace) {
    asyncio::EventLoop& loop = asyncio::get_event_loop();
    loop.call_soon([trace] { trace->push_back("soon1"); });
    loop.call_later(10ms, [trace] { trace->push_back("later10"); });
    loop.call_later(5ms, [trace] { trace->push_back("later5"); });
    loop.call_later(5ms, [trace] { trace->push_back("later5bis"); });
    loop.call_soon([trace] { trace->push_back("soon2"); });
    auto t = asyncio::create_task(worker(trace, "t", 2));
    trace->push_back("main");
    co_await asyncio::sleep(0);
    trace->push_back("main2");
    co_await asyncio::sleep(20ms);
    trace->push_back("main3");
    co_await t;
}

TEST(Loop, CallbacksAndTasksInterleaveAsInCPython) {
    Trace trace;
    run_virtual(callbacks(&trace));
    EXPECT_EQ(trace, (Trace{"main", "soon1", "soon2", "t0", "main2", "t1", "later5", "later5bis", "later10", "main3"}));
}

asyncio::Task<> cancelled_callback(Trace* trace) {
    asyncio::EventLoop& loop = asyncio::get_event_loop();
    asyncio::TimerHandle soon = loop.call_soon([trace] { trace->push_back("soon"); });
    asyncio::TimerHandle later = loop.call_later(5ms, [trace] { trace->push_back("later"); });
    loop.call_at(loop.time() + 6ms, [trace] { trace->push_back("at 6ms"); });
    soon.cancel();
    later.cancel();
    EXPECT_TRUE(later.cancelled());
    co_await asyncio::sleep(10ms);
}

TEST(Loop, ACancelledCallbackNeverRuns) {
    Trace trace;
    run_virtual(cancelled_callback(&trace));
    EXPECT_EQ(trace, (Trace{"at 6ms"}));
}

asyncio::Task<> throwing_callback(Trace* trace) {
    asyncio::get_event_loop().call_soon([] { throw std::runtime_error("callback broke"); });
    asyncio::get_event_loop().call_soon([trace] { trace->push_back("next callback"); });
    co_await asyncio::sleep(1ms);
    trace->push_back("task goes on");
}

TEST(Loop, ACallbackThatThrowsIsReportedAndTheLoopGoesOn) {
    CapturedReports reports;
    Trace trace;
    run_virtual(throwing_callback(&trace));
    EXPECT_EQ(trace, (Trace{"next callback", "task goes on"}));
    EXPECT_EQ(reports.count({"callback", "callback broke"}), 1U);
}

asyncio::Task<int> threadsafe_callbacks() {
    asyncio::EventLoop& loop = asyncio::get_event_loop();
    asyncio::Event all_in;
    std::vector<int> received;
    constexpr int count = 1000;
    std::thread producer([&loop, &all_in, &received] {
        for (int i = 0; i < count; ++i) {
            loop.call_soon_threadsafe([i, &all_in, &received] {
                received.push_back(i);
                if (i == count - 1) all_in.set();
            });
        }
    });
    co_await all_in.wait();  // the loop sleeps in the OS until the other thread wakes it
    producer.join();
    for (int i = 0; i < count; ++i) {
        if (received[static_cast<std::size_t>(i)] != i) co_return -1;
    }
    co_return static_cast<int>(received.size());
}

TEST(Loop, CallSoonThreadsafeWakesTheLoopAndKeepsCallOrder) { EXPECT_EQ(asyncio::run(threadsafe_callbacks()), 1000); }

// --- run() reaps what the main task leaves behind ---

asyncio::Task<> sleeps_then_cleans(Trace* trace, std::string name) {
    struct Cleanup {
        Trace* trace;
        std::string name;
        ~Cleanup() { trace->push_back(name + " destructor"); }
    } cleanup{trace, name};
    try {
        co_await asyncio::sleep(1h);
        trace->push_back(name + " woke");
    } catch (const asyncio::CancelledError&) {
        trace->push_back(name + " cancelled");
        throw;
    }
}

asyncio::Task<> leave_tasks_behind(Trace* trace) {
    asyncio::create_task(sleeps_then_cleans(trace, "a"));
    asyncio::create_task(sleeps_then_cleans(trace, "b"));
    asyncio::create_task(sleeps_then_cleans(trace, "c"));
    co_await asyncio::sleep(0);  // all three start, and sleep
    trace->push_back("main done");
}

TEST(Loop, RunCancelsLeftoverTasksAndTheirCleanupRuns) {
    CapturedReports reports;
    Trace trace;
    const auto before = asyncio::frame_stats();
    run_virtual(leave_tasks_behind(&trace));
    EXPECT_EQ(trace, (Trace{"main done", "a cancelled", "a destructor", "b cancelled", "b destructor",
                            "c cancelled", "c destructor"}));
    EXPECT_EQ(asyncio::frame_stats().live_frames, before.live_frames);
    EXPECT_TRUE(reports.lines().empty());
}

asyncio::Task<> leave_unstarted(Trace* trace) {
    asyncio::create_task(sleeps_then_cleans(trace, "unstarted"));
    trace->push_back("main done");
    co_return;
}

TEST(Loop, ALeftoverTaskThatNeverStartedNeverRuns) {
    Trace trace;
    run_virtual(leave_unstarted(&trace));
    // Its frame is destroyed without running a line of its body: only the parameters go.
    EXPECT_EQ(trace, (Trace{"main done"}));
}

asyncio::Task<> ignores_cancellation(asyncio::Event* never, Trace* trace) {
    try {
        co_await asyncio::sleep(1h);
    } catch (const asyncio::CancelledError&) {
        trace->push_back("caught, waiting again");
    }
    co_await never->wait();  // nobody will ever set it
    trace->push_back("never printed");
}

asyncio::Task<asyncio::Task<>> leave_stubborn_task(asyncio::Event* never, Trace* trace) {
    asyncio::Task<> stubborn = asyncio::create_task(ignores_cancellation(never, trace), "stubborn");
    co_await asyncio::sleep(0);
    co_return stubborn;  // the handle outlives the loop
}

TEST(Loop, ATaskThatIgnoresCancellationAtShutdownIsReportedAndDestroyed) {
    CapturedReports reports;
    Trace trace;
    asyncio::Event never;
    const auto before = asyncio::frame_stats();
    {
        asyncio::Task<> stubborn = run_virtual(leave_stubborn_task(&never, &trace));
        EXPECT_EQ(trace, (Trace{"caught, waiting again"}));
        EXPECT_EQ(reports.count({"stubborn", "shutdown"}), 1U) << ::testing::PrintToString(reports.lines());
        // The loop is gone: the handle sees a finished, cancelled task, and nothing wakes it.
        EXPECT_TRUE(stubborn.done());
        EXPECT_TRUE(stubborn.cancelled());
        never.set();
        EXPECT_FALSE(stubborn.cancel());
    }
    EXPECT_EQ(asyncio::frame_stats().live_frames, before.live_frames);
    EXPECT_EQ(trace.size(), 1U);
}

// --- introspection ---

asyncio::Task<> step_n_times(int n) {
    for (int i = 0; i < n; ++i) co_await asyncio::sleep(0);
}

asyncio::Task<> wait_event(asyncio::Event* event) { co_await event->wait(); }

asyncio::Task<std::vector<asyncio::TaskInfo>> introspect() {
    asyncio::Event never;
    auto a = asyncio::create_task(step_n_times(4), "four-steps");
    auto w = asyncio::create_task(wait_event(&never), "waiter");
    co_await asyncio::sleep(0);
    std::vector<asyncio::TaskInfo> snapshot = asyncio::get_event_loop().tasks();
    co_await a;
    w.cancel();
    co_await asyncio::sleep(0);
    EXPECT_EQ(a.state().steps(), 5U);  // 4 yields + the final step
    EXPECT_EQ(asyncio::get_event_loop().task_count(), 1U);  // only the main task is left
    co_return snapshot;
}

TEST(Loop, IntrospectionListsTasksWithNamesStatesAndSteps) {
    auto tasks = run_virtual(introspect());
    ASSERT_EQ(tasks.size(), 3U);
    EXPECT_EQ(tasks[0].name, "Task-1");  // main, running (it took the snapshot)
    EXPECT_EQ(tasks[0].state, "ready");
    EXPECT_EQ(tasks[1].name, "four-steps");
    EXPECT_EQ(tasks[1].state, "ready");
    EXPECT_EQ(tasks[1].steps, 1U);
    EXPECT_EQ(tasks[2].name, "waiter");
    EXPECT_EQ(tasks[2].state, "waiting");
}

asyncio::Task<> hog(asyncio::VirtualClock* clock, asyncio::Duration held) {
    co_await asyncio::sleep(0);
    clock->advance(held);  // as if this step computed for `held` without awaiting
}

asyncio::Task<> hog_and_wait(asyncio::VirtualClock* clock) {
    co_await asyncio::create_task(hog(clock, 250ms), "hog");
    co_await asyncio::create_task(hog(clock, 50ms), "polite");
}

TEST(Loop, AStepHoldingTheLoopTooLongIsReportedWithItsTaskName) {
    CapturedReports reports;
    auto clock_owner = std::make_unique<asyncio::VirtualClock>();
    asyncio::VirtualClock* clock = clock_owner.get();
    asyncio::EventLoop loop(std::move(clock_owner));
    loop.set_stall_threshold(100ms);
    loop.run_until_complete(hog_and_wait(clock));
    EXPECT_EQ(reports.count({"'hog'", "250 ms"}), 1U) << ::testing::PrintToString(reports.lines());
    EXPECT_EQ(reports.lines().size(), 1U);  // 50 ms is under the threshold
    EXPECT_EQ(loop.stats().stalls, 1U);
    EXPECT_EQ(loop.stats().longest_step, asyncio_test::ns(250ms));
    EXPECT_EQ(loop.stats().longest_step_task, "hog");
    EXPECT_EQ(loop.stats().tasks_created, 3U);
}

asyncio::Task<> three_callbacks() {
    for (int i = 0; i < 3; ++i) asyncio::get_event_loop().call_soon([] {});
    co_await asyncio::sleep(0);
}

TEST(Loop, StatsCountTaskStepsAndCallbacks) {
    asyncio::EventLoop loop(std::make_unique<asyncio::VirtualClock>());
    loop.run_until_complete(three_callbacks());
    EXPECT_EQ(loop.stats().steps, 5U);  // two steps of the task, three callbacks
}

asyncio::Task<> stop_after(asyncio::EventLoop* loop, Trace* trace) {
    co_await asyncio::sleep(5ms);
    trace->push_back("stopping");
    loop->stop();
}

TEST(Loop, StopEndsRunForever) {
    Trace trace;
    asyncio::EventLoop loop(std::make_unique<asyncio::VirtualClock>());
    auto task = stop_after(&loop, &trace);
    loop.start(task.state());
    loop.run_forever();
    EXPECT_EQ(trace, (Trace{"stopping"}));
    EXPECT_EQ(loop.time().time_since_epoch(), asyncio_test::ns(5ms));
    EXPECT_FALSE(loop.is_running());
    EXPECT_TRUE(task.done());
}

}  // namespace
