// CPython's Lib/test/test_asyncio/test_waitfor.py, case by case (CPython 3.12 is the oracle).
// A Future is played by an Event (its result set by set()) or by a task; loop.time() is the
// loop's VirtualClock, so SlowTask's time.monotonic() deadline is the loop's time here.
//
// Not ported, or ported in part:
//   test_wait_for_waits_for_task_cancellation(_w_timeout_0): the part checking that the
//     TimeoutError's __context__ is the CancelledError: C++ exceptions carry no context.
//   test_asyncio_wait_for_cancelled: `await asyncio.wait({task})` is a join that ignores the
//     task's outcome here.
#include <asyncio/core/timeout.hpp>

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

using namespace std::chrono_literals;
using asyncio_test::run_virtual;

namespace {

/// A very small timeout: it passes "timeout > 0" but takes almost no time.
constexpr auto kEpsilon = 100us;

asyncio::TimePoint loop_time() { return asyncio::get_event_loop().time(); }

/// Runs for TASK_TIMEOUT of loop time, ignoring cancel requests.
struct SlowTask {
    static constexpr asyncio::Duration task_timeout = 200ms;
    bool exited = false;

    asyncio::Task<> run() {
        const asyncio::TimePoint exit_at = loop_time() + task_timeout;
        for (;;) {
            const asyncio::Duration to_sleep = exit_at - loop_time();
            if (to_sleep <= asyncio::Duration::zero()) break;
            try {
                co_await asyncio::sleep(to_sleep);
            } catch (const asyncio::CancelledError&) {
            }
        }
        exited = true;
    }
};

TEST(CPythonWaitFor, test_asyncio_wait_for_cancelled) {
    run_virtual([]() -> asyncio::Task<> {
        SlowTask t;
        auto wait_for_task = asyncio::create_task(asyncio::wait_for(t.run(), SlowTask::task_timeout * 2));
        co_await asyncio::sleep(0);
        wait_for_task.cancel();
        co_await asyncio::wait(wait_for_task);
        EXPECT_TRUE(t.exited);
    }());
}

TEST(CPythonWaitFor, test_asyncio_wait_for_timeout) {
    run_virtual([]() -> asyncio::Task<> {
        SlowTask t;
        try {
            co_await asyncio::wait_for(t.run(), SlowTask::task_timeout / 2);
        } catch (const asyncio::TimeoutError&) {
        }
        EXPECT_TRUE(t.exited);
    }());
}

asyncio::Task<std::string> done_value() { co_return "done"; }

TEST(CPythonWaitFor, test_wait_for_timeout_less_then_0_or_0_future_done) {
    run_virtual([]() -> asyncio::Task<> {
        auto fut = asyncio::create_task(done_value());
        co_await asyncio::sleep(0);  // fut.set_result('done')
        EXPECT_TRUE(fut.done());
        const asyncio::TimePoint t0 = loop_time();
        std::string ret = co_await asyncio::wait_for(fut, 0);
        EXPECT_TRUE(fut.done());
        EXPECT_EQ(ret, "done");
        EXPECT_EQ(loop_time(), t0);
    }());
}

TEST(CPythonWaitFor, test_wait_for_timeout_less_then_0_or_0_coroutine_do_not_started) {
    run_virtual([]() -> asyncio::Task<> {
        bool foo_started = false;
        auto foo = [&]() -> asyncio::Task<> {
            foo_started = true;
            co_return;
        };
        const asyncio::TimePoint t0 = loop_time();
        EXPECT_THROW(co_await asyncio::wait_for(foo(), 0), asyncio::TimeoutError);
        EXPECT_FALSE(foo_started);
        EXPECT_EQ(loop_time(), t0);
    }());
}

TEST(CPythonWaitFor, test_wait_for_timeout_less_then_0_or_0) {
    for (int timeout : {0, -1}) {
        SCOPED_TRACE(timeout);
        run_virtual([](int timeout) -> asyncio::Task<> {
            std::optional<bool> foo_running;
            asyncio::Event started;
            auto foo = [&]() -> asyncio::Task<std::string> {
                foo_running = true;
                started.set();
                try {
                    co_await asyncio::sleep(10s);
                } catch (...) {
                    foo_running = false;
                    throw;
                }
                foo_running = false;
                co_return "done";
            };
            auto fut = asyncio::create_task(foo());
            co_await started.wait();

            const asyncio::TimePoint t0 = loop_time();
            EXPECT_THROW(co_await asyncio::wait_for(fut, timeout), asyncio::TimeoutError);
            EXPECT_TRUE(fut.done());
            EXPECT_TRUE(fut.cancelled());  // cancelled because of the timeout
            EXPECT_EQ(foo_running, false);
            EXPECT_LT(loop_time() - t0, 100ms);
        }(timeout));
    }
}

TEST(CPythonWaitFor, test_wait_for) {
    run_virtual([]() -> asyncio::Task<> {
        std::optional<bool> foo_running;
        auto foo = [&]() -> asyncio::Task<std::string> {
            foo_running = true;
            try {
                co_await asyncio::sleep(10s);
            } catch (...) {
                foo_running = false;
                throw;
            }
            foo_running = false;
            co_return "done";
        };
        auto fut = asyncio::create_task(foo());
        const asyncio::TimePoint t0 = loop_time();
        EXPECT_THROW(co_await asyncio::wait_for(fut, 0.1), asyncio::TimeoutError);
        const asyncio::TimePoint t1 = loop_time();
        EXPECT_TRUE(fut.done());
        EXPECT_TRUE(fut.cancelled());  // cancelled because of the timeout
        EXPECT_LT(t1 - t0, 500ms);
        EXPECT_EQ(foo_running, false);
    }());
}

TEST(CPythonWaitFor, test_wait_for_blocking) {
    run_virtual([]() -> asyncio::Task<> {
        std::string res = co_await asyncio::wait_for(done_value(), std::nullopt);
        EXPECT_EQ(res, "done");
    }());
}

asyncio::Task<std::string> result_of(asyncio::Event& fut, std::string value) {
    co_await fut.wait();
    co_return value;
}

TEST(CPythonWaitFor, test_wait_for_race_condition) {
    run_virtual([]() -> asyncio::Task<> {
        asyncio::Event fut;
        auto task = asyncio::wait_for(result_of(fut, "ok"), 0.2);
        asyncio::get_event_loop().call_later(100ms, [&fut] { fut.set(); });
        std::string res = co_await std::move(task);
        EXPECT_EQ(res, "ok");
    }());
}

TEST(CPythonWaitFor, test_wait_for_cancellation_race_condition) {
    run_virtual([]() -> asyncio::Task<> {
        auto inner = []() -> asyncio::Task<int> {
            EXPECT_THROW(co_await asyncio::sleep(1s), asyncio::CancelledError);
            co_return 1;
        };
        int result = co_await asyncio::wait_for(inner(), 0.01);
        EXPECT_EQ(result, 1);
    }());
}

/// inner() of the two tests below: on cancellation, sleeps a little before re-raising.
asyncio::Task<> slow_to_cancel(bool* task_done) {
    struct Finally {
        bool* done;
        ~Finally() { *done = true; }
    } finally{task_done};
    std::exception_ptr cancelled;
    try {
        co_await asyncio::sleep(10s);
    } catch (const asyncio::CancelledError&) {
        cancelled = std::current_exception();
    }
    if (cancelled) {
        co_await asyncio::sleep(kEpsilon);
        std::rethrow_exception(cancelled);
    }
}

TEST(CPythonWaitFor, test_wait_for_waits_for_task_cancellation) {
    run_virtual([]() -> asyncio::Task<> {
        bool task_done = false;
        auto inner_task = asyncio::create_task(slow_to_cancel(&task_done));
        EXPECT_THROW(co_await asyncio::wait_for(inner_task, kEpsilon), asyncio::TimeoutError);
        EXPECT_TRUE(task_done);
    }());
}

TEST(CPythonWaitFor, test_wait_for_waits_for_task_cancellation_w_timeout_0) {
    run_virtual([]() -> asyncio::Task<> {
        bool task_done = false;
        auto foo = [&]() -> asyncio::Task<> {
            auto inner_task = asyncio::create_task(slow_to_cancel(&task_done));
            co_await asyncio::sleep(kEpsilon);
            co_await asyncio::wait_for(inner_task, 0);
        };
        EXPECT_THROW(co_await foo(), asyncio::TimeoutError);
        EXPECT_TRUE(task_done);
    }());
}

struct FooException : std::runtime_error {
    FooException() : std::runtime_error("FooException") {}
};

TEST(CPythonWaitFor, test_wait_for_reraises_exception_during_cancellation) {
    run_virtual([]() -> asyncio::Task<> {
        auto foo = []() -> asyncio::Task<> {
            auto inner = []() -> asyncio::Task<> {
                try {
                    co_await asyncio::sleep(0.2);
                } catch (...) {
                    throw FooException();  // `finally: raise FooException`
                }
                throw FooException();
            };
            auto inner_task = asyncio::create_task(inner());
            co_await asyncio::wait_for(inner_task, kEpsilon);
        };
        EXPECT_THROW(co_await foo(), FooException);
    }());
}

/// Holds up two cancellations, then returns 42.
asyncio::Task<int> stubborn() {
    bool first_cancelled = false;
    try {
        co_await asyncio::sleep(0.3);
    } catch (const asyncio::CancelledError&) {
        first_cancelled = true;
    }
    if (first_cancelled) {
        bool second_cancelled = false;
        try {
            co_await asyncio::sleep(0.3);
        } catch (const asyncio::CancelledError&) {
            second_cancelled = true;
        }
        if (second_cancelled) co_await asyncio::sleep(0.3);
    }
    co_return 42;
}

TEST(CPythonWaitFor, test_wait_for_self_cancellation) {
    run_virtual([]() -> asyncio::Task<> {
        auto inner_task = asyncio::create_task(stubborn());
        auto wait = asyncio::wait_for(inner_task, 0.1);
        // wait_for itself is cancellable even when the task it waits for holds up cancellation.
        auto task = asyncio::create_task(std::move(wait));
        task.cancel();
        EXPECT_THROW(co_await task, asyncio::CancelledError);
        EXPECT_EQ(co_await inner_task, 42);
    }());
}

asyncio::Task<> blocking_coroutine() {
    asyncio::Event fut;  // its result is never set
    co_await fut.wait();
}

/// _test_cancel_wait_for: cancelling the wait must also cancel the task.
template <class Limit>
asyncio::Task<> cancel_wait_for(Limit timeout) {
    auto task = asyncio::create_task(blocking_coroutine());
    auto wait = asyncio::create_task(asyncio::wait_for(task, timeout));
    asyncio::get_event_loop().call_soon([ref = wait.ref()]() mutable { ref.cancel(); });
    EXPECT_THROW(co_await wait, asyncio::CancelledError);
    EXPECT_TRUE(task.cancelled());
}

TEST(CPythonWaitFor, test_cancel_blocking_wait_for) { run_virtual(cancel_wait_for(std::nullopt)); }

TEST(CPythonWaitFor, test_cancel_wait_for) { run_virtual(cancel_wait_for(60.0)); }

TEST(CPythonWaitFor, test_wait_for_cancel_suppressed) {
    run_virtual([]() -> asyncio::Task<> {
        auto return_42 = []() -> asyncio::Task<int> {
            try {
                co_await asyncio::sleep(10s);
            } catch (const asyncio::CancelledError&) {
                co_return 42;
            }
            co_return 0;
        };
        int res = co_await asyncio::wait_for(return_42(), 0.1);
        EXPECT_EQ(res, 42);
    }());
}

TEST(CPythonWaitFor, test_wait_for_issue86296) {
    run_virtual([]() -> asyncio::Task<> {
        bool reached_end = false;
        auto inner = []() -> asyncio::Task<> { co_return; };
        auto wait_for_coro = [&]() -> asyncio::Task<> {
            co_await asyncio::wait_for(inner(), 100);
            co_await asyncio::sleep(1s);
            reached_end = true;
        };
        auto task = asyncio::create_task(wait_for_coro());
        co_await asyncio::sleep(0);
        EXPECT_FALSE(task.done());
        task.cancel();
        EXPECT_THROW(co_await task, asyncio::CancelledError);
        EXPECT_FALSE(reached_end);
    }());
}

}  // namespace
