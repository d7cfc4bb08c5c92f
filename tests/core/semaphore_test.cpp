#include <asyncio/core/semaphore.hpp>

#include <asyncio/core/sleep.hpp>
#include <asyncio/core/task.hpp>

#include <gtest/gtest.h>

#include <string>

#include "core/test_support.hpp"

using asyncio_test::run_virtual;
using asyncio_test::Trace;

namespace {

asyncio::Task<> sem_user(asyncio::Semaphore* sem, Trace* trace, std::string name) {
    trace->push_back(name + " wants");
    co_await sem->acquire();
    trace->push_back(name + " in");
    co_await asyncio::sleep(0);
    co_await asyncio::sleep(0);
    trace->push_back(name + " out");
    sem->release();
}

// CPython reference:
//   async def sem_user(sem, name):
//       T(f"{name} wants")
//       async with sem: T(f"{name} in"); await asyncio.sleep(0); await asyncio.sleep(0); T(f"{name} out")
//   async def main():
//       sem = asyncio.Semaphore(2)
//       ts = [asyncio.create_task(sem_user(sem, n)) for n in "abcde"]
//       for t in ts: await t
asyncio::Task<> five_through_two_slots(Trace* trace) {
    asyncio::Semaphore sem(2);
    std::vector<asyncio::Task<>> tasks;
    for (const char* name : {"a", "b", "c", "d", "e"}) tasks.push_back(asyncio::create_task(sem_user(&sem, trace, name)));
    for (auto& task : tasks) co_await task;
    trace->push_back("value " + std::to_string(sem.value()));
}

TEST(Semaphore, SlotsGoToWaitersFirstComeFirstServedAsInCPython) {
    Trace trace;
    run_virtual(five_through_two_slots(&trace));
    EXPECT_EQ(trace, (Trace{"a wants", "a in", "b wants", "b in", "c wants", "d wants", "e wants", "a out", "b out", "c in",
                            "d in", "c out", "d out", "e in", "e out", "value 2"}));
}

TEST(Semaphore, CountsSlotsAndLockedMeansAcquireWouldWait) {
    asyncio::Semaphore sem(2);
    EXPECT_FALSE(sem.locked());
    EXPECT_TRUE(sem.try_acquire());
    EXPECT_TRUE(sem.try_acquire());
    EXPECT_TRUE(sem.locked());
    EXPECT_FALSE(sem.try_acquire());
    sem.release();
    EXPECT_EQ(sem.value(), 1U);
    sem.release();
    sem.release();  // a plain Semaphore may be released above its initial value, as in CPython
    EXPECT_EQ(sem.value(), 3U);
}

TEST(Semaphore, ABoundedSemaphoreReleasedTooOftenIsAnError) {
    asyncio::BoundedSemaphore sem(2);
    EXPECT_THROW(sem.release(), asyncio::InvalidStateError);
    EXPECT_EQ(sem.value(), 2U);  // unchanged by the refused release
    EXPECT_TRUE(sem.try_acquire());
    sem.release();
    EXPECT_THROW(sem.release(), asyncio::InvalidStateError);
    EXPECT_EQ(sem.value(), 2U);
}

asyncio::Task<std::string> bounded_handover() {
    // Handing a slot to a waiter is not an over-release, even at the bound.
    asyncio::BoundedSemaphore sem(1);
    Trace trace;
    co_await sem.acquire();
    auto waiter = asyncio::create_task(sem_user(&sem, &trace, "w"));
    co_await asyncio::sleep(0);
    sem.release();
    co_await waiter;
    co_return "value " + std::to_string(sem.value()) + ", " + trace.back();
}

TEST(Semaphore, ABoundedSemaphoreHandsItsSlotOverWithoutComplaint) {
    EXPECT_EQ(run_virtual(bounded_handover()), "value 1, w out");
}

asyncio::Task<> acquirer(asyncio::Semaphore* sem, Trace* trace, std::string name) {
    try {
        co_await sem->acquire();
    } catch (const asyncio::CancelledError&) {
        trace->push_back(name + " cancelled");
        throw;
    }
    trace->push_back(name + " in");
    sem->release();
}

asyncio::Task<> cancel_waiters(Trace* trace) {
    asyncio::BoundedSemaphore sem(1);
    co_await sem.acquire();
    auto b = asyncio::create_task(acquirer(&sem, trace, "b"));
    auto c = asyncio::create_task(acquirer(&sem, trace, "c"));
    auto d = asyncio::create_task(acquirer(&sem, trace, "d"));
    co_await asyncio::sleep(0);
    b.cancel();  // while queued: leaves the queue
    co_await asyncio::sleep(0);
    sem.release();  // reserves the slot for c and wakes it...
    c.cancel();     // ...cancelled before it runs: the slot goes on to d
    co_await d;
    trace->push_back("value " + std::to_string(sem.value()));
}

TEST(Semaphore, CancelledWaitersNeitherKeepNorLoseASlot) {
    Trace trace;
    run_virtual(cancel_waiters(&trace));
    EXPECT_EQ(trace, (Trace{"b cancelled", "c cancelled", "d in", "value 1"}));
}

}  // namespace
