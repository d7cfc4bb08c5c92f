// wait(task) and try_wait_for(): waiting without taking on a task's outcome, and a time limit
// that yields an empty optional instead of throwing. The same API exists without exceptions
// (tests/core/noexceptions); here, with them.
#include <asyncio/core/errors.hpp>
#include <asyncio/core/event.hpp>
#include <asyncio/core/sleep.hpp>
#include <asyncio/core/task.hpp>
#include <asyncio/core/wait.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>

#include "core/test_support.hpp"

namespace {

using namespace std::chrono_literals;
using asyncio_test::now;
using asyncio_test::run_virtual;

asyncio::Task<int> value_after(asyncio::Duration delay, int value) {
    co_await asyncio::sleep(delay);
    co_return value;
}

asyncio::Task<int> fail_after(asyncio::Duration delay) {
    co_await asyncio::sleep(delay);
    throw std::runtime_error("boom");
}

/// Sets *cleaned_up when its frame is destroyed or it is cancelled.
asyncio::Task<> slow_with_cleanup(bool& cleaned_up) {
    struct Cleanup {
        bool& flag;
        ~Cleanup() { flag = true; }
    } cleanup{cleaned_up};
    co_await asyncio::sleep(1h);
}

asyncio::Task<> wait_returns_whatever_the_outcome() {
    auto failing = asyncio::create_task(fail_after(1ms));
    co_await asyncio::wait(failing);  // does not throw
    EXPECT_TRUE(failing.done());
    EXPECT_THROW((void)failing.result(), std::runtime_error);

    bool cleaned_up = false;
    auto cancelled = asyncio::create_task(slow_with_cleanup(cleaned_up));
    co_await asyncio::sleep(1ms);
    cancelled.cancel();
    co_await asyncio::wait(cancelled);  // does not throw CancelledError
    EXPECT_TRUE(cancelled.cancelled());
    EXPECT_TRUE(cleaned_up);
}

TEST(Wait, ReturnsOnceTheTaskIsDoneAndNeverPropagates) { run_virtual(wait_returns_whatever_the_outcome()); }

asyncio::Task<> cancelled_waiter(asyncio::Task<>& awaited) { co_await asyncio::wait(awaited); }

asyncio::Task<> cancelling_the_waiter_leaves_the_task_running() {
    bool cleaned_up = false;
    auto slow = asyncio::create_task(slow_with_cleanup(cleaned_up));
    auto waiter = asyncio::create_task(cancelled_waiter(slow));
    co_await asyncio::sleep(1ms);
    waiter.cancel();
    co_await asyncio::wait(waiter);
    EXPECT_TRUE(waiter.cancelled());
    EXPECT_FALSE(slow.done());  // as asyncio.wait: the awaited task runs on
    slow.cancel();
    co_await asyncio::wait(slow);
    EXPECT_TRUE(cleaned_up);
}

TEST(Wait, CancellingTheWaiterLeavesTheTaskRunning) { run_virtual(cancelling_the_waiter_leaves_the_task_running()); }

asyncio::Task<> try_wait_for_value_and_time_out() {
    const std::optional<int> in_time = co_await asyncio::try_wait_for(value_after(10ms, 7), 1s);
    EXPECT_EQ(in_time, std::optional<int>(7));
    EXPECT_EQ(now(), asyncio_test::ns(10ms));

    bool cleaned_up = false;
    const bool finished = co_await asyncio::try_wait_for(slow_with_cleanup(cleaned_up), 50ms);
    EXPECT_FALSE(finished);
    EXPECT_TRUE(cleaned_up);  // the work was cancelled and its cleanup ran before the return
    EXPECT_EQ(now(), asyncio_test::ns(60ms));

    asyncio::Event never;
    const std::optional<bool> got = co_await asyncio::try_wait_for(never.wait(), 5ms);  // any awaitable
    EXPECT_FALSE(got.has_value());
}

TEST(TryWaitFor, YieldsTheValueInTimeAndAnEmptyOptionalOnceTheWorkIsCancelled) {
    run_virtual(try_wait_for_value_and_time_out());
}

asyncio::Task<> try_wait_for_passes_an_exception_on() {
    bool threw = false;
    try {
        const std::optional<int> value = co_await asyncio::try_wait_for(fail_after(1ms), 1s);  // bound: g++ 12
        ADD_FAILURE() << "no exception, value " << value.has_value();
    } catch (const std::runtime_error&) {
        threw = true;
    }
    EXPECT_TRUE(threw);
}

TEST(TryWaitFor, AnExceptionOfTheWorkPropagates) { run_virtual(try_wait_for_passes_an_exception_on()); }

asyncio::Task<> outer_waiting(bool& cleaned_up) {
    const bool finished = co_await asyncio::try_wait_for(slow_with_cleanup(cleaned_up), 1h);
    ADD_FAILURE() << "not reached: " << finished;
}

asyncio::Task<> cancelling_the_caller_cancels_the_work() {
    bool cleaned_up = false;
    auto caller = asyncio::create_task(outer_waiting(cleaned_up));
    co_await asyncio::sleep(1ms);
    caller.cancel();
    co_await asyncio::wait(caller);
    EXPECT_TRUE(caller.cancelled());
    EXPECT_TRUE(cleaned_up);  // the work did not outlive its caller
}

TEST(TryWaitFor, CancellingTheCallerCancelsTheWorkAndWaitsForIt) { run_virtual(cancelling_the_caller_cancels_the_work()); }

}  // namespace
