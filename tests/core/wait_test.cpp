// wait(task), wait(tasks, timeout, return_when) and try_wait_for(): waiting without taking on the
// tasks' outcome, and a time limit that yields an empty optional instead of throwing. The same API exists without exceptions
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
#include <vector>

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

// --- wait(tasks, timeout, return_when): asyncio.wait ---

/// Tasks started now, each returning its delay in milliseconds (variadic: g++ 12 cannot hold an
/// initializer_list in a coroutine frame).
template <class... Delays>
std::vector<asyncio::Task<int>> started(Delays... delays_ms) {
    std::vector<asyncio::Task<int>> tasks;
    (tasks.push_back(asyncio::create_task(value_after(std::chrono::milliseconds(delays_ms), delays_ms))), ...);
    return tasks;
}

asyncio::Task<> all_completed_waits_for_every_task() {
    auto waited = co_await asyncio::wait(started(20, 10));  // no structured binding: g++ 12 cannot in a coroutine
    auto& done = waited.done;
    auto& pending = waited.pending;
    EXPECT_EQ(done.size(), 2u);
    EXPECT_TRUE(pending.empty());
    EXPECT_EQ(done[0].result(), 20);  // in the order given
    EXPECT_EQ(now(), asyncio_test::ns(20ms));
}

TEST(WaitTasks, AllCompletedWaitsForEveryTask) { run_virtual(all_completed_waits_for_every_task()); }

asyncio::Task<> first_completed_returns_at_the_first() {
    auto waited = co_await asyncio::wait(started(30, 10, 20), asyncio::ReturnWhen::first_completed);  // no structured binding: g++ 12 cannot in a coroutine
    auto& done = waited.done;
    auto& pending = waited.pending;
    EXPECT_EQ(done.size(), 1u);
    for (auto& task : done) EXPECT_EQ(task.result(), 10);
    EXPECT_EQ(pending.size(), 2u);
    EXPECT_EQ(now(), asyncio_test::ns(10ms));
    // The usual loop: wait again on what is pending.
    while (!pending.empty()) {
        auto next = co_await asyncio::wait(std::move(pending), asyncio::ReturnWhen::first_completed);
        pending = std::move(next.pending);
    }
    EXPECT_EQ(now(), asyncio_test::ns(30ms));
}

TEST(WaitTasks, FirstCompletedReturnsAtTheFirstTaskDone) { run_virtual(first_completed_returns_at_the_first()); }

asyncio::Task<> first_exception_ignores_cancellations() {
    std::vector<asyncio::TaskRef> tasks;
    auto cancelled = asyncio::create_task(value_after(1h, 0));
    auto failing = asyncio::create_task(fail_after(20ms));
    auto slow = asyncio::create_task(value_after(1h, 0));
    tasks = {cancelled.ref(), failing.ref(), slow.ref()};
    cancelled.cancel();
    auto waited = co_await asyncio::wait(tasks, asyncio::ReturnWhen::first_exception);  // no structured binding: g++ 12 cannot in a coroutine
    auto& done = waited.done;
    auto& pending = waited.pending;
    EXPECT_EQ(now(), asyncio_test::ns(20ms));  // the cancellation did not end the wait
    EXPECT_EQ(done.size(), 2u);
    EXPECT_EQ(pending, std::vector<asyncio::TaskRef>{slow.ref()});
    EXPECT_THROW((void)failing.result(), std::runtime_error);  // never raised by wait()
    slow.cancel();
}

TEST(WaitTasks, FirstExceptionEndsAtAnExceptionNotACancellation) { run_virtual(first_exception_ignores_cancellations()); }

asyncio::Task<> first_exception_without_one_waits_for_all() {
    auto waited = co_await asyncio::wait(started(10, 20), asyncio::ReturnWhen::first_exception);  // no structured binding: g++ 12 cannot in a coroutine
    auto& done = waited.done;
    auto& pending = waited.pending;
    EXPECT_EQ(done.size(), 2u);
    EXPECT_TRUE(pending.empty());
    EXPECT_EQ(now(), asyncio_test::ns(20ms));
}

TEST(WaitTasks, FirstExceptionWithoutOneWaitsForAll) { run_virtual(first_exception_without_one_waits_for_all()); }

asyncio::Task<> timeout_leaves_the_rest_pending() {
    auto waited = co_await asyncio::wait(started(10, 50), 20ms);  // no structured binding: g++ 12 cannot in a coroutine
    auto& done = waited.done;
    auto& pending = waited.pending;
    EXPECT_EQ(done.size(), 1u);
    EXPECT_EQ(pending.size(), 1u);
    EXPECT_EQ(now(), asyncio_test::ns(20ms));
    for (auto& task : pending) {
        EXPECT_FALSE(task.done());  // not cancelled: it runs on
        EXPECT_EQ(co_await task, 50);
    }
}

TEST(WaitTasks, TheTimeoutLeavesTheRestPendingAndRunning) { run_virtual(timeout_leaves_the_rest_pending()); }

asyncio::Task<> done_already_does_not_suspend() {
    auto tasks = started(1);
    co_await asyncio::sleep(5ms);
    auto waited = co_await asyncio::wait(std::move(tasks), 0ms);  // no structured binding: g++ 12 cannot in a coroutine
    auto& done = waited.done;
    auto& pending = waited.pending;
    EXPECT_EQ(done.size(), 1u);
    EXPECT_TRUE(pending.empty());
    EXPECT_EQ(now(), asyncio_test::ns(5ms));
}

TEST(WaitTasks, TasksDoneAlreadyReturnAtOnce) { run_virtual(done_already_does_not_suspend()); }

asyncio::Task<> cancel_the_waiter(std::vector<asyncio::TaskRef> tasks) { (void)co_await asyncio::wait(std::move(tasks)); }

asyncio::Task<> cancelling_the_waiter_leaves_the_tasks() {
    auto slow = asyncio::create_task(value_after(30ms, 3));
    auto waiter = asyncio::create_task(cancel_the_waiter({slow.ref()}));
    co_await asyncio::sleep(1ms);
    waiter.cancel();
    co_await asyncio::wait(waiter);
    EXPECT_TRUE(waiter.cancelled());
    EXPECT_EQ(now(), asyncio_test::ns(1ms));
    EXPECT_EQ(co_await slow, 3);
}

TEST(WaitTasks, CancellingTheWaiterLeavesTheTasksRunning) { run_virtual(cancelling_the_waiter_leaves_the_tasks()); }

asyncio::Task<> invalid_arguments_raise_when_awaited() {
    EXPECT_THROW((void)co_await asyncio::wait(std::vector<asyncio::TaskRef>{}), std::invalid_argument);
    std::vector<asyncio::Task<int>> coroutines;
    coroutines.push_back(value_after(1ms, 1));  // not started: CPython's TypeError
    EXPECT_THROW((void)co_await asyncio::wait(std::move(coroutines)), std::invalid_argument);
}

TEST(WaitTasks, AnEmptySetOrACoroutineIsInvalid) { run_virtual(invalid_arguments_raise_when_awaited()); }

}  // namespace
