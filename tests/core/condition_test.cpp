#include <asyncio/core/condition.hpp>

#include <asyncio/core/sleep.hpp>
#include <asyncio/core/task.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/test_support.hpp"

using asyncio_test::run_virtual;
using asyncio_test::Trace;

namespace {

asyncio::Task<> cond_waiter(asyncio::Condition* cond, Trace* trace, std::string name) {
    auto guard = co_await cond->scoped_acquire();
    trace->push_back(name + " waits");
    co_await cond->wait();
    trace->push_back(name + " notified" + (cond->locked() ? " holding the lock" : " without the lock"));
}

// CPython reference:
//   async def cond_waiter(cond, name):
//       async with cond: T(f"{name} waits"); await cond.wait(); T(f"{name} notified")
//   async def main():
//       cond = asyncio.Condition()
//       ts = [asyncio.create_task(cond_waiter(cond, n)) for n in "abc"]
//       await asyncio.sleep(0)
//       async with cond: T("notify 2"); cond.notify(2)
//       await asyncio.sleep(0)
//       async with cond: T("notify all"); cond.notify_all()
//       for t in ts: await t
asyncio::Task<> notify_in_order(Trace* trace) {
    asyncio::Condition cond;
    auto a = asyncio::create_task(cond_waiter(&cond, trace, "a"));
    auto b = asyncio::create_task(cond_waiter(&cond, trace, "b"));
    auto c = asyncio::create_task(cond_waiter(&cond, trace, "c"));
    co_await asyncio::sleep(0);
    {
        auto guard = co_await cond.scoped_acquire();
        trace->push_back("notify 2");
        cond.notify(2);
    }
    co_await asyncio::sleep(0);
    {
        auto guard = co_await cond.scoped_acquire();
        trace->push_back("notify all");
        cond.notify_all();
    }
    co_await a;
    co_await b;
    co_await c;
}

TEST(Condition, NotifyWakesWaitersOldestFirstEachReacquiringTheLockAsInCPython) {
    Trace trace;
    run_virtual(notify_in_order(&trace));
    EXPECT_EQ(trace, (Trace{"a waits", "b waits", "c waits", "notify 2", "a notified holding the lock",
                            "b notified holding the lock", "notify all", "c notified holding the lock"}));
}

asyncio::Task<std::string> misuse() {
    asyncio::Condition cond;
    std::string seen;
    try {
        co_await cond.wait();
    } catch (const asyncio::InvalidStateError&) {
        seen += "wait refused";
    }
    try {
        cond.notify();
    } catch (const asyncio::InvalidStateError&) {
        seen += ", notify refused";
    }
    co_return seen;
}

TEST(Condition, WaitAndNotifyWithoutTheLockAreErrors) { EXPECT_EQ(run_virtual(misuse()), "wait refused, notify refused"); }

asyncio::Task<> consumer(asyncio::Condition* cond, std::vector<int>* items, Trace* trace) {
    auto guard = co_await cond->scoped_acquire();
    co_await cond->wait_for([items] { return items->size() >= 3; });
    trace->push_back("saw " + std::to_string(items->size()) + " items");
}

asyncio::Task<> predicate_wait(Trace* trace) {
    asyncio::Lock lock;
    asyncio::Condition cond(lock);  // sharing a lock
    std::vector<int> items;
    auto task = asyncio::create_task(consumer(&cond, &items, trace));
    for (int i = 0; i < 5; ++i) {
        co_await asyncio::sleep(0);
        auto guard = co_await lock.scoped_acquire();
        items.push_back(i);
        trace->push_back("added " + std::to_string(i));
        cond.notify_all();
    }
    co_await task;
}

TEST(Condition, WaitForRechecksThePredicateAfterEachNotification) {
    Trace trace;
    run_virtual(predicate_wait(&trace));
    EXPECT_EQ(trace, (Trace{"added 0", "added 1", "added 2", "saw 3 items", "added 3", "added 4"}));
}

asyncio::Task<> cancellable_waiter(asyncio::Condition* cond, Trace* trace, std::string name) {
    auto guard = co_await cond->scoped_acquire();
    try {
        co_await cond->wait();
        trace->push_back(name + " notified");
    } catch (const asyncio::CancelledError&) {
        // The lock is held again before the exception arrives, so the guard stays right.
        trace->push_back(name + " cancelled" + (cond->locked() ? " holding the lock" : " without the lock"));
        throw;
    }
}

asyncio::Task<> cancel_while_waiting(Trace* trace) {
    asyncio::Condition cond;
    auto a = asyncio::create_task(cancellable_waiter(&cond, trace, "a"));
    auto b = asyncio::create_task(cancellable_waiter(&cond, trace, "b"));
    co_await asyncio::sleep(0);
    {
        auto guard = co_await cond.scoped_acquire();
        a.cancel();  // a must re-acquire the lock, which main holds for a while
        co_await asyncio::sleep(0);
        co_await asyncio::sleep(0);
        trace->push_back("main releases");
    }
    co_await asyncio::sleep(0);
    {
        auto guard = co_await cond.scoped_acquire();
        cond.notify();
    }
    co_await b;
    trace->push_back(cond.locked() ? "locked" : "unlocked");
}

TEST(Condition, ACancelledWaiterGetsTheLockBackBeforeCancelledError) {
    Trace trace;
    run_virtual(cancel_while_waiting(&trace));
    EXPECT_EQ(trace, (Trace{"main releases", "a cancelled holding the lock", "b notified", "unlocked"}));
}

asyncio::Task<> cancel_after_notify(Trace* trace) {
    asyncio::Condition cond;
    auto a = asyncio::create_task(cancellable_waiter(&cond, trace, "a"));
    auto b = asyncio::create_task(cancellable_waiter(&cond, trace, "b"));
    co_await asyncio::sleep(0);
    {
        auto guard = co_await cond.scoped_acquire();
        cond.notify(1);  // meant for a...
        a.cancel();      // ...which is cancelled before it runs: b gets the notification instead
    }
    co_await b;
    trace->push_back(a.cancelled() ? "a is cancelled" : "a is not cancelled");
}

TEST(Condition, ANotificationIsNotLostWhenItsWaiterIsCancelled) {
    Trace trace;
    run_virtual(cancel_after_notify(&trace));
    EXPECT_EQ(trace, (Trace{"a cancelled holding the lock", "b notified", "a is cancelled"}));
}

}  // namespace
