// CPython's Lib/test/test_asyncio/test_tasks.py, the parts on cancel(), cancelling()/uncancel(),
// cancel messages, gather, current_task, sleep, create_task, names, done() and result()
// (CPython 3.12 is the oracle, 3.13 where it changed: uncancel() withdrawing a pending
// cancellation). wait_for's cases are in cpython_waitfor_test.cpp, as CPython 3.12 moved them.
// A Future is played by an Event (set() is set_result) or, where it is cancelled, by a task.
//
// Not ported:
//   shield, wait, as_completed and their tests (test_shield_*, test_gather_shield, test_wait*,
//     test_as_completed*, test_yield_wait_does_not_shield_cancel): written by another engineer,
//     in their own files.
//   repr: test_task_repr*, test_cancelling's repr checks (no repr() in C++).
//   eager task factory, task factories, Task/Future subclasses, C and Python implementations,
//     _register_task/_enter_task/_leave_task introspection: no such machinery here.
//   contextvars: test_context_*, test_get_context.
//   loop= arguments and other loops: test_other_loop_future, test_task_class's second loop,
//     test_ensure_future_*, test_constructor_loop_selection, test_constructor_(hetero|homo)genous_futures,
//     test_current_task_no_running_loop*, test_wait_for_with_global_loop.
//   debug mode: test_task_source_traceback, test_log_destroyed_pending_task,
//     test_coroutine_never_yielded, test_debug_mode_interop, test_env_var_debug.
//   tracebacks and exception chaining (__context__, __cause__, __traceback__):
//     test_cancel_traceback_for_future_*, test_exception_chaining_after_await*,
//     test_cancellation_exception_context, test_exception_traceback, and the depth part of the
//     cancel message tests.
//   Python objects and types: test_create_task_with_noncoroutine, CoroLikeObject, old-style
//     @coroutine generators (test_step_result, test_yield_vs_yield_from*, test_corowrapper_*),
//     test_task_set_name_pylong, test_task_repr_name_not_str (names are strings), cancel(5)
//     (messages are strings), test_get_coro, test_task_del_collect, test_log_traceback,
//     test_task_set_methods and SetMethodsTest (a Task has no set_result/set_exception),
//     test_duplicate_coroutines (a Task is move-only: it cannot be passed twice).
//   Future.cancel() of the future a task awaits (test_cancel_inner_future and the like): no
//     Future type; ported with a task in its place.
//   test_cancel_gather_1: gather() is a coroutine here, not a future a done callback completes,
//     so there is no moment when its children are done and it is not; cancelling the task
//     that runs it is cancelling a task that awaits, as in CPython.
//   test_sleep_cancel: looks at the private timer handle.
//   RunCoroutineThreadsafeTests: run_coroutine_threadsafe has its own tests.
#include <asyncio/core/task.hpp>

#include <asyncio/core/errors.hpp>
#include <asyncio/core/event.hpp>
#include <asyncio/core/gather.hpp>
#include <asyncio/core/sleep.hpp>
#include <asyncio/core/virtual_clock.hpp>
#include <asyncio/core/wait.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

#include "core/test_support.hpp"

using namespace std::chrono_literals;
using asyncio_test::run_virtual;

namespace {

asyncio::TimePoint loop_time() { return asyncio::get_event_loop().time(); }

asyncio::Task<> sleep_for(asyncio::Duration delay) { co_await asyncio::sleep(delay); }

/// `await fut` of a future whose result is never set.
asyncio::Task<> wait_forever() {
    asyncio::Event never;
    co_await never.wait();
}

/// A loop on a virtual clock, for the tests that drive the loop from outside as CPython's do.
struct VirtualLoop {
    asyncio::EventLoop loop{std::make_unique<asyncio::VirtualClock>()};
    /// test_utils.run_briefly(loop): one pass of a short coroutine.
    void run_briefly() { loop.run_until_complete(sleep_for(0s)); }
};

TEST(CPythonTasks, test_task_cancel_message_getter) {
    VirtualLoop v;
    auto coro = []() -> asyncio::Task<> { co_return; };
    asyncio::Task<> t = coro();
    v.loop.start(t.state());
    t.cancel("my message");
    try {
        v.loop.run_until_complete(std::move(t));
        ADD_FAILURE() << "no CancelledError";
    } catch (const asyncio::CancelledError& e) {
        EXPECT_EQ(e.message(), "my message");
    }
}

TEST(CPythonTasks, test_task_awaits_on_itself) {
    VirtualLoop v;
    asyncio::Task<> task;
    auto test = [&]() -> asyncio::Task<> { co_await task; };
    task = test();
    v.loop.start(task.state());
    auto join = [&]() -> asyncio::Task<> { co_await task; };
    try {
        v.loop.run_until_complete(join());
        ADD_FAILURE() << "no error";
    } catch (const asyncio::InvalidStateError& e) {
        EXPECT_STREQ(e.what(), "Task cannot await on itself");
    }
}

TEST(CPythonTasks, test_task_class) {
    VirtualLoop v;
    auto notmuch = []() -> asyncio::Task<std::string> { co_return "ok"; };
    asyncio::Task<std::string> t = notmuch();
    v.loop.start(t.state());
    asyncio::TaskRef ref = t.ref();
    EXPECT_EQ(v.loop.run_until_complete(std::move(t)), "ok");
    EXPECT_TRUE(ref.done());
}

TEST(CPythonTasks, test_task_basics) {
    auto inner1 = []() -> asyncio::Task<int> { co_return 42; };
    auto inner2 = []() -> asyncio::Task<int> { co_return 1000; };
    auto outer = [&]() -> asyncio::Task<int> {
        int a = co_await inner1();
        int b = co_await inner2();
        co_return a + b;
    };
    EXPECT_EQ(run_virtual(outer()), 1042);
}

TEST(CPythonTasks, test_cancelling) {
    VirtualLoop v;
    asyncio::Task<> t = sleep_for(10s);
    v.loop.start(t.state());
    EXPECT_EQ(t.cancelling(), 0u);
    EXPECT_TRUE(t.cancel());
    EXPECT_EQ(t.cancelling(), 1u);
    EXPECT_TRUE(t.cancel());  // a second request counts too (cancel() returns True again)
    EXPECT_EQ(t.cancelling(), 2u);
    EXPECT_THROW(v.loop.run_until_complete(std::move(t)), asyncio::CancelledError);
}

TEST(CPythonTasks, test_uncancel_basic) {
    VirtualLoop v;
    auto task = []() -> asyncio::Task<> {
        bool cancelled = false;
        try {
            co_await asyncio::sleep(10s);
        } catch (const asyncio::CancelledError&) {
            cancelled = true;
        }
        if (cancelled) {
            asyncio::current_task().uncancel();
            co_await asyncio::sleep(10s);
        }
    };
    asyncio::Task<> t = task();
    v.loop.start(t.state());
    v.loop.run_until_complete(sleep_for(10ms));

    // Cancel first sleep
    EXPECT_TRUE(t.cancel());
    EXPECT_EQ(t.cancelling(), 1u);
    EXPECT_FALSE(t.cancelled());  // Task is still not complete
    v.loop.run_until_complete(sleep_for(10ms));

    // after uncancel()
    EXPECT_EQ(t.cancelling(), 0u);
    EXPECT_FALSE(t.cancelled());  // Task is still not complete

    // Cancel second sleep
    EXPECT_TRUE(t.cancel());
    EXPECT_EQ(t.cancelling(), 1u);
    EXPECT_FALSE(t.cancelled());
    asyncio::TaskRef ref = t.ref();
    EXPECT_THROW(v.loop.run_until_complete(std::move(t)), asyncio::CancelledError);
    EXPECT_TRUE(ref.cancelled());  // Finally, task complete
    EXPECT_TRUE(ref.done());

    // uncancel is no longer effective after the task is complete
    ref.uncancel();
    EXPECT_TRUE(ref.cancelled());
    EXPECT_TRUE(ref.done());
}

struct RequestOutcome {
    bool timed_out = false;
    bool structured_block_finished = false;
    bool outer_code_reached = false;
};

/// make_request_with_timeout(): a timeout built by hand from call_later, cancel() and uncancel().
asyncio::Task<RequestOutcome> make_request_with_timeout(asyncio::Duration sleep, asyncio::Duration timeout) {
    RequestOutcome out;
    asyncio::TaskRef task = asyncio::current_task();
    asyncio::TimerHandle timeout_handle = asyncio::get_event_loop().call_later(timeout, [&out, task]() mutable {
        out.timed_out = true;
        task.cancel();
    });
    try {
        std::exception_ptr error;
        bool cancelled = false;
        try {
            // Structured block affected by the timeout
            co_await asyncio::sleep(sleep);
            out.structured_block_finished = true;
        } catch (const asyncio::CancelledError&) {
            error = std::current_exception();
            cancelled = true;
        } catch (...) {
            error = std::current_exception();
        }
        // finally:
        timeout_handle.cancel();
        if (out.timed_out && task.uncancel() == 0 && cancelled) throw asyncio::TimeoutError();
        if (error) std::rethrow_exception(error);
    } catch (const asyncio::TimeoutError&) {
        EXPECT_TRUE(out.timed_out);
    }
    // Outer code not affected by the timeout:
    out.outer_code_reached = true;
    co_await asyncio::sleep(0);
    co_return out;
}

TEST(CPythonTasks, test_uncancel_structured_blocks) {
    VirtualLoop v;
    // Test which timed out.
    asyncio::Task<RequestOutcome> t1 = make_request_with_timeout(10s, 100ms);
    v.loop.start(t1.state());
    asyncio::TaskRef ref1 = t1.ref();
    RequestOutcome o1 = v.loop.run_until_complete(std::move(t1));
    EXPECT_TRUE(o1.timed_out);
    EXPECT_FALSE(o1.structured_block_finished);  // it was cancelled
    EXPECT_TRUE(o1.outer_code_reached);  // uncancelled after leaving the block, ran to completion
    EXPECT_EQ(ref1.cancelling(), 0u);    // no pending cancellation of the outer task

    // Test which did not time out.
    asyncio::Task<RequestOutcome> t2 = make_request_with_timeout(0s, 10s);
    v.loop.start(t2.state());
    asyncio::TaskRef ref2 = t2.ref();
    RequestOutcome o2 = v.loop.run_until_complete(std::move(t2));
    EXPECT_FALSE(o2.timed_out);
    EXPECT_TRUE(o2.structured_block_finished);
    EXPECT_TRUE(o2.outer_code_reached);
    EXPECT_EQ(ref2.cancelling(), 0u);
}

// CPython 3.13: uncancel() down to zero also withdraws a cancellation not delivered yet.
TEST(CPythonTasks, test_uncancel_resets_must_cancel) {
    VirtualLoop v;
    asyncio::Event fut;
    auto coro = [&]() -> asyncio::Task<int> {
        co_await fut.wait();
        co_return 42;
    };
    asyncio::Task<int> task = coro();
    v.loop.start(task.state());
    v.run_briefly();  // get the task waiting for fut
    fut.set();        // make the task runnable
    task.cancel();    // enter the cancelled state
    EXPECT_EQ(task.cancelling(), 1u);
    EXPECT_TRUE(task.state().cancel_requested());  // white box: _must_cancel
    task.uncancel();                                // undo the cancellation
    EXPECT_EQ(task.cancelling(), 0u);
    EXPECT_FALSE(task.state().cancel_requested());
    EXPECT_EQ(v.loop.run_until_complete(std::move(task)), 42);
}

TEST(CPythonTasks, test_cancel) {
    VirtualLoop v;
    auto task = []() -> asyncio::Task<int> {
        co_await asyncio::sleep(10s);
        co_return 12;
    };
    asyncio::Task<int> t = task();
    v.loop.start(t.state());
    asyncio::TaskRef ref = t.ref();
    v.loop.call_soon([ref]() mutable { ref.cancel(); });
    EXPECT_THROW(v.loop.run_until_complete(std::move(t)), asyncio::CancelledError);
    EXPECT_TRUE(ref.done());
    EXPECT_TRUE(ref.cancelled());
    EXPECT_FALSE(ref.cancel());
}

/// test_cancel_with_message_then_future_result/exception: cancel(msg) on a sleeping task, wait
/// until it is done, then ask it for its result (or exception).
asyncio::Task<> cancel_then_ask(std::string message, bool ask_exception) {
    auto task = asyncio::create_task(sleep_for(10s));
    co_await asyncio::sleep(0);
    if (message.empty()) {
        task.cancel();
    } else {
        task.cancel(message);
    }
    co_await asyncio::wait(task);
    if (ask_exception) {
        (void)task.exception();
    } else {
        task.result();
    }
}

TEST(CPythonTasks, test_cancel_with_message_then_future_result) {
    for (const std::string message : {"", "my message"}) {
        SCOPED_TRACE(message);
        try {
            run_virtual(cancel_then_ask(message, false));
            ADD_FAILURE() << "no CancelledError";
        } catch (const asyncio::CancelledError& e) {
            EXPECT_EQ(e.message(), message);
        }
    }
}

TEST(CPythonTasks, test_cancel_with_message_then_future_exception) {
    for (const std::string message : {"", "my message"}) {
        SCOPED_TRACE(message);
        try {
            run_virtual(cancel_then_ask(message, true));
            ADD_FAILURE() << "no CancelledError";
        } catch (const asyncio::CancelledError& e) {
            EXPECT_EQ(e.message(), message);
        }
    }
}

TEST(CPythonTasks, test_cancel_with_message_before_starting_task) {
    auto coro = []() -> asyncio::Task<> {
        auto task = asyncio::create_task(sleep_for(10s));
        // We deliberately leave out the sleep here.
        task.cancel("my message");
        co_await asyncio::wait(task);
        (void)task.exception();
    };
    try {
        run_virtual(coro());
        ADD_FAILURE() << "no CancelledError";
    } catch (const asyncio::CancelledError& e) {
        EXPECT_EQ(e.message(), "my message");
    }
}

TEST(CPythonTasks, test_cancel_yield) {
    VirtualLoop v;
    auto task = []() -> asyncio::Task<int> {
        co_await asyncio::sleep(0);
        co_await asyncio::sleep(0);
        co_return 12;
    };
    asyncio::Task<int> t = task();
    v.loop.start(t.state());
    v.run_briefly();  // start coro
    t.cancel();
    asyncio::TaskRef ref = t.ref();
    EXPECT_THROW(v.loop.run_until_complete(std::move(t)), asyncio::CancelledError);
    EXPECT_TRUE(ref.done());
    EXPECT_TRUE(ref.cancelled());
    EXPECT_FALSE(ref.cancel());
}

// The awaited future is a task here (no Future type).
TEST(CPythonTasks, test_cancel_inner_future) {
    run_virtual([]() -> asyncio::Task<> {
        auto f = asyncio::create_task(wait_forever());
        auto task = [&]() -> asyncio::Task<int> {
            co_await f;
            co_return 12;
        };
        auto t = asyncio::create_task(task());
        co_await asyncio::sleep(0);  // start task
        f.cancel();
        EXPECT_THROW(co_await t, asyncio::CancelledError);
        EXPECT_TRUE(f.cancelled());
        EXPECT_TRUE(t.cancelled());
    }());
}

TEST(CPythonTasks, test_cancel_both_task_and_inner_future) {
    run_virtual([]() -> asyncio::Task<> {
        auto f = asyncio::create_task(wait_forever());
        auto task = [&]() -> asyncio::Task<int> {
            co_await f;
            co_return 12;
        };
        auto t = asyncio::create_task(task());
        co_await asyncio::sleep(0);
        f.cancel();
        t.cancel();
        EXPECT_THROW(co_await t, asyncio::CancelledError);
        EXPECT_TRUE(t.done());
        EXPECT_TRUE(f.cancelled());
        EXPECT_TRUE(t.cancelled());
    }());
}

TEST(CPythonTasks, test_cancel_task_catching) {
    run_virtual([]() -> asyncio::Task<> {
        asyncio::Event fut1, fut2;
        auto task = [&]() -> asyncio::Task<int> {
            co_await fut1.wait();
            try {
                co_await fut2.wait();
            } catch (const asyncio::CancelledError&) {
                co_return 42;
            }
            co_return 0;
        };
        auto t = asyncio::create_task(task());
        co_await asyncio::sleep(0);
        fut1.set();
        co_await asyncio::sleep(0);
        EXPECT_TRUE(t.state().waiting());  // white box: waiting on fut2
        t.cancel();
        EXPECT_EQ(co_await t, 42);
        EXPECT_FALSE(t.cancelled());
    }());
}

TEST(CPythonTasks, test_cancel_task_ignoring) {
    run_virtual([]() -> asyncio::Task<> {
        asyncio::Event fut1, fut2, fut3;
        int fut3_result = 0;
        auto task = [&]() -> asyncio::Task<int> {
            co_await fut1.wait();
            try {
                co_await fut2.wait();
            } catch (const asyncio::CancelledError&) {
            }
            co_await fut3.wait();
            co_return fut3_result;
        };
        auto t = asyncio::create_task(task());
        co_await asyncio::sleep(0);
        fut1.set();
        co_await asyncio::sleep(0);
        t.cancel();
        co_await asyncio::sleep(0);
        EXPECT_TRUE(t.state().waiting());  // white box: waiting on fut3
        fut3_result = 42;
        fut3.set();
        EXPECT_EQ(co_await t, 42);
        EXPECT_FALSE(t.cancelled());
    }());
}

TEST(CPythonTasks, test_cancel_current_task) {
    VirtualLoop v;
    asyncio::TaskRef t;
    auto task = [&]() -> asyncio::Task<int> {
        t.cancel();
        EXPECT_TRUE(t.state()->cancel_requested());  // white box: _must_cancel
        // The sleep should be cancelled immediately.
        co_await asyncio::sleep(100s);
        co_return 12;
    };
    asyncio::Task<int> owned = task();
    t = owned.ref();
    v.loop.start(owned.state());
    EXPECT_FALSE(t.cancelled());
    EXPECT_THROW(v.loop.run_until_complete(std::move(owned)), asyncio::CancelledError);
    EXPECT_TRUE(t.done());
    EXPECT_TRUE(t.cancelled());
    EXPECT_FALSE(t.state()->cancel_requested());
    EXPECT_FALSE(t.cancel());
}

TEST(CPythonTasks, test_cancel_at_end) {
    VirtualLoop v;
    asyncio::TaskRef t;
    auto task = [&]() -> asyncio::Task<int> {
        t.cancel();
        EXPECT_TRUE(t.state()->cancel_requested());
        co_return 12;  // the coroutine ends right after its task is cancelled
    };
    asyncio::Task<int> owned = task();
    t = owned.ref();
    v.loop.start(owned.state());
    EXPECT_FALSE(t.cancelled());
    EXPECT_THROW(v.loop.run_until_complete(std::move(owned)), asyncio::CancelledError);
    EXPECT_TRUE(t.done());
    EXPECT_TRUE(t.cancelled());
    EXPECT_FALSE(t.state()->cancel_requested());
    EXPECT_FALSE(t.cancel());
}

TEST(CPythonTasks, test_cancel_awaited_task) {
    run_virtual([]() -> asyncio::Task<> {
        asyncio::ScheduledTask<> nested_task;
        asyncio::TaskRef task;
        auto coro = [&]() -> asyncio::Task<> {
            // Create a sub-task and wait for it to run.
            nested_task = asyncio::create_task(wait_forever());
            co_await asyncio::sleep(0);
            // Request the current task to be cancelled.
            task.cancel();
            // Block on the nested task, which should be immediately cancelled.
            co_await nested_task;
        };
        auto t = asyncio::create_task(coro());
        task = t.ref();
        EXPECT_THROW(co_await t, asyncio::CancelledError);
        EXPECT_TRUE(t.cancelled());
        EXPECT_TRUE(nested_task.cancelled());
    }());
}

// run_until_complete() ends when the loop is stopped: InvalidStateError (CPython's
// RuntimeError), the task left pending; cancelled, it ends with CancelledError on the next run.
TEST(CPythonTasks, test_stop_while_run_in_complete) {
    VirtualLoop v;
    int x = 0;
    auto task = [&]() -> asyncio::Task<> {
        while (x < 10) {
            co_await asyncio::sleep(0.1);
            x += 1;
            if (x == 2) asyncio::get_event_loop().stop();
        }
    };
    asyncio::Task<> t = task();
    v.loop.start(t.state());
    asyncio::TaskRef ref = t.ref();
    auto join = [](asyncio::Task<>& joined) -> asyncio::Task<> { co_await joined; };
    EXPECT_THROW(v.loop.run_until_complete(join(t)), asyncio::InvalidStateError);
    EXPECT_FALSE(ref.done());
    EXPECT_EQ(x, 2);
    ref.cancel();
    EXPECT_THROW(v.loop.run_until_complete(join(t)), asyncio::CancelledError);
}

TEST(CPythonTasks, test_sleep) {
    run_virtual([]() -> asyncio::Task<> {
        auto sleeper = [](asyncio::Duration dt, std::string arg) -> asyncio::Task<std::string> {
            co_await asyncio::sleep(dt / 2);
            co_await asyncio::sleep(dt / 2);  // sleep(delay, result) has no result argument here
            co_return arg;
        };
        auto t = asyncio::create_task(sleeper(100ms, "yeah"));
        co_await asyncio::wait(t);
        EXPECT_TRUE(t.done());
        EXPECT_EQ(t.result(), "yeah");
        EXPECT_EQ(loop_time(), asyncio::TimePoint{} + 100ms);
    }());
}

TEST(CPythonTasks, test_task_cancel_sleeping_task) {
    auto doit = []() -> asyncio::Task<std::string> {
        auto sleeper = asyncio::create_task(sleep_for(5000s));
        asyncio::get_event_loop().call_later(100ms, [ref = sleeper.ref()]() mutable { ref.cancel(); });
        try {
            co_await sleeper;
        } catch (const asyncio::CancelledError&) {
            EXPECT_EQ(loop_time(), asyncio::TimePoint{} + 100ms);
            co_return "cancelled";
        }
        co_return "slept in";
    };
    EXPECT_EQ(run_virtual(doit()), "cancelled");
}

TEST(CPythonTasks, test_task_cancel_waiter_future) {
    run_virtual([]() -> asyncio::Task<> {
        auto task = asyncio::create_task(wait_forever());
        co_await asyncio::sleep(0);
        EXPECT_TRUE(task.state().waiting());  // white box: _fut_waiter is set
        task.cancel();
        co_await asyncio::sleep(0);
        EXPECT_THROW(co_await task, asyncio::CancelledError);
        EXPECT_FALSE(task.state().waiting());  // _fut_waiter is None
    }());
}

struct SystemExit : std::exception {};

// C++ has no BaseException that escapes the loop: the task simply fails with it.
TEST(CPythonTasks, test_baseexception_during_cancel) {
    VirtualLoop v;
    auto notmutch = []() -> asyncio::Task<> {
        try {
            co_await sleep_for(10s);
        } catch (const asyncio::CancelledError&) {
            throw SystemExit();
        }
    };
    asyncio::Task<> task = notmutch();
    v.loop.start(task.state());
    v.run_briefly();
    task.cancel();
    EXPECT_FALSE(task.done());
    v.run_briefly();
    EXPECT_TRUE(task.done());
    EXPECT_FALSE(task.cancelled());
    EXPECT_THROW(std::rethrow_exception(task.exception()), SystemExit);
}

TEST(CPythonTasks, test_current_task) {
    EXPECT_FALSE(asyncio::current_task());
    VirtualLoop v;
    asyncio::TaskRef task;
    auto coro = [&]() -> asyncio::Task<> {
        EXPECT_EQ(asyncio::current_task(), task);
        co_return;
    };
    asyncio::Task<> t = coro();
    task = t.ref();
    v.loop.run_until_complete(std::move(t));
    EXPECT_FALSE(asyncio::current_task());
}

TEST(CPythonTasks, test_current_task_with_interleaving_tasks) {
    EXPECT_FALSE(asyncio::current_task());
    run_virtual([]() -> asyncio::Task<> {
        asyncio::Event fut1, fut2;
        asyncio::TaskRef task1, task2;
        auto coro1 = [&]() -> asyncio::Task<> {
            EXPECT_EQ(asyncio::current_task(), task1);
            co_await fut1.wait();
            EXPECT_EQ(asyncio::current_task(), task1);
            fut2.set();
        };
        auto coro2 = [&]() -> asyncio::Task<> {
            EXPECT_EQ(asyncio::current_task(), task2);
            fut1.set();
            co_await fut2.wait();
            EXPECT_EQ(asyncio::current_task(), task2);
        };
        auto t1 = asyncio::create_task(coro1());
        auto t2 = asyncio::create_task(coro2());
        task1 = t1.ref();
        task2 = t2.ref();
        co_await t1;
        co_await t2;
    }());
    EXPECT_FALSE(asyncio::current_task());
}

TEST(CPythonTasks, test_yield_future_passes_cancel) {
    // Cancelling outer() cancels inner() cancels waiter.
    run_virtual([]() -> asyncio::Task<> {
        int proof = 0;
        auto inner = [&]() -> asyncio::Task<> {
            try {
                co_await wait_forever();
            } catch (const asyncio::CancelledError&) {
                proof += 1;
                throw;
            }
            ADD_FAILURE() << "got past sleep() in inner()";
        };
        auto outer = [&]() -> asyncio::Task<> {
            try {
                co_await inner();
            } catch (const asyncio::CancelledError&) {
                proof += 100;  // Expect this path.
                co_return;
            }
            proof += 10;
        };
        auto f = asyncio::create_task(outer());
        co_await asyncio::sleep(0);
        f.cancel();
        co_await f;
        EXPECT_EQ(proof, 101);
    }());
}

TEST(CPythonTasks, test_tb_logger_not_called_after_cancel) {
    asyncio_test::CapturedReports reports;
    run_virtual([]() -> asyncio::Task<> {
        auto coro = []() -> asyncio::Task<> {
            throw std::invalid_argument("TypeError");
            co_return;
        };
        auto task = asyncio::create_task(coro());
        co_await asyncio::sleep(0.05);
        task.cancel();  // done already: cancel() returns false, and the failure counts as seen
    }());
    EXPECT_EQ(reports.lines(), std::vector<std::string>{});
}

TEST(CPythonTasks, test_bare_create_task) {
    run_virtual([]() -> asyncio::Task<> {
        auto inner = []() -> asyncio::Task<int> { co_return 1; };
        auto task = asyncio::create_task(inner());
        int ret = co_await task;
        EXPECT_EQ(ret, 1);
    }());
}

TEST(CPythonTasks, test_bare_create_named_task) {
    run_virtual([]() -> asyncio::Task<> {
        auto coro_noop = []() -> asyncio::Task<> { co_return; };
        auto task = asyncio::create_task(coro_noop(), "No-op");
        EXPECT_EQ(task.get_name(), "No-op");
        co_await task;
    }());
}

// test_task_repr_autogenerated: the part that is not repr(): names "Task-<n>", increasing.
TEST(CPythonTasks, test_task_repr_autogenerated) {
    run_virtual([]() -> asyncio::Task<> {
        auto notmuch = []() -> asyncio::Task<int> { co_return 123; };
        auto t1 = asyncio::create_task(notmuch());
        auto t2 = asyncio::create_task(notmuch());
        EXPECT_NE(t1.get_name(), t2.get_name());
        EXPECT_EQ(t1.get_name().rfind("Task-", 0), 0u);
        EXPECT_EQ(t2.get_name().rfind("Task-", 0), 0u);
        EXPECT_LT(std::stoi(t1.get_name().substr(5)), std::stoi(t2.get_name().substr(5)));
        co_await t1;
        co_await t2;
    }());
}

// --- gather ---

/// A coroutine wrapping a future (CoroutineGatherTests.wrap_futures): its result once set.
asyncio::Task<int> future_value(asyncio::Event& fut, const int& value) {
    co_await fut.wait();
    co_return value;
}

TEST(CPythonTasks, test_success) {
    run_virtual([]() -> asyncio::Task<> {
        asyncio::Event a, b, c;
        int va = 0, vb = 0, vc = 0;
        auto fut = asyncio::create_task(asyncio::gather(future_value(a, va), future_value(b, vb), future_value(c, vc)));
        vb = 1;
        b.set();
        va = 2;
        a.set();
        co_await asyncio::sleep(0);
        co_await asyncio::sleep(0);
        EXPECT_FALSE(fut.done());
        vc = 3;
        c.set();
        EXPECT_EQ(co_await fut, std::make_tuple(2, 1, 3));
    }());
}

TEST(CPythonTasks, test_result_exception_success) {
    run_virtual([]() -> asyncio::Task<> {
        asyncio::Event a, b, c;
        int va = 2, vb = 1, vc = 3;
        b.set();
        a.set();
        c.set();
        auto [ra, rb, rc] = co_await asyncio::gather(asyncio::return_exceptions, future_value(a, va),
                                                     future_value(b, vb), future_value(c, vc));
        EXPECT_EQ(std::get<int>(ra), 2);
        EXPECT_EQ(std::get<int>(rb), 1);
        EXPECT_EQ(std::get<int>(rc), 3);
    }());
}

asyncio::Task<int> future_error(asyncio::Event& fut) {
    co_await fut.wait();
    throw std::domain_error("ZeroDivisionError");
}

TEST(CPythonTasks, test_one_exception) {
    asyncio_test::CapturedReports reports;
    run_virtual([]() -> asyncio::Task<> {
        asyncio::Event a, b, c, d, e;
        int one = 1, three = 3;
        std::vector<asyncio::Task<int>> children;
        children.push_back(future_value(a, one));
        children.push_back(future_error(b));
        children.push_back(future_value(c, three));
        children.push_back(future_value(d, three));
        children.push_back(future_error(e));
        auto fut = asyncio::create_task(asyncio::gather(std::move(children)));
        a.set();
        b.set();
        for (int pass = 0; pass < 3; ++pass) co_await asyncio::sleep(0);  // _run_loop(): until idle
        EXPECT_TRUE(fut.done());
        EXPECT_THROW(co_await fut, std::domain_error);
        // Does nothing: the other children run on, and a later failure is not reported.
        c.set();
        e.set();
        co_await asyncio::sleep(0);
    }());
    EXPECT_EQ(reports.lines(), std::vector<std::string>{});
}

TEST(CPythonTasks, test_return_exceptions) {
    run_virtual([]() -> asyncio::Task<> {
        asyncio::Event a, b, c, d;
        int one = 1, three = 3;
        auto fut = asyncio::create_task(asyncio::gather(asyncio::return_exceptions, future_value(a, three),
                                                        future_value(b, one), future_error(c), future_error(d)));
        b.set();
        c.set();
        a.set();
        co_await asyncio::sleep(0);
        co_await asyncio::sleep(0);
        EXPECT_FALSE(fut.done());
        d.set();
        auto [ra, rb, rc, rd] = co_await fut;
        EXPECT_EQ(std::get<int>(ra), 3);
        EXPECT_EQ(std::get<int>(rb), 1);
        EXPECT_THROW(std::rethrow_exception(std::get<std::exception_ptr>(rc)), std::domain_error);
        EXPECT_THROW(std::rethrow_exception(std::get<std::exception_ptr>(rd)), std::domain_error);
    }());
}

// A child's cancellation is gather's failure: the CancelledError comes out of the gathering
// coroutine (CPython: the gather future holds it as its exception without being cancelled; a
// task running that coroutine, as here, ends cancelled).
TEST(CPythonTasks, test_one_cancellation) {
    run_virtual([]() -> asyncio::Task<> {
        asyncio::Event a;
        int one = 1;
        auto b = asyncio::create_task(wait_forever());
        auto c = asyncio::create_task(wait_forever());
        auto gathering = [&]() -> asyncio::Task<bool> {
            try {
                co_await asyncio::gather(future_value(a, one), asyncio::Task<>(std::move(b)), asyncio::Task<>(std::move(c)));
            } catch (const asyncio::CancelledError&) {
                co_return true;
            }
            co_return false;
        };
        asyncio::TaskRef b_ref = b.ref();
        asyncio::TaskRef c_ref = c.ref();
        auto fut = asyncio::create_task(gathering());
        co_await asyncio::sleep(0);
        a.set();
        b_ref.cancel();
        EXPECT_TRUE(co_await fut);
        EXPECT_FALSE(c_ref.done());  // the others run on
        c_ref.cancel();
        co_await asyncio::sleep(0);
    }());
}

TEST(CPythonTasks, test_result_exception_one_cancellation) {
    run_virtual([]() -> asyncio::Task<> {
        asyncio::Event a, b, d, f;
        int one = 1, three = 3;
        auto c = asyncio::create_task(wait_forever());
        auto e = asyncio::create_task(wait_forever());
        asyncio::TaskRef c_ref = c.ref();
        asyncio::TaskRef e_ref = e.ref();
        auto fut = asyncio::create_task(asyncio::gather(asyncio::return_exceptions, future_value(a, one),
                                                        future_error(b), asyncio::Task<>(std::move(c)),
                                                        future_value(d, three), asyncio::Task<>(std::move(e)),
                                                        future_error(f)));
        co_await asyncio::sleep(0);
        a.set();
        b.set();
        c_ref.cancel();
        co_await asyncio::sleep(0);
        co_await asyncio::sleep(0);
        EXPECT_FALSE(fut.done());
        d.set();
        e_ref.cancel();
        f.set();
        auto [ra, rb, rc, rd, re, rf] = co_await fut;
        EXPECT_EQ(std::get<int>(ra), 1);
        EXPECT_THROW(std::rethrow_exception(std::get<std::exception_ptr>(rb)), std::domain_error);
        EXPECT_THROW(std::rethrow_exception(std::get<std::exception_ptr>(rc)), asyncio::CancelledError);
        EXPECT_EQ(std::get<int>(rd), 3);
        EXPECT_THROW(std::rethrow_exception(std::get<std::exception_ptr>(re)), asyncio::CancelledError);
        EXPECT_THROW(std::rethrow_exception(std::get<std::exception_ptr>(rf)), std::domain_error);
    }());
}

TEST(CPythonTasks, test_constructor_empty_sequence) {
    run_virtual([]() -> asyncio::Task<> {
        std::vector<int> results = co_await asyncio::gather(std::vector<asyncio::Task<int>>{});
        EXPECT_TRUE(results.empty());
    }());
}

TEST(CPythonTasks, test_cancellation_broadcast) {
    // Cancelling outer() cancels all children.
    run_virtual([]() -> asyncio::Task<> {
        int proof = 0;
        auto inner = [&]() -> asyncio::Task<> {
            co_await wait_forever();
            proof += 1;
        };
        auto child1 = asyncio::create_task(inner());
        auto child2 = asyncio::create_task(inner());
        asyncio::TaskRef ref1 = child1.ref();
        asyncio::TaskRef ref2 = child2.ref();
        auto outer = [&]() -> asyncio::Task<> {
            co_await asyncio::gather(asyncio::Task<>(std::move(child1)), asyncio::Task<>(std::move(child2)));
            proof += 100;
        };
        auto f = asyncio::create_task(outer());
        co_await asyncio::sleep(0);
        EXPECT_TRUE(f.cancel());
        EXPECT_THROW(co_await f, asyncio::CancelledError);
        EXPECT_TRUE(ref1.cancelled());
        EXPECT_TRUE(ref2.cancelled());
        co_await asyncio::sleep(0);
        EXPECT_EQ(proof, 0);
    }());
}

TEST(CPythonTasks, test_exception_marking) {
    asyncio_test::CapturedReports reports;
    run_virtual([]() -> asyncio::Task<> {
        asyncio::Event a, b;
        auto inner = [](asyncio::Event& f) -> asyncio::Task<> {
            co_await f.wait();
            throw std::runtime_error("should not be ignored");
        };
        auto outer = [&]() -> asyncio::Task<> { co_await asyncio::gather(inner(a), inner(b)); };
        auto f = asyncio::create_task(outer());
        co_await asyncio::sleep(0);
        a.set();
        co_await asyncio::sleep(0);
        b.set();
        co_await asyncio::sleep(0);
        EXPECT_THROW(std::rethrow_exception(f.exception()), std::runtime_error);
    }());
    EXPECT_EQ(reports.lines(), std::vector<std::string>{});
}

TEST(CPythonTasks, test_cancel_gather_2) {
    for (const std::string message : {"", "my message"}) {
        SCOPED_TRACE(message);
        auto test = []() -> asyncio::Task<> {
            asyncio::Duration time{};
            for (;;) {
                time += 50ms;
                co_await asyncio::gather(asyncio::return_exceptions, sleep_for(50ms));
                if (time > 1s) co_return;
            }
        };
        auto main = [&](std::string msg) -> asyncio::Task<> {
            auto qwe = asyncio::create_task(test());
            co_await asyncio::sleep(0.2);
            if (msg.empty()) {
                qwe.cancel();
            } else {
                qwe.cancel(msg);
            }
            co_await qwe;
        };
        try {
            run_virtual(main(message));
            ADD_FAILURE() << "gather() does not propagate CancelledError raised by inner task to the gather() caller.";
        } catch (const asyncio::CancelledError& e) {
            EXPECT_EQ(e.message(), message);
        }
    }
}

TEST(CPythonTasks, test_sleep_zero) {
    run_virtual([]() -> asyncio::Task<> {
        int result = 0;
        asyncio::get_event_loop().call_soon([&] { result += 1; });
        EXPECT_EQ(result, 0);
        co_await asyncio::sleep(0);
        EXPECT_EQ(result, 1);  // inc'ed by call_soon
    }());
}

}  // namespace
