// shield(task): the awaiting task's cancellation stops at the shield; the shielded task runs on.
#include <asyncio/core/errors.hpp>
#include <asyncio/core/event.hpp>
#include <asyncio/core/gather.hpp>
#include <asyncio/core/shield.hpp>
#include <asyncio/core/sleep.hpp>
#include <asyncio/core/task.hpp>
#include <asyncio/core/wait.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <tuple>

#include "core/test_support.hpp"

namespace {

using namespace std::chrono_literals;
using asyncio_test::CapturedReports;
using asyncio_test::run_virtual;

asyncio::Task<int> value_after(asyncio::Duration delay, int value) {
    co_await asyncio::sleep(delay);
    co_return value;
}

asyncio::Task<int> fail_after(asyncio::Duration delay) {
    co_await asyncio::sleep(delay);
    throw std::runtime_error("boom");
}

asyncio::Task<> yields_the_result_of_a_coroutine_and_of_a_task() {
    EXPECT_EQ(co_await asyncio::shield(value_after(1ms, 7)), 7);
    auto task = asyncio::create_task(value_after(1ms, 8));
    int& result = co_await asyncio::shield(task);  // a reference into the task, as `co_await task`
    EXPECT_EQ(result, 8);
    EXPECT_EQ(co_await asyncio::shield(task), 8);  // done already: no suspension
}

TEST(Shield, YieldsTheResult) { run_virtual(yields_the_result_of_a_coroutine_and_of_a_task()); }

asyncio::Task<> rethrows_the_exception() {
    EXPECT_THROW(co_await asyncio::shield(fail_after(1ms)), std::runtime_error);
}

TEST(Shield, RethrowsTheException) { run_virtual(rethrows_the_exception()); }

asyncio::Task<> awaits_shielded(asyncio::Task<int>& inner, bool& reached_the_end) {
    co_await asyncio::shield(inner);
    reached_the_end = true;
}

asyncio::Task<> cancelling_the_awaiting_task_leaves_the_inner_one_running() {
    auto inner = asyncio::create_task(value_after(10ms, 5));
    bool reached_the_end = false;
    auto outer = asyncio::create_task(awaits_shielded(inner, reached_the_end));
    co_await asyncio::sleep(1ms);
    outer.cancel();
    co_await asyncio::sleep(0ms);
    EXPECT_TRUE(outer.done());  // at once, not when the inner task ends
    EXPECT_TRUE(outer.cancelled());
    EXPECT_FALSE(reached_the_end);
    EXPECT_FALSE(inner.done());
    EXPECT_EQ(inner.cancelling(), 0u);
    EXPECT_EQ(co_await inner, 5);
}

TEST(Shield, CancellingTheAwaitingTaskLeavesTheInnerOneRunning) {
    run_virtual(cancelling_the_awaiting_task_leaves_the_inner_one_running());
}

asyncio::Task<> cancelling_the_inner_task_cancels_the_awaiter() {
    auto inner = asyncio::create_task(value_after(10ms, 5));
    bool reached_the_end = false;
    auto outer = asyncio::create_task(awaits_shielded(inner, reached_the_end));
    co_await asyncio::sleep(1ms);
    inner.cancel("stop");
    co_await asyncio::wait(outer);
    EXPECT_TRUE(outer.cancelled());
    EXPECT_FALSE(reached_the_end);
    try {
        outer.result();
    } catch (const asyncio::CancelledError& error) {
        EXPECT_EQ(error.message(), "stop");  // the inner task's CancelledError
    }
}

TEST(Shield, CancellingTheInnerTaskCancelsTheAwaiter) { run_virtual(cancelling_the_inner_task_cancels_the_awaiter()); }

asyncio::Task<> cancel_pending_before_the_shield() {
    auto inner = asyncio::create_task(value_after(5ms, 1));
    asyncio::current_task().cancel();
    EXPECT_THROW(co_await asyncio::shield(inner), asyncio::CancelledError);
    asyncio::current_task().uncancel();
    EXPECT_FALSE(inner.done());
    EXPECT_EQ(co_await inner, 1);
}

TEST(Shield, ACancellationPendingBeforeTheShieldRaisesAtOnce) { run_virtual(cancel_pending_before_the_shield()); }

asyncio::Task<> an_unretrieved_failure_is_reported_once(int& reports) {
    CapturedReports captured;
    {
        auto inner = asyncio::create_task(fail_after(5ms));
        bool reached_the_end = false;
        for (int i = 0; i < 2; ++i) {  // two shields over it, both cancelled
            auto outer = asyncio::create_task(awaits_shielded(inner, reached_the_end));
            co_await asyncio::sleep(1ms);
            outer.cancel();
            co_await asyncio::wait(outer);
        }
        co_await asyncio::wait(inner);
    }
    reports = static_cast<int>(captured.count({"never retrieved", "boom"}));
}

TEST(Shield, AFailureNobodyRetrievesIsReportedOnce) {
    int reports = -1;
    run_virtual(an_unretrieved_failure_is_reported_once(reports));
    EXPECT_EQ(reports, 1);
}

asyncio::Task<> shields_a_gather() {
    auto parent = asyncio::create_task(asyncio::gather(value_after(2ms, 1), value_after(3ms, 2)));
    bool unused = false;
    auto outer = asyncio::create_task([](asyncio::Task<std::tuple<int, int>>& gathered, bool&) -> asyncio::Task<> {
        co_await asyncio::shield(gathered);
    }(parent, unused));
    co_await asyncio::sleep(1ms);
    outer.cancel();
    co_await asyncio::wait(outer);
    EXPECT_TRUE(outer.cancelled());
    EXPECT_EQ(co_await parent, std::make_tuple(1, 2));
}

TEST(Shield, AGatherShieldedRunsOn) { run_virtual(shields_a_gather()); }

}  // namespace
