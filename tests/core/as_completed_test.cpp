// as_completed(tasks, timeout): the tasks in the order they finish; TimeoutError after the timeout.
#include <asyncio/core/as_completed.hpp>
#include <asyncio/core/errors.hpp>
#include <asyncio/core/sleep.hpp>
#include <asyncio/core/task.hpp>
#include <asyncio/core/wait.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/test_support.hpp"

namespace {

using namespace std::chrono_literals;
using asyncio_test::now;
using asyncio_test::run_virtual;

asyncio::Task<std::string> value_after(asyncio::Duration delay, std::string value) {
    co_await asyncio::sleep(delay);
    co_return value;
}

asyncio::Task<std::string> fail_after(asyncio::Duration delay) {
    co_await asyncio::sleep(delay);
    throw std::runtime_error("boom");
}

asyncio::Task<> yields_in_completion_order() {
    std::vector<asyncio::Task<std::string>> tasks;
    tasks.push_back(value_after(30ms, "c"));                       // a coroutine: started here
    tasks.push_back(asyncio::create_task(value_after(10ms, "a")));  // a task
    tasks.push_back(value_after(20ms, "b"));
    auto completed = asyncio::as_completed(std::move(tasks));
    std::string order;
    EXPECT_EQ(completed.remaining(), 3u);
    while (completed.has_next()) {
        asyncio::Task<std::string> finished = co_await completed.next();
        EXPECT_TRUE(finished.done());
        order += finished.result();
    }
    EXPECT_EQ(order, "abc");
    EXPECT_EQ(now(), asyncio_test::ns(30ms));
    EXPECT_THROW((void)completed.next(), asyncio::InvalidStateError);
}

TEST(AsCompleted, YieldsTheTasksInCompletionOrder) { run_virtual(yields_in_completion_order()); }

asyncio::Task<> a_failure_is_the_task_not_a_throw() {
    std::vector<asyncio::Task<std::string>> tasks;
    tasks.push_back(fail_after(1ms));
    auto completed = asyncio::as_completed(std::move(tasks));
    asyncio::Task<std::string> failed = co_await completed.next();
    EXPECT_THROW((void)failed.result(), std::runtime_error);
}

TEST(AsCompleted, AFailedTaskIsHandedOutAndItsResultRethrows) { run_virtual(a_failure_is_the_task_not_a_throw()); }

asyncio::Task<> times_out_without_cancelling() {
    auto slow = asyncio::create_task(value_after(50ms, "slow"));
    std::vector<asyncio::TaskRef> tasks{asyncio::create_task(value_after(10ms, "fast")).ref(), slow.ref(), slow.ref()};
    auto completed = asyncio::as_completed(std::move(tasks), 20ms);
    EXPECT_EQ(completed.remaining(), 2u);  // the repeated TaskRef counts once
    asyncio::TaskRef first = co_await completed.next();
    EXPECT_TRUE(first.done());
    EXPECT_THROW(co_await completed.next(), asyncio::TimeoutError);
    EXPECT_EQ(now(), asyncio_test::ns(20ms));
    EXPECT_FALSE(completed.has_next());
    EXPECT_FALSE(slow.done());  // nothing is cancelled at the timeout
    EXPECT_EQ(co_await slow, "slow");
}

TEST(AsCompleted, TimesOutWithoutCancellingTheTasks) { run_virtual(times_out_without_cancelling()); }

asyncio::Task<> try_next_is_empty_after_the_timeout() {
    std::vector<asyncio::Task<std::string>> tasks;
    tasks.push_back(value_after(1ms, "a"));
    tasks.push_back(value_after(1h, "b"));
    auto completed = asyncio::as_completed(std::move(tasks), 10ms);
    std::optional<asyncio::Task<std::string>> first = co_await completed.try_next();
    EXPECT_TRUE(first.has_value());
    std::optional<asyncio::Task<std::string>> second = co_await completed.try_next();
    EXPECT_FALSE(second.has_value());
}

TEST(AsCompleted, TryNextIsEmptyAfterTheTimeout) { run_virtual(try_next_is_empty_after_the_timeout()); }

asyncio::Task<std::string> next_value(asyncio::AsCompleted<asyncio::Task<std::string>>& completed) {
    asyncio::Task<std::string> finished = co_await completed.next();
    co_return finished.result();
}

asyncio::Task<> a_cancelled_waiter_passes_its_task_on() {
    std::vector<asyncio::Task<std::string>> tasks;
    tasks.push_back(value_after(10ms, "a"));
    tasks.push_back(value_after(20ms, "b"));
    tasks.push_back(value_after(30ms, "c"));
    auto completed = asyncio::as_completed(std::move(tasks));
    auto first_waiter = asyncio::create_task(next_value(completed));
    auto second_waiter = asyncio::create_task(next_value(completed));
    co_await asyncio::sleep(5ms);
    first_waiter.cancel();
    co_await asyncio::wait(first_waiter);
    EXPECT_TRUE(first_waiter.cancelled());
    EXPECT_EQ(co_await second_waiter, "a");  // the one the cancelled waiter would have had
    EXPECT_EQ(co_await next_value(completed), "b");
    EXPECT_FALSE(completed.has_next());  // the cancelled waiter used its turn, as in CPython
}

TEST(AsCompleted, ACancelledWaiterLeavesItsTaskForTheNext) { run_virtual(a_cancelled_waiter_passes_its_task_on()); }

asyncio::Task<> empty_yields_nothing() {
    auto completed = asyncio::as_completed(std::vector<asyncio::TaskRef>{});
    EXPECT_FALSE(completed.has_next());
    co_return;
}

TEST(AsCompleted, AnEmptySetYieldsNothing) { run_virtual(empty_yields_nothing()); }

}  // namespace
