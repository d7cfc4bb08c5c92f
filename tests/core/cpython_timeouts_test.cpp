// CPython's Lib/test/test_asyncio/test_timeouts.py, case by case (CPython 3.12 is the oracle,
// 3.13 where it changed). `async with asyncio.timeout(d) as cm:` is written
//   auto cm = asyncio::timeout(d);
//   try { ... } catch (const asyncio::CancelledError&) { cm.rethrow_as_timeout(); }
// and `time.sleep(x)` (the loop held by a blocking call) is VirtualClock::advance(x).
//
// Not ported:
//   test_repr_active, test_repr_expired, test_repr_finished, test_repr_disabled: no repr() in C++.
//   test_timeout_exception_cause: C++ exceptions carry no __cause__.
//   test_timeout_already_entered, test_timeout_double_enter: a C++ scope is entered once, by
//     constructing it; it cannot be entered again.
//   test_timeout_finished, test_timeout_not_entered: the Timeout object is the scope: it does not
//     exist before the scope starts nor after it ends, so reschedule() cannot be called then.
//   (test_timeout_without_task is ported: outside a task, constructing the scope throws.)
#include <asyncio/core/timeout.hpp>

#include <asyncio/core/errors.hpp>
#include <asyncio/core/event.hpp>
#include <asyncio/core/sleep.hpp>
#include <asyncio/core/task.hpp>
#include <asyncio/core/virtual_clock.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>

#include "core/test_support.hpp"

using namespace std::chrono_literals;
using asyncio_test::run_virtual;

namespace {

asyncio::TimePoint loop_time() { return asyncio::get_event_loop().time(); }

/// Runs `make(clock)` on a loop over a VirtualClock the test can move by hand (time.sleep).
template <class Make>
void run_with_clock(Make make) {
    auto owned = std::make_unique<asyncio::VirtualClock>();
    asyncio::VirtualClock* clock = owned.get();
    asyncio::EventLoop loop(std::move(owned));
    loop.set_stall_threshold(asyncio::Duration::zero());  // as slow_callback_duration = 10
    loop.run_until_complete(make(clock));
}

TEST(CPythonTimeouts, test_timeout_basic) {
    run_virtual([]() -> asyncio::Task<> {
        bool timed_out = false;
        bool expired = false;
        {
            auto cm = asyncio::timeout(0.01);
            try {
                try {
                    co_await asyncio::sleep(10s);
                } catch (const asyncio::CancelledError&) {
                    cm.rethrow_as_timeout();
                }
            } catch (const asyncio::TimeoutError&) {
                timed_out = true;
            }
            expired = cm.expired();
        }
        EXPECT_TRUE(timed_out);
        EXPECT_TRUE(expired);
    }());
}

TEST(CPythonTimeouts, test_timeout_at_basic) {
    run_virtual([]() -> asyncio::Task<> {
        const asyncio::TimePoint deadline = loop_time() + 10ms;
        auto cm = asyncio::timeout_at(deadline);
        EXPECT_THROW(
            {
                try {
                    co_await asyncio::sleep(10s);
                } catch (const asyncio::CancelledError&) {
                    cm.rethrow_as_timeout();
                }
            },
            asyncio::TimeoutError);
        EXPECT_TRUE(cm.expired());
        EXPECT_EQ(cm.when(), deadline);
    }());
}

TEST(CPythonTimeouts, test_nested_timeouts) {
    run_virtual([]() -> asyncio::Task<> {
        bool cancelled = false;
        const asyncio::TimePoint deadline = loop_time() + 10ms;
        auto cm1 = asyncio::timeout_at(deadline);
        std::optional<asyncio::Timeout> cm2;
        try {
            try {
                cm2.emplace(deadline);
                try {
                    co_await asyncio::sleep(10s);
                } catch (const asyncio::CancelledError&) {
                    cm2->rethrow_as_timeout();  // both expired: only the outermost raises TimeoutError
                }
            } catch (const asyncio::CancelledError&) {
                cancelled = true;
                throw;
            }
            ADD_FAILURE() << "no exception";
        } catch (const asyncio::CancelledError&) {
            EXPECT_THROW(cm1.rethrow_as_timeout(), asyncio::TimeoutError);
        }
        EXPECT_TRUE(cancelled);
        EXPECT_TRUE(cm1.expired());
        EXPECT_TRUE(cm2->expired());
    }());
}

TEST(CPythonTimeouts, test_waiter_cancelled) {
    run_virtual([]() -> asyncio::Task<> {
        bool cancelled = false;
        auto cm = asyncio::timeout(0.01);
        try {
            try {
                co_await asyncio::sleep(10s);
            } catch (const asyncio::CancelledError&) {
                cancelled = true;
                throw;
            }
        } catch (const asyncio::CancelledError&) {
            EXPECT_THROW(cm.rethrow_as_timeout(), asyncio::TimeoutError);
        }
        EXPECT_TRUE(cancelled);
    }());
}

TEST(CPythonTimeouts, test_timeout_not_called) {
    run_virtual([]() -> asyncio::Task<> {
        auto cm = asyncio::timeout(10);
        co_await asyncio::sleep(0.01);
        const asyncio::TimePoint t1 = loop_time();
        EXPECT_FALSE(cm.expired());
        EXPECT_TRUE(cm.when() && *cm.when() > t1);
    }());
}

TEST(CPythonTimeouts, test_timeout_disabled) {
    run_virtual([]() -> asyncio::Task<> {
        auto cm = asyncio::timeout(std::nullopt);
        co_await asyncio::sleep(0.01);
        EXPECT_FALSE(cm.expired());
        EXPECT_FALSE(cm.when());
    }());
}

TEST(CPythonTimeouts, test_timeout_at_disabled) {
    run_virtual([]() -> asyncio::Task<> {
        auto cm = asyncio::timeout_at(std::nullopt);
        co_await asyncio::sleep(0.01);
        EXPECT_FALSE(cm.expired());
        EXPECT_FALSE(cm.when());
    }());
}

/// `async with timeout(delay) as cm: await sleep(nap)`; true if it raised TimeoutError.
asyncio::Task<bool> times_out(asyncio::Timeout& cm, asyncio::Duration nap) {
    try {
        try {
            co_await asyncio::sleep(nap);
        } catch (const asyncio::CancelledError&) {
            cm.rethrow_as_timeout();
        }
    } catch (const asyncio::TimeoutError&) {
        co_return true;
    }
    co_return false;
}

TEST(CPythonTimeouts, test_timeout_zero) {
    run_virtual([]() -> asyncio::Task<> {
        const asyncio::TimePoint t0 = loop_time();
        auto cm = asyncio::timeout(0);
        EXPECT_TRUE(co_await times_out(cm, 10s));
        const asyncio::TimePoint t1 = loop_time();
        EXPECT_TRUE(cm.expired());
        EXPECT_LE(t0, *cm.when());
        EXPECT_LE(*cm.when(), t1);
    }());
}

TEST(CPythonTimeouts, test_timeout_zero_sleep_zero) {
    run_virtual([]() -> asyncio::Task<> {
        const asyncio::TimePoint t0 = loop_time();
        auto cm = asyncio::timeout(0);
        EXPECT_TRUE(co_await times_out(cm, 0s));
        const asyncio::TimePoint t1 = loop_time();
        EXPECT_TRUE(cm.expired());
        EXPECT_LE(t0, *cm.when());
        EXPECT_LE(*cm.when(), t1);
    }());
}

TEST(CPythonTimeouts, test_timeout_in_the_past_sleep_zero) {
    run_virtual([]() -> asyncio::Task<> {
        const asyncio::TimePoint t0 = loop_time();
        auto cm = asyncio::timeout(-11);
        EXPECT_TRUE(co_await times_out(cm, 0s));
        EXPECT_TRUE(cm.expired());
        EXPECT_GE(t0, *cm.when());
    }());
}

TEST(CPythonTimeouts, test_foreign_exception_passed) {
    run_virtual([]() -> asyncio::Task<> {
        auto cm = asyncio::timeout(0.01);
        EXPECT_THROW(
            {
                try {
                    throw std::out_of_range("KeyError");
                } catch (const asyncio::CancelledError&) {
                    cm.rethrow_as_timeout();
                }
            },
            std::out_of_range);
        EXPECT_FALSE(cm.expired());
        co_return;
    }());
}

asyncio::Task<> crash() {
    try {
        co_await asyncio::sleep(1s);
    } catch (...) {
        throw std::domain_error("ZeroDivisionError");  // `finally: 1/0`
    }
    throw std::domain_error("ZeroDivisionError");
}

TEST(CPythonTimeouts, test_foreign_exception_on_timeout) {
    run_virtual([]() -> asyncio::Task<> {
        {
            auto cm = asyncio::timeout(0.01);
            try {
                try {
                    co_await crash();
                } catch (const asyncio::CancelledError&) {
                    cm.rethrow_as_timeout();
                }
                ADD_FAILURE() << "no exception";
            } catch (const std::domain_error&) {
            }
        }
        // The scope took its cancellation back: the task goes on undisturbed.
        EXPECT_EQ(asyncio::current_task().cancelling(), 0u);
        co_await asyncio::sleep(0);
    }());
}

TEST(CPythonTimeouts, test_foreign_cancel_doesnt_timeout_if_not_expired) {
    run_virtual([]() -> asyncio::Task<> {
        auto cm = asyncio::timeout(10);
        try {
            try {
                asyncio::current_task().cancel();
                co_await asyncio::sleep(10s);
            } catch (const asyncio::CancelledError&) {
                cm.rethrow_as_timeout();
            }
            ADD_FAILURE() << "no exception";
        } catch (const asyncio::CancelledError&) {
        }
        EXPECT_FALSE(cm.expired());
    }());
}

TEST(CPythonTimeouts, test_outer_task_is_not_cancelled) {
    run_virtual([]() -> asyncio::Task<> {
        auto outer = []() -> asyncio::Task<> {
            auto cm = asyncio::timeout(0.001);
            EXPECT_TRUE(co_await times_out(cm, 10s));
        };
        auto task = asyncio::create_task(outer());
        co_await task;
        EXPECT_FALSE(task.cancelled());
        EXPECT_TRUE(task.done());
    }());
}

TEST(CPythonTimeouts, test_nested_timeouts_concurrent) {
    run_with_clock([](asyncio::VirtualClock* clock) -> asyncio::Task<> {
        auto outer = asyncio::timeout(0.002);
        bool outer_timed_out = false;
        try {
            auto inner = asyncio::timeout(0.1);
            try {
                clock->advance(10ms);  // time.sleep(0.01): crunching numbers holds the loop
                co_await asyncio::sleep(1s);
            } catch (const asyncio::CancelledError&) {
                // CPython's inner assertRaises(TimeoutError) lets this through: the inner scope
                // did not expire, so the CancelledError is the outer one's.
                EXPECT_FALSE(inner.expired());
                inner.rethrow_as_timeout();
            }
        } catch (const asyncio::CancelledError&) {
            try {
                outer.rethrow_as_timeout();
            } catch (const asyncio::TimeoutError&) {
                outer_timed_out = true;
            }
        }
        EXPECT_TRUE(outer_timed_out);
    });
}

TEST(CPythonTimeouts, test_nested_timeouts_loop_busy) {
    run_with_clock([](asyncio::VirtualClock* clock) -> asyncio::Task<> {
        const asyncio::TimePoint t0 = loop_time();
        bool outer_timed_out = false;
        bool reached_long_sleep = false;
        auto outer = asyncio::timeout(0.1);  // (1)
        try {
            try {
                auto inner = asyncio::timeout(0.01);  // (2)
                try {
                    clock->advance(100ms);  // time.sleep(0.1): the loop is busy
                    co_await asyncio::sleep(1s);
                } catch (const asyncio::CancelledError&) {
                    // Both scopes expired in the same pass: the task was cancelled twice, so the
                    // inner scope sees another request pending and lets CancelledError through,
                    // as CPython's does (its assertRaises(TimeoutError) does not catch it).
                    inner.rethrow_as_timeout();
                }
            } catch (const asyncio::TimeoutError&) {
            }
            reached_long_sleep = true;
            co_await asyncio::sleep(10s);  // interrupted by (1)
        } catch (const asyncio::CancelledError&) {
            try {
                outer.rethrow_as_timeout();
            } catch (const asyncio::TimeoutError&) {
                outer_timed_out = true;
            }
        }
        EXPECT_TRUE(outer_timed_out);
        EXPECT_FALSE(reached_long_sleep);
        const asyncio::TimePoint t1 = loop_time();
        EXPECT_LE(t0, t1);
        EXPECT_LE(t1, t0 + 1s);
    });
}

TEST(CPythonTimeouts, test_reschedule) {
    run_virtual([]() -> asyncio::Task<> {
        const asyncio::TimePoint deadline1 = loop_time() + 10s;
        const asyncio::TimePoint deadline2 = deadline1 + 20s;
        asyncio::Timeout* cm = nullptr;
        asyncio::Event fut;  // fut.set_result(cm)
        bool expired_at_end = true;

        auto f = [&]() -> asyncio::Task<> {
            auto scope = asyncio::timeout_at(deadline1);
            cm = &scope;
            fut.set();
            try {
                co_await asyncio::sleep(50s);
            } catch (const asyncio::CancelledError&) {
                expired_at_end = scope.expired();
                scope.rethrow_as_timeout();
            }
        };
        auto task = asyncio::create_task(f());
        co_await fut.wait();

        EXPECT_EQ(cm->when(), deadline1);
        cm->reschedule(deadline2);
        EXPECT_EQ(cm->when(), deadline2);
        cm->reschedule(std::nullopt);
        EXPECT_FALSE(cm->when());

        task.cancel();
        EXPECT_THROW(co_await task, asyncio::CancelledError);
        EXPECT_FALSE(expired_at_end);
    }());
}

TEST(CPythonTimeouts, test_nested_timeout_in_finally) {
    run_virtual([]() -> asyncio::Task<> {
        bool inner_timed_out = false;
        auto outer = asyncio::timeout(0.01);
        try {
            std::exception_ptr error;
            try {
                co_await asyncio::sleep(1s);
            } catch (...) {
                error = std::current_exception();
            }
            {  // finally:
                auto inner = asyncio::timeout(0.01);
                inner_timed_out = co_await times_out(inner, 10s);
            }
            if (error) std::rethrow_exception(error);
            ADD_FAILURE() << "no exception";
        } catch (const asyncio::CancelledError&) {
            EXPECT_THROW(outer.rethrow_as_timeout(), asyncio::TimeoutError);
        }
        EXPECT_TRUE(inner_timed_out);
    }());
}

TEST(CPythonTimeouts, test_timeout_after_cancellation) {
    run_virtual([]() -> asyncio::Task<> {
        try {
            asyncio::current_task().cancel();
            co_await asyncio::sleep(1s);  // work which will be cancelled
        } catch (const asyncio::CancelledError&) {
        }
        // finally: the cancellation was swallowed but still counts (cancelling() is 1)
        auto cm = asyncio::timeout(0.0);
        EXPECT_TRUE(co_await times_out(cm, 1s));  // some cleanup
    }());
}

TEST(CPythonTimeouts, test_cancel_in_timeout_after_cancellation) {
    run_virtual([]() -> asyncio::Task<> {
        try {
            asyncio::current_task().cancel();
            co_await asyncio::sleep(1s);  // work which will be cancelled
        } catch (const asyncio::CancelledError&) {
        }
        auto cm = asyncio::timeout(1.0);
        EXPECT_THROW(
            {
                try {
                    asyncio::current_task().cancel();
                    co_await asyncio::sleep(2s);  // some cleanup
                } catch (const asyncio::CancelledError&) {
                    cm.rethrow_as_timeout();
                }
            },
            asyncio::CancelledError);
    }());
}

TEST(CPythonTimeouts, test_timeout_without_task) {
    // Outside of a task there is nothing to cancel: the scope cannot begin (CPython raises
    // RuntimeError from __aenter__).
    EXPECT_THROW((void)asyncio::timeout(0.01), asyncio::InvalidStateError);
}

}  // namespace
