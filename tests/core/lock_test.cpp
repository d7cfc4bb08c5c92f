#include <asyncio/core/lock.hpp>

#include <asyncio/core/sleep.hpp>
#include <asyncio/core/task.hpp>
#include <asyncio/core/timeout.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>

#include "core/test_support.hpp"

using namespace std::chrono_literals;
using asyncio_test::run_virtual;
using asyncio_test::Trace;

namespace {

asyncio::Task<> lock_user(asyncio::Lock* lock, Trace* trace, std::string name) {
    trace->push_back(name + " wants");
    auto guard = co_await lock->scoped_acquire();
    trace->push_back(name + " has");
    co_await asyncio::sleep(0);
    trace->push_back(name + " releases");
}

// CPython reference:
//   async def lock_user(lock, name):
//       T(f"{name} wants")
//       async with lock: T(f"{name} has"); await asyncio.sleep(0); T(f"{name} releases")
//   async def main():
//       lock = asyncio.Lock()
//       ts = [asyncio.create_task(lock_user(lock, n)) for n in "abc"]
//       await asyncio.sleep(0); await asyncio.sleep(0)
//       ts.append(asyncio.create_task(lock_user(lock, "late")))
//       for t in ts: await t
asyncio::Task<> contend(Trace* trace) {
    asyncio::Lock lock;
    auto a = asyncio::create_task(lock_user(&lock, trace, "a"));
    auto b = asyncio::create_task(lock_user(&lock, trace, "b"));
    auto c = asyncio::create_task(lock_user(&lock, trace, "c"));
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
    auto late = asyncio::create_task(lock_user(&lock, trace, "late"));
    co_await a;
    co_await b;
    co_await c;
    co_await late;
    trace->push_back(lock.locked() ? "still locked" : "unlocked");
}

TEST(Lock, WaitersGetTheLockFirstComeFirstServedAsInCPython) {
    Trace trace;
    run_virtual(contend(&trace));
    EXPECT_EQ(trace, (Trace{"a wants", "a has", "b wants", "c wants", "a releases", "b has", "late wants", "b releases",
                            "c has", "c releases", "late has", "late releases", "unlocked"}));
}

asyncio::Task<std::string> no_barging() {
    asyncio::Lock lock;
    Trace trace;
    co_await lock.acquire();
    auto waiter = asyncio::create_task(lock_user(&lock, &trace, "w"));
    co_await asyncio::sleep(0);  // w queues
    lock.release();              // frees it and wakes w, which has not run yet
    std::string seen = lock.locked() ? "locked" : "free";  // free, as in CPython 3.13
    seen += lock.try_acquire() ? ", barged in" : ", try_acquire refused";
    co_await waiter;
    seen += lock.try_acquire() ? ", then acquired" : ", then refused";
    lock.release();
    co_return seen;
}

TEST(Lock, ReleaseWakesTheFirstWaiterAndNobodyCanBargeInAheadOfIt) {
    EXPECT_EQ(run_virtual(no_barging()), "free, try_acquire refused, then acquired");
}

asyncio::Task<std::string> guard_releases_on_exception() {
    asyncio::Lock lock;
    try {
        auto guard = co_await lock.scoped_acquire();
        throw std::runtime_error("inside");
    } catch (const std::runtime_error&) {
    }
    std::string seen = lock.locked() ? "locked" : "released";
    {
        auto guard = co_await lock.scoped_acquire();
        guard.release();  // early release, and the destructor does not release twice
        seen += lock.locked() ? " locked" : " released";
    }
    seen += lock.locked() ? " locked" : " released";
    co_return seen;
}

TEST(Lock, TheGuardReleasesOnScopeExitOnExceptionAndOnRequest) {
    EXPECT_EQ(run_virtual(guard_releases_on_exception()), "released released released");
}

TEST(Lock, ReleasingAnUnlockedLockIsAnError) {
    asyncio::Lock lock;
    EXPECT_THROW(lock.release(), asyncio::InvalidStateError);
    EXPECT_TRUE(lock.try_acquire());
    EXPECT_FALSE(lock.try_acquire());
    lock.release();
    EXPECT_FALSE(lock.locked());
}

asyncio::Task<> acquirer(asyncio::Lock* lock, Trace* trace, std::string name) {
    try {
        co_await lock->acquire();
    } catch (const asyncio::CancelledError&) {
        trace->push_back(name + " cancelled" + (lock->locked() ? ", lock held" : ", lock free"));
        throw;
    }
    trace->push_back(name + " has");
    lock->release();
}

asyncio::Task<> cancel_queued_waiter(Trace* trace) {
    asyncio::Lock lock;
    co_await lock.acquire();
    auto b = asyncio::create_task(acquirer(&lock, trace, "b"));
    auto c = asyncio::create_task(acquirer(&lock, trace, "c"));
    co_await asyncio::sleep(0);
    b.cancel();  // b leaves the queue
    co_await asyncio::sleep(0);
    lock.release();  // wakes c
    co_await c;
    trace->push_back(lock.locked() ? "locked" : "unlocked");
}

TEST(Lock, ACancelledWaiterLeavesTheQueue) {
    Trace trace;
    run_virtual(cancel_queued_waiter(&trace));
    EXPECT_EQ(trace, (Trace{"b cancelled, lock held", "c has", "unlocked"}));
}

asyncio::Task<> cancel_after_wake_up(Trace* trace) {
    asyncio::Lock lock;
    co_await lock.acquire();
    auto b = asyncio::create_task(acquirer(&lock, trace, "b"));
    auto c = asyncio::create_task(acquirer(&lock, trace, "c"));
    co_await asyncio::sleep(0);
    lock.release();  // wakes b...
    b.cancel();      // ...which is cancelled before it runs: it wakes c instead
    co_await c;
    trace->push_back(lock.locked() ? "locked" : "unlocked");
}

TEST(Lock, AWaiterCancelledAfterBeingWokenWakesTheNextOne) {
    Trace trace;
    run_virtual(cancel_after_wake_up(&trace));
    EXPECT_EQ(trace, (Trace{"b cancelled, lock free", "c has", "unlocked"}));
}

asyncio::Task<std::string> acquire_with_timeout() {
    asyncio::Lock lock;
    co_await lock.acquire();
    std::string seen;
    try {
        co_await asyncio::wait_for(lock.acquire(), 5ms);
        seen = "acquired twice";
    } catch (const asyncio::TimeoutError&) {
        seen = "timed out at " + std::to_string(asyncio_test::now() / 1ms) + "ms";
    }
    lock.release();
    seen += lock.locked() ? ", locked" : ", free";
    co_return seen;
}

TEST(Lock, WaitForOnAcquireTimesOutAndLeavesTheLockAsItWas) {
    EXPECT_EQ(run_virtual(acquire_with_timeout()), "timed out at 5ms, free");
}

}  // namespace
