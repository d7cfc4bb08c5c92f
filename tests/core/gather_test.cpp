#include <asyncio/core/gather.hpp>

#include <asyncio/core/sleep.hpp>
#include <asyncio/core/task.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

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

asyncio::Task<> worker(Trace* trace, std::string name, int steps) {
    for (int i = 0; i < steps; ++i) {
        trace->push_back(name + std::to_string(i));
        co_await asyncio::sleep(0);
    }
}

// CPython reference:
//   async def child(name): T(f"{name} start"); await asyncio.sleep(0); T(f"{name} end"); return name
//   async def main():
//       T("gather")
//       r = await asyncio.gather(child("g1"), child("g2"), worker("gw", 2))
//       T(f"gathered {r[0]} {r[1]}")
asyncio::Task<> gather_trace(Trace* trace) {
    trace->push_back("gather");
    auto [a, b, none] = co_await asyncio::gather(child(trace, "g1"), child(trace, "g2"), worker(trace, "gw", 2));
    static_assert(std::is_same_v<decltype(none), std::monostate>);
    trace->push_back("gathered " + a + " " + b);
}

TEST(Gather, RunsItsTasksConcurrentlyAsInCPython) {
    Trace trace;
    run_virtual(gather_trace(&trace));
    EXPECT_EQ(trace, (Trace{"gather", "g1 start", "g2 start", "gw0", "g1 end", "g2 end", "gw1", "gathered g1 g2"}));
}

asyncio::Task<int> value_after(asyncio::Duration delay, int value) {
    co_await asyncio::sleep(delay);
    co_return value;
}

asyncio::Task<std::string> results_in_order() {
    auto [a, b, c] = co_await asyncio::gather(value_after(30ms, 1), value_after(10ms, 2), value_after(20ms, 3));
    co_return std::to_string(a) + std::to_string(b) + std::to_string(c) + " at " + at();
}

TEST(Gather, ReturnsResultsInArgumentOrderOnceAllAreDone) {
    EXPECT_EQ(run_virtual(results_in_order()), "123 at 30ms");  // concurrent: 30 ms, not 60
}

asyncio::Task<std::string> vector_form() {
    std::vector<asyncio::Task<int>> tasks;
    for (int i = 0; i < 5; ++i) tasks.push_back(value_after(std::chrono::milliseconds(10 - i), i * i));
    std::vector<int> results = co_await asyncio::gather(std::move(tasks));
    std::string seen;
    for (int r : results) seen += std::to_string(r) + " ";
    co_return seen + "at " + at();
}

TEST(Gather, AVectorOfTasksGivesAVectorOfResults) { EXPECT_EQ(run_virtual(vector_form()), "0 1 4 9 16 at 10ms"); }

asyncio::Task<int> sleeper_with_cleanup(Trace* trace, std::string name, asyncio::Duration delay) {
    try {
        co_await asyncio::sleep(delay);
    } catch (const asyncio::CancelledError&) {
        trace->push_back(name + " cancelled at " + at());
        throw;
    }
    trace->push_back(name + " finished");
    co_return 0;
}

asyncio::Task<int> fail_after(Trace* trace, asyncio::Duration delay) {
    co_await asyncio::sleep(delay);
    trace->push_back("failing at " + at());
    throw std::runtime_error("sensor broke");
}

// CPython: the first failure propagates at once; the other children keep running.
asyncio::Task<> first_failure(Trace* trace) {
    try {
        co_await asyncio::gather(sleeper_with_cleanup(trace, "a", 10ms), fail_after(trace, 5ms),
                                 sleeper_with_cleanup(trace, "c", 1ms), sleeper_with_cleanup(trace, "d", 20ms));
    } catch (const std::runtime_error& e) {
        trace->push_back(std::string("gather threw '") + e.what() + "' at " + at());
    }
    co_await asyncio::sleep(1h);
}

TEST(Gather, TheFirstFailurePropagatesAtOnceAndTheOthersRunOn) {
    Trace trace;
    run_virtual(first_failure(&trace));
    EXPECT_EQ(trace, (Trace{"c finished", "failing at 5ms", "gather threw 'sensor broke' at 5ms", "a finished",
                            "d finished"}));
}

asyncio::Task<int> fail_now(std::string message) {
    co_await asyncio::sleep(0);
    throw std::runtime_error(message);
}

// CPython: a failure after the first is not reported as lost (gather marks it retrieved).
asyncio::Task<std::string> two_failures() {
    try {
        co_await asyncio::gather(fail_now("first"), fail_now("second"));
    } catch (const std::runtime_error& e) {
        co_return e.what();
    }
    co_return "no exception";
}

TEST(Gather, ALaterFailureIsNotReportedAsLost) {
    asyncio_test::CapturedReports reports;
    EXPECT_EQ(run_virtual(two_failures()), "first");
    EXPECT_TRUE(reports.lines().empty());
}

asyncio::Task<std::string> outcomes() {
    auto [value, error, cancelled] = co_await asyncio::gather(asyncio::return_exceptions, value_after(5ms, 7),
                                                              fail_now("broke"),
                                                              [](asyncio::Duration d) -> asyncio::Task<> {
                                                                  asyncio::current_task().cancel();
                                                                  co_await asyncio::sleep(d);
                                                              }(1ms));
    std::string seen = std::to_string(std::get<int>(value));
    try {
        std::rethrow_exception(std::get<std::exception_ptr>(error));
    } catch (const std::runtime_error& e) {
        seen += std::string(", ") + e.what();
    }
    try {
        std::rethrow_exception(std::get<std::exception_ptr>(cancelled));
    } catch (const asyncio::CancelledError&) {
        seen += ", CancelledError";
    }
    co_return seen + " at " + at();
}

TEST(Gather, ReturnExceptionsGivesEachChildsResultOrException) {
    EXPECT_EQ(run_virtual(outcomes()), "7, broke, CancelledError at 5ms");
}

asyncio::Task<> gatherer(Trace* trace) {
    try {
        co_await asyncio::gather(sleeper_with_cleanup(trace, "a", 1h), sleeper_with_cleanup(trace, "b", 1h));
    } catch (const asyncio::CancelledError&) {
        trace->push_back("gatherer cancelled at " + at());
        throw;
    }
}

asyncio::Task<> cancel_gatherer(Trace* trace) {
    auto task = asyncio::create_task(gatherer(trace));
    co_await asyncio::sleep(2ms);
    task.cancel();
    try {
        co_await task;
    } catch (const asyncio::CancelledError&) {
        trace->push_back("joined");
    }
}

TEST(Gather, CancellingTheGatheringTaskCancelsEveryChildFirst) {
    Trace trace;
    run_virtual(cancel_gatherer(&trace));
    EXPECT_EQ(trace, (Trace{"a cancelled at 2ms", "b cancelled at 2ms", "gatherer cancelled at 2ms", "joined"}));
}

asyncio::Task<> gather_with_cancel_pending(Trace* trace) {
    asyncio::current_task().cancel();  // pending when gather starts its children
    try {
        co_await asyncio::gather(sleeper_with_cleanup(trace, "a", 1h), sleeper_with_cleanup(trace, "b", 1h));
    } catch (const asyncio::CancelledError&) {
        trace->push_back("gather cancelled");
    }
    co_await asyncio::sleep(1h);  // had a child been left running, it would finish in this hour
}

TEST(Gather, APendingCancellationCancelsTheChildrenItStarted) {
    Trace trace;
    run_virtual(gather_with_cancel_pending(&trace));
    // The children were started and cancelled before their first step: they never ran.
    EXPECT_EQ(trace, (Trace{"gather cancelled"}));
}

asyncio::Task<> child_cancelled_elsewhere(Trace* trace) {
    auto victim = asyncio::create_task(sleeper_with_cleanup(trace, "victim", 1h));
    auto other = asyncio::create_task(sleeper_with_cleanup(trace, "other", 10ms));
    auto canceller = [](asyncio::TaskRef target) -> asyncio::Task<> {
        co_await asyncio::sleep(3ms);
        target.cancel();
    };
    auto c = asyncio::create_task(canceller(victim.ref()));
    try {
        co_await asyncio::gather(std::move(victim), std::move(other));
    } catch (const asyncio::CancelledError&) {
        trace->push_back("gather raised CancelledError at " + at());
    }
    co_await c;
    co_await asyncio::sleep(1h);
}

// CPython: a child's cancellation is the gather's failure; the other child runs on.
TEST(Gather, AChildCancelledByAnotherTaskCountsAsAFailure) {
    Trace trace;
    run_virtual(child_cancelled_elsewhere(&trace));
    EXPECT_EQ(trace, (Trace{"victim cancelled at 3ms", "gather raised CancelledError at 3ms", "other finished"}));
}

}  // namespace
