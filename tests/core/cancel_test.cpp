// Cancellation as a whole: what cancel() does to a task wherever it stands. Cancelling each kind
// of wait is tested beside its primitive (sleep_test, event_test, lock_test, ...).
#include <asyncio/core/errors.hpp>

#include <asyncio/core/event.hpp>
#include <asyncio/core/sleep.hpp>
#include <asyncio/core/task.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "core/test_support.hpp"

using namespace std::chrono_literals;
using asyncio_test::run_virtual;
using asyncio_test::Trace;

namespace {

asyncio::Task<> worker(Trace* trace, std::string name, int steps) {
    for (int i = 0; i < steps; ++i) {
        trace->push_back(name + std::to_string(i));
        co_await asyncio::sleep(0);
    }
}

asyncio::Task<> cancellee(Trace* trace, std::string name) {
    struct Finally {
        Trace* trace;
        std::string name;
        ~Finally() { trace->push_back(name + " cleanup"); }
    } finally{trace, name};
    try {
        trace->push_back(name + " sleeps");
        co_await asyncio::sleep(10s);
    } catch (const asyncio::CancelledError&) {
        trace->push_back(name + " cancelled");
        throw;
    }
}

// CPython reference:
//   async def cancellee(name):
//       try: T(f"{name} sleeps"); await asyncio.sleep(10)
//       except asyncio.CancelledError: T(f"{name} cancelled"); raise
//       finally: T(f"{name} cleanup")
//   async def main():
//       a = asyncio.create_task(cancellee("a")); b = asyncio.create_task(worker("w", 3))
//       await asyncio.sleep(0); T("cancel a"); a.cancel(); T("cancel returned")
//       try: await a
//       except asyncio.CancelledError: T("join saw cancel")
//       await b
asyncio::Task<> cancel_trace(Trace* trace) {
    auto a = asyncio::create_task(cancellee(trace, "a"));
    auto b = asyncio::create_task(worker(trace, "w", 3));
    co_await asyncio::sleep(0);
    trace->push_back("cancel a");
    a.cancel();
    trace->push_back("cancel returned");
    try {
        co_await a;
    } catch (const asyncio::CancelledError&) {
        trace->push_back("join saw cancel");
    }
    co_await b;
}

TEST(Cancel, CancelDuringASleepRunsCleanupInTheOrderCPythonDoes) {
    Trace trace;
    run_virtual(cancel_trace(&trace));
    EXPECT_EQ(trace, (Trace{"a sleeps", "w0", "cancel a", "cancel returned", "w1", "a cancelled", "a cleanup", "w2",
                            "join saw cancel"}));
}

asyncio::Task<> records_start(Trace* trace) {
    trace->push_back("body ran");
    co_return;
}

asyncio::Task<std::string> cancel_before_start(Trace* trace) {
    auto task = asyncio::create_task(records_start(trace));
    const bool accepted = task.cancel();
    try {
        co_await task;
    } catch (const asyncio::CancelledError&) {
        co_return std::string(accepted ? "accepted, " : "refused, ") + (task.cancelled() ? "cancelled" : "?");
    }
    co_return "joined normally";
}

TEST(Cancel, ATaskCancelledBeforeItStartsNeverRuns) {
    Trace trace;
    EXPECT_EQ(run_virtual(cancel_before_start(&trace)), "accepted, cancelled");
    EXPECT_TRUE(trace.empty());
}

asyncio::Task<int> catch_and_continue(Trace* trace) {
    try {
        co_await asyncio::sleep(10s);
    } catch (const asyncio::CancelledError&) {
        trace->push_back("caught at " + std::to_string(asyncio_test::now() / 1ms));
    }
    co_await asyncio::sleep(3ms);  // the cancellation was consumed: this sleep is not cut short
    trace->push_back("slept again until " + std::to_string(asyncio_test::now() / 1ms));
    co_return 7;
}

asyncio::Task<int> cancel_then_join(Trace* trace) {
    auto task = asyncio::create_task(catch_and_continue(trace));
    co_await asyncio::sleep(1ms);
    task.cancel();
    const int result = co_await task;
    trace->push_back(task.cancelled() ? "cancelled" : "finished normally");
    co_return result;
}

TEST(Cancel, ATaskMayCatchTheCancellationAndCarryOn) {
    Trace trace;
    EXPECT_EQ(run_virtual(cancel_then_join(&trace)), 7);
    EXPECT_EQ(trace, (Trace{"caught at 1", "slept again until 4", "finished normally"}));
}

asyncio::Task<> deep(Trace* trace, int depth) {
    struct Unwind {
        Trace* trace;
        int depth;
        ~Unwind() { trace->push_back("unwind " + std::to_string(depth)); }
    } unwind{trace, depth};
    if (depth == 0) {
        co_await asyncio::sleep(1h);
        trace->push_back("bottom woke");
    } else {
        co_await deep(trace, depth - 1);
    }
}

asyncio::Task<> cancel_deep(Trace* trace) {
    auto task = asyncio::create_task(deep(trace, 3));
    co_await asyncio::sleep(1ms);
    task.cancel();
    try {
        co_await task;
    } catch (const asyncio::CancelledError&) {
        trace->push_back("joined: cancelled");
    }
}

TEST(Cancel, CancellingATaskUnwindsEveryInlineAwaitFromTheInnermost) {
    Trace trace;
    run_virtual(cancel_deep(&trace));
    EXPECT_EQ(trace, (Trace{"unwind 0", "unwind 1", "unwind 2", "unwind 3", "joined: cancelled"}));
}

asyncio::Task<int> child_with_cleanup(Trace* trace) {
    try {
        co_await asyncio::sleep(1h);
    } catch (const asyncio::CancelledError&) {
        trace->push_back("child cancelled");
        throw;
    }
    co_return 1;
}

asyncio::Task<> parent_awaiting_child(Trace* trace) {
    auto child = asyncio::create_task(child_with_cleanup(trace), "child");
    try {
        co_await child;
    } catch (const asyncio::CancelledError&) {
        trace->push_back(std::string("parent cancelled; child ") + (child.done() ? "done" : "running"));
        throw;
    }
}

asyncio::Task<> cancel_parent(Trace* trace) {
    auto parent = asyncio::create_task(parent_awaiting_child(trace));
    co_await asyncio::sleep(1ms);
    parent.cancel();
    try {
        co_await parent;
    } catch (const asyncio::CancelledError&) {
        trace->push_back("parent joined");
    }
}

TEST(Cancel, CancellingATaskCancelsTheTaskItAwaitsAndWaitsForIt) {
    Trace trace;
    run_virtual(cancel_parent(&trace));
    EXPECT_EQ(trace, (Trace{"child cancelled", "parent cancelled; child done", "parent joined"}));
}

asyncio::Task<> join_with_cancel_pending(Trace* trace) {
    auto child = asyncio::create_task(child_with_cleanup(trace));
    co_await asyncio::sleep(0);      // the child starts and sleeps
    asyncio::current_task().cancel();  // pending: delivered at the next co_await...
    try {
        co_await child;  // ...which is a join: it passes the cancellation on to the child
    } catch (const asyncio::CancelledError&) {
        trace->push_back(std::string("join cancelled; child ") + (child.cancelled() ? "cancelled" : "not cancelled"));
    }
}

TEST(Cancel, APendingCancellationReachesTheTaskBeingJoined) {
    Trace trace;
    run_virtual(join_with_cancel_pending(&trace));
    EXPECT_EQ(trace, (Trace{"child cancelled", "join cancelled; child cancelled"}));
}

asyncio::Task<> woken_then_cancelled(asyncio::Event* event, Trace* trace) {
    try {
        co_await event->wait();
        trace->push_back("wait returned");
    } catch (const asyncio::CancelledError&) {
        trace->push_back("wait threw CancelledError");
    }
}

asyncio::Task<> cancel_a_woken_task(Trace* trace) {
    asyncio::Event event;
    auto task = asyncio::create_task(woken_then_cancelled(&event, trace));
    co_await asyncio::sleep(0);
    event.set();    // the task is ready to run...
    task.cancel();  // ...and is cancelled before it does
    co_await task;
}

TEST(Cancel, ACancelArrivingAfterTheWakeUpIsStillDeliveredAtThatAwait) {
    Trace trace;
    run_virtual(cancel_a_woken_task(&trace));
    EXPECT_EQ(trace, (Trace{"wait threw CancelledError"}));
}

asyncio::Task<std::string> cancel_self() {
    asyncio::current_task().cancel();
    std::string seen = "ran on";  // cancel() does not stop the running step
    try {
        co_await asyncio::sleep(0);
        seen += ", sleep returned";
    } catch (const asyncio::CancelledError&) {
        seen += ", sleep threw";
    }
    co_await asyncio::sleep(0);  // consumed: no second CancelledError
    co_return seen;
}

TEST(Cancel, CancellingTheRunningTaskTakesEffectAtItsNextAwait) { EXPECT_EQ(run_virtual(cancel_self()), "ran on, sleep threw"); }

asyncio::Task<int> returns_without_awaiting() {
    asyncio::current_task().cancel();
    co_return 5;
}

// CPython: a task whose coroutine returns with a cancellation requested and not yet delivered
// ends cancelled, its result dropped.
asyncio::Task<std::string> cancel_requested_at_return() {
    auto task = asyncio::create_task(returns_without_awaiting());
    try {
        co_await task;
        co_return "returned";
    } catch (const asyncio::CancelledError&) {
        co_return task.cancelled() ? "cancelled" : "CancelledError, not cancelled";
    }
}

TEST(Cancel, ATaskThatReturnsWithACancellationPendingEndsCancelled) {
    EXPECT_EQ(run_virtual(cancel_requested_at_return()), "cancelled");
}

TEST(Cancel, CancellingAFinishedTaskIsRefused) {
    Trace trace;
    auto main = [](Trace* t) -> asyncio::Task<std::string> {
        auto task = asyncio::create_task(records_start(t));
        co_await task;
        co_return task.cancel() ? "accepted" : "refused";
    };
    EXPECT_EQ(run_virtual(main(&trace)), "refused");
}

}  // namespace
