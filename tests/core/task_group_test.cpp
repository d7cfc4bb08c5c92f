#include <asyncio/core/task_group.hpp>

#include <asyncio/core/sleep.hpp>
#include <asyncio/core/task.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>

#include "core/test_support.hpp"

using namespace std::chrono_literals;
using asyncio_test::run_virtual;
using asyncio_test::Trace;

namespace {

std::string at() { return std::to_string(asyncio_test::now() / 1ms) + "ms"; }

asyncio::Task<std::string> child(Trace* trace, std::string name) {
    trace->push_back(name + " start");
    co_await asyncio::sleep(0);
    trace->push_back(name + " end");
    co_return name;
}

// CPython reference:
//   async def main():
//       async with asyncio.TaskGroup() as tg:
//           tg.create_task(child("t1")); tg.create_task(child("t2")); T("body")
//       T("group done")
asyncio::Task<> group_trace(Trace* trace) {
    asyncio::TaskGroup group;
    group.create_task(child(trace, "t1"));
    group.create_task(child(trace, "t2"));
    trace->push_back("body");
    co_await group.wait();
    trace->push_back("group done");
}

TEST(TaskGroup, WaitJoinsEveryChildAsInCPython) {
    Trace trace;
    run_virtual(group_trace(&trace));
    EXPECT_EQ(trace, (Trace{"body", "t1 start", "t2 start", "t1 end", "t2 end", "group done"}));
}

asyncio::Task<int> value_after(asyncio::Duration delay, int value) {
    co_await asyncio::sleep(delay);
    co_return value;
}

asyncio::Task<std::string> results_and_late_children() {
    asyncio::TaskGroup group;
    auto a = group.create_task(value_after(10ms, 1));
    auto spawner = [](asyncio::TaskGroup* g, int* late) -> asyncio::Task<> {
        co_await asyncio::sleep(5ms);
        auto t = g->create_task(value_after(20ms, 2));  // added while wait() is in progress
        *late = co_await t;
    };
    int late = 0;
    group.create_task(spawner(&group, &late));
    co_await group.wait();
    co_return std::to_string(a.result()) + " " + std::to_string(late) + " at " + at() + ", size " +
              std::to_string(group.size());
}

TEST(TaskGroup, WaitAlsoJoinsChildrenStartedWhileItWaits) {
    EXPECT_EQ(run_virtual(results_and_late_children()), "1 2 at 25ms, size 0");
}

asyncio::Task<> sleeper_with_cleanup(Trace* trace, std::string name, asyncio::Duration delay) {
    try {
        co_await asyncio::sleep(delay);
    } catch (const asyncio::CancelledError&) {
        trace->push_back(name + " cancelled at " + at());
        throw;
    }
    trace->push_back(name + " finished");
}

asyncio::Task<> fail_after(Trace* trace, asyncio::Duration delay, std::string message) {
    co_await asyncio::sleep(delay);
    trace->push_back("failing at " + at());
    throw std::runtime_error(message);
}

asyncio::Task<> first_failure(Trace* trace) {
    asyncio::TaskGroup group;
    group.create_task(sleeper_with_cleanup(trace, "a", 1h));
    group.create_task(fail_after(trace, 5ms, "child failed"));
    group.create_task(sleeper_with_cleanup(trace, "c", 1ms));
    try {
        co_await group.wait();
    } catch (const asyncio::ExceptionGroup& errors) {
        EXPECT_EQ(errors.exceptions().size(), 1U);
        try {
            std::rethrow_exception(errors.exceptions().front());
        } catch (const std::runtime_error& e) {
            trace->push_back(std::string("group threw '") + e.what() + "' at " + at());
        }
    }
}

TEST(TaskGroup, TheFirstFailureCancelsTheSiblingsAndIsRethrownOnceAllAreDone) {
    asyncio_test::CapturedReports reports;
    Trace trace;
    run_virtual(first_failure(&trace));
    EXPECT_EQ(trace, (Trace{"c finished", "failing at 5ms", "a cancelled at 5ms", "group threw 'child failed' at 5ms"}));
    EXPECT_TRUE(reports.lines().empty());  // the failure was retrieved by the group
}

asyncio::Task<> in_group(Trace* trace) {
    asyncio::TaskGroup group;
    group.create_task(sleeper_with_cleanup(trace, "a", 1h));
    group.create_task(sleeper_with_cleanup(trace, "b", 1h));
    try {
        co_await group.wait();
    } catch (const asyncio::CancelledError&) {
        trace->push_back("parent cancelled at " + at() + ", " + std::to_string(group.size()) + " children left");
        throw;
    }
}

asyncio::Task<> cancel_parent(Trace* trace, bool before_wait) {
    auto parent = asyncio::create_task(in_group(trace));
    if (before_wait) {
        parent.cancel();  // before the parent even ran: cancelled before its first step
    } else {
        co_await asyncio::sleep(2ms);
        parent.cancel();
    }
    try {
        co_await parent;
    } catch (const asyncio::CancelledError&) {
        trace->push_back("joined");
    }
}

TEST(TaskGroup, CancellingTheParentCancelsEveryChildAndWaitsForThem) {
    Trace trace;
    run_virtual(cancel_parent(&trace, false));
    EXPECT_EQ(trace, (Trace{"a cancelled at 2ms", "b cancelled at 2ms", "parent cancelled at 2ms, 0 children left", "joined"}));
}

asyncio::Task<> cancel_pending_at_wait(Trace* trace) {
    asyncio::TaskGroup group;
    group.create_task(sleeper_with_cleanup(trace, "a", 1h));
    co_await asyncio::sleep(1ms);
    asyncio::current_task().cancel();  // pending when wait() starts
    try {
        co_await group.wait();
    } catch (const asyncio::CancelledError&) {
        trace->push_back("wait cancelled, " + std::to_string(group.size()) + " children left");
    }
}

TEST(TaskGroup, APendingCancellationAtWaitCancelsTheChildren) {
    Trace trace;
    run_virtual(cancel_pending_at_wait(&trace));
    EXPECT_EQ(trace, (Trace{"a cancelled at 1ms", "wait cancelled, 0 children left"}));
}

asyncio::Task<std::string> closed_group() {
    asyncio::TaskGroup group;
    group.create_task(value_after(1ms, 1));
    co_await group.wait();
    try {
        group.create_task(value_after(1ms, 2));
    } catch (const asyncio::InvalidStateError&) {
        co_return "refused after wait";
    }
    co_return "accepted";
}

TEST(TaskGroup, CreateTaskAfterTheGroupFinishedIsRefused) { EXPECT_EQ(run_virtual(closed_group()), "refused after wait"); }

asyncio::Task<> body_fails(Trace* trace) {
    asyncio::TaskGroup group;
    group.create_task(sleeper_with_cleanup(trace, "a", 1h));
    co_await asyncio::sleep(1ms);
    throw std::runtime_error("body failed");  // the group is destroyed without wait()
}

asyncio::Task<> run_failing_body(Trace* trace) {
    try {
        co_await body_fails(trace);
    } catch (const std::runtime_error&) {
        trace->push_back("body failed at " + at());
    }
    co_await asyncio::sleep(1ms);  // the cancelled child runs its cleanup
}

TEST(TaskGroup, AGroupDestroyedWithoutWaitCancelsItsChildren) {
    Trace trace;
    run_virtual(run_failing_body(&trace));
    EXPECT_EQ(trace, (Trace{"body failed at 1ms", "a cancelled at 1ms"}));
}

asyncio::Task<> cancelled_child_is_not_a_failure(Trace* trace) {
    asyncio::TaskGroup group;
    auto victim = group.create_task(sleeper_with_cleanup(trace, "victim", 1h));
    group.create_task(sleeper_with_cleanup(trace, "sibling", 5ms));
    co_await asyncio::sleep(1ms);
    victim.cancel();
    co_await group.wait();  // does not throw: a cancelled child is not a failed one
    trace->push_back("group done at " + at());
}

TEST(TaskGroup, AChildCancelledOnItsOwnDoesNotFailTheGroup) {
    Trace trace;
    run_virtual(cancelled_child_is_not_a_failure(&trace));
    EXPECT_EQ(trace, (Trace{"victim cancelled at 1ms", "sibling finished", "group done at 5ms"}));
}

}  // namespace
