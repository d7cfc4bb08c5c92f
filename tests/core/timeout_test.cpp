#include <asyncio/core/timeout.hpp>

#include <asyncio/core/event.hpp>
#include <asyncio/core/queue.hpp>
#include <asyncio/core/sleep.hpp>
#include <asyncio/core/task.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "core/test_support.hpp"

using namespace std::chrono_literals;
using asyncio_test::ns;
using asyncio_test::run_virtual;
using asyncio_test::Trace;

namespace {

std::string at() { return std::to_string(asyncio_test::now() / 1ms) + "ms"; }

asyncio::Task<int> slow_value(Trace* trace, asyncio::Duration delay, int value) {
    try {
        co_await asyncio::sleep(delay);
    } catch (const asyncio::CancelledError&) {
        trace->push_back("inner cancelled at " + at());
        throw;
    }
    co_return value;
}

asyncio::Task<std::string> in_time_and_late(Trace* trace) {
    std::string seen = std::to_string(co_await asyncio::wait_for(slow_value(trace, 10ms, 1), 20ms)) + " at " + at();
    try {
        co_await asyncio::wait_for(slow_value(trace, 50ms, 2), 30ms);
        seen += ", late value";
    } catch (const asyncio::TimeoutError&) {
        seen += ", TimeoutError at " + at();
    }
    co_return seen;
}

TEST(WaitFor, ReturnsTheValueInTimeAndTimesOutExactlyAtTheLimit) {
    Trace trace;
    EXPECT_EQ(run_virtual(in_time_and_late(&trace)), "1 at 10ms, TimeoutError at 40ms");
    EXPECT_EQ(trace, (Trace{"inner cancelled at 40ms"}));  // the inner work saw CancelledError first
}

asyncio::Task<std::string> limit_forms(Trace* trace) {
    std::string seen;
    for (int i = 0; i < 3; ++i) {
        try {
            if (i == 0) co_await asyncio::wait_for_ms(slow_value(trace, 1s, 0), 5);
            if (i == 1) co_await asyncio::wait_for(slow_value(trace, 1s, 0), 0.25);
            if (i == 2) co_await asyncio::wait_for(slow_value(trace, 1h, 0), 2);
        } catch (const asyncio::TimeoutError&) {
            seen += at() + " ";
        }
    }
    co_return seen;
}

TEST(WaitFor, TakesMillisecondsSecondsOrAnyDuration) {
    Trace trace;
    EXPECT_EQ(run_virtual(limit_forms(&trace)), "5ms 255ms 2255ms ");
}

asyncio::Task<std::string> wait_for_created_task(Trace* trace) {
    auto task = asyncio::create_task(slow_value(trace, 1h, 5));
    try {
        co_await asyncio::wait_for(std::move(task), 10ms);
    } catch (const asyncio::TimeoutError&) {
        co_return "TimeoutError at " + at();
    }
    co_return "value";
}

TEST(WaitFor, ATaskThatTimesOutIsCancelledAndWaitedFor) {
    Trace trace;
    EXPECT_EQ(run_virtual(wait_for_created_task(&trace)), "TimeoutError at 10ms");
    EXPECT_EQ(trace, (Trace{"inner cancelled at 10ms"}));
}

asyncio::Task<> waits_for(Trace* trace) {
    try {
        co_await asyncio::wait_for(slow_value(trace, 1h, 0), 1h);
    } catch (const asyncio::TimeoutError&) {
        trace->push_back("TimeoutError");
    } catch (const asyncio::CancelledError&) {
        trace->push_back("CancelledError at " + at());
        throw;
    }
}

asyncio::Task<> cancel_from_outside(Trace* trace) {
    auto task = asyncio::create_task(waits_for(trace));
    co_await asyncio::sleep(3ms);
    task.cancel();
    try {
        co_await task;
    } catch (const asyncio::CancelledError&) {
    }
}

TEST(WaitFor, ACancellationFromOutsideStaysACancellation) {
    Trace trace;
    run_virtual(cancel_from_outside(&trace));
    EXPECT_EQ(trace, (Trace{"inner cancelled at 3ms", "CancelledError at 3ms"}));
}

asyncio::Task<std::string> nested_limits(Trace* trace) {
    std::string seen;
    // The inner limit expires first: the inner wait_for reports it; the outer one goes on.
    seen += std::to_string(co_await asyncio::wait_for(
        [](Trace* t) -> asyncio::Task<int> {
            try {
                co_await asyncio::wait_for(slow_value(t, 1h, 0), 5ms);
            } catch (const asyncio::TimeoutError&) {
                co_return 1;
            }
            co_return 0;
        }(trace),
        50ms));
    seen += " at " + at();
    // The outer limit expires first: the inner wait_for passes the cancellation through.
    try {
        co_await asyncio::wait_for(asyncio::wait_for(slow_value(trace, 1h, 0), 50ms), 5ms);
    } catch (const asyncio::TimeoutError&) {
        seen += ", outer TimeoutError at " + at();
    }
    co_return seen;
}

TEST(WaitFor, NestedLimitsEachReportOnlyTheirOwnExpiry) {
    Trace trace;
    EXPECT_EQ(run_virtual(nested_limits(&trace)), "1 at 5ms, outer TimeoutError at 10ms");
}

asyncio::Task<std::string> scope() {
    std::string seen;
    {
        auto limit = asyncio::timeout(10ms);
        try {
            co_await asyncio::sleep(4ms);
            co_await asyncio::sleep(4ms);  // 8 ms in all: within the limit
            seen += "in time";
        } catch (const asyncio::CancelledError&) {
            limit.rethrow_as_timeout();
        }
    }
    co_await asyncio::sleep(10ms);  // the scope's timer is gone: nothing cancels this sleep
    try {
        auto limit = asyncio::timeout(10ms);
        try {
            co_await asyncio::sleep(6ms);
            co_await asyncio::sleep(6ms);
        } catch (const asyncio::CancelledError&) {
            seen += limit.expired() ? ", expired" : ", not expired";
            limit.rethrow_as_timeout();
        }
    } catch (const asyncio::TimeoutError&) {
        seen += ", TimeoutError at " + at();
    }
    co_return seen;
}

TEST(Timeout, AScopeLimitsSeveralAwaitsAndDisarmsWhenLeft) {
    EXPECT_EQ(run_virtual(scope()), "in time, expired, TimeoutError at 28ms");
}

asyncio::Task<int> ignores_cancellation() {
    try {
        co_await asyncio::sleep(10ms);
    } catch (const asyncio::CancelledError&) {  // swallowed: the work finishes anyway
    }
    co_return 42;
}

// CPython: a scope whose cancellation was swallowed by the work takes it back when left
// (uncancel); nothing is raised, and later awaits are not hit by it.
asyncio::Task<std::string> expiry_swallowed_by_the_work() {
    std::string seen;
    {
        auto limit = asyncio::timeout(5ms);
        const int value = co_await ignores_cancellation();
        seen = std::to_string(value) + (limit.expired() ? " expired" : " not expired");
        seen += ", cancelling " + std::to_string(asyncio::current_task().cancelling());
    }
    co_await asyncio::sleep(1ms);
    co_return seen + ", later await unaffected, cancelling " + std::to_string(asyncio::current_task().cancelling());
}

TEST(Timeout, AnExpirySwallowedByTheWorkDoesNotLeakPastTheScope) {
    EXPECT_EQ(run_virtual(expiry_swallowed_by_the_work()), "42 expired, cancelling 1, later await unaffected, cancelling 0");
}

asyncio::Task<std::string> reschedule() {
    auto limit = asyncio::timeout(5ms);
    limit.reschedule(asyncio::TimePoint(20ms));  // the VirtualClock starts at the origin
    try {
        co_await asyncio::sleep(10ms);
        co_await asyncio::sleep(20ms);
    } catch (const asyncio::CancelledError&) {
        try {
            limit.rethrow_as_timeout();
        } catch (const asyncio::TimeoutError&) {
            co_return "TimeoutError at " + at();
        }
    }
    co_return "no timeout";
}

TEST(Timeout, RescheduleMovesTheDeadline) { EXPECT_EQ(run_virtual(reschedule()), "TimeoutError at 20ms"); }

asyncio::Task<std::string> primitives_under_wait_for() {
    asyncio::Event event;
    std::string seen;
    try {
        co_await asyncio::wait_for(event.wait(), 3ms);
    } catch (const asyncio::TimeoutError&) {
        seen += "event " + at();
    }
    try {
        co_await asyncio::wait_for(asyncio::sleep(1h), 3ms);
    } catch (const asyncio::TimeoutError&) {
        seen += ", sleep " + at();
    }
    co_return seen;
}

TEST(WaitFor, WorksOnAwaitersAsWellAsTasks) { EXPECT_EQ(run_virtual(primitives_under_wait_for()), "event 3ms, sleep 6ms"); }

asyncio::Task<asyncio::Duration> real_timeout() {
    const auto start = asyncio_test::now();
    try {
        co_await asyncio::wait_for(asyncio::sleep(10s), 50ms);
    } catch (const asyncio::TimeoutError&) {
    }
    co_return asyncio_test::now() - start;
}

TEST(WaitFor, OnTheRealClockTimesOutAboutOnTime) {
    const asyncio::Duration took = asyncio::run(real_timeout());
    EXPECT_GE(took, ns(50ms));
    EXPECT_LT(took, ns(150ms));
}

}  // namespace
