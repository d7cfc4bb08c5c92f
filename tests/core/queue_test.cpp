#include <asyncio/core/queue.hpp>

#include <asyncio/core/sleep.hpp>
#include <asyncio/core/task.hpp>
#include <asyncio/core/timeout.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>

#include "core/test_support.hpp"

using namespace std::chrono_literals;
using asyncio_test::run_virtual;
using asyncio_test::Trace;

namespace {

asyncio::Task<> producer(asyncio::Queue<std::optional<int>>* queue, Trace* trace, int count) {
    for (int i = 0; i < count; ++i) {
        trace->push_back("put " + std::to_string(i));
        co_await queue->put(i);
        trace->push_back("put " + std::to_string(i) + " done");
        EXPECT_LE(queue->qsize(), queue->maxsize());
    }
    co_await queue->put(std::nullopt);
}

asyncio::Task<> consumer(asyncio::Queue<std::optional<int>>* queue, Trace* trace) {
    for (;;) {
        std::optional<int> item = co_await queue->get();
        trace->push_back("got " + (item ? std::to_string(*item) : std::string("None")));
        if (!item) break;
        co_await asyncio::sleep(0);
    }
}

// CPython reference:
//   async def producer(q, n):
//       for i in range(n): T(f"put {i}"); await q.put(i); T(f"put {i} done")
//       await q.put(None)
//   async def consumer(q):
//       while True:
//           item = await q.get(); T(f"got {item}")
//           if item is None: break
//           await asyncio.sleep(0)
//   async def main():
//       q = asyncio.Queue(maxsize=2)
//       c = asyncio.create_task(consumer(q)); p = asyncio.create_task(producer(q, 5))
//       await p; await c
asyncio::Task<> producer_consumer(Trace* trace) {
    asyncio::Queue<std::optional<int>> queue(2);
    auto c = asyncio::create_task(consumer(&queue, trace));
    auto p = asyncio::create_task(producer(&queue, trace, 5));
    co_await p;
    co_await c;
}

TEST(Queue, ABoundedQueueMakesTheProducerWaitAsInCPython) {
    Trace trace;
    run_virtual(producer_consumer(&trace));
    EXPECT_EQ(trace, (Trace{"put 0", "put 0 done", "put 1", "put 1 done", "put 2", "got 0", "put 2 done", "put 3", "got 1",
                            "put 3 done", "put 4", "got 2", "put 4 done", "got 3", "got 4", "got None"}));
}

TEST(Queue, NowaitFormsThrowQueueFullAndQueueEmpty) {
    asyncio::Queue<int> queue(2);
    EXPECT_TRUE(queue.empty());
    EXPECT_THROW(queue.get_nowait(), asyncio::QueueEmpty);
    queue.put_nowait(1);
    queue.put_nowait(2);
    EXPECT_TRUE(queue.full());
    EXPECT_THROW(queue.put_nowait(3), asyncio::QueueFull);
    EXPECT_EQ(queue.qsize(), 2U);
    EXPECT_EQ(queue.get_nowait(), 1);
    EXPECT_EQ(queue.get_nowait(), 2);
    EXPECT_THROW(queue.get_nowait(), asyncio::QueueEmpty);
}

TEST(Queue, AnUnboundedQueueNeverFills) {
    asyncio::Queue<int> queue;
    for (int i = 0; i < 100'000; ++i) queue.put_nowait(i);
    EXPECT_FALSE(queue.full());
    EXPECT_EQ(queue.qsize(), 100'000U);
    EXPECT_EQ(queue.get_nowait(), 0);
}

asyncio::Task<> worker(asyncio::Queue<int>* queue, Trace* trace) {
    for (;;) {
        const int item = co_await queue->get();
        co_await asyncio::sleep(std::chrono::milliseconds(item));
        trace->push_back("done " + std::to_string(item));
        queue->task_done();
    }
}

asyncio::Task<> join_waits_for_task_done(Trace* trace) {
    asyncio::Queue<int> queue;
    co_await queue.join();  // nothing put yet: returns at once
    auto w = asyncio::create_task(worker(&queue, trace));
    for (int item : {3, 1, 2}) co_await queue.put(item);
    co_await queue.join();
    trace->push_back("joined at " + std::to_string(asyncio_test::now() / 1ms) + "ms");
    w.cancel();
    EXPECT_THROW(queue.task_done(), asyncio::InvalidStateError);
}

TEST(Queue, JoinWaitsUntilEveryItemIsMarkedDone) {
    Trace trace;
    run_virtual(join_waits_for_task_done(&trace));
    EXPECT_EQ(trace, (Trace{"done 3", "done 1", "done 2", "joined at 6ms"}));
}

asyncio::Task<> getter(asyncio::Queue<int>* queue, Trace* trace, std::string name) {
    try {
        const int item = co_await queue->get();
        trace->push_back(name + " got " + std::to_string(item));
    } catch (const asyncio::CancelledError&) {
        trace->push_back(name + " cancelled");
        throw;
    }
}

asyncio::Task<> getters_fifo_and_cancel(Trace* trace) {
    asyncio::Queue<int> queue;
    auto a = asyncio::create_task(getter(&queue, trace, "a"));
    auto b = asyncio::create_task(getter(&queue, trace, "b"));
    auto c = asyncio::create_task(getter(&queue, trace, "c"));
    auto d = asyncio::create_task(getter(&queue, trace, "d"));
    co_await asyncio::sleep(0);
    b.cancel();             // waiting: leaves the queue of getters
    queue.put_nowait(1);    // to a
    queue.put_nowait(2);    // for c (b is gone)...
    c.cancel();             // ...which is cancelled before it takes it
    queue.put_nowait(3);    // for d, which takes the front item, 2
    co_await a;
    co_await d;
    std::string left = "left " + std::to_string(queue.qsize());
    left += ": " + std::to_string(queue.get_nowait());
    trace->push_back(left);
}

TEST(Queue, GettersAreServedInOrderAndACancelledGetterLosesNoItem) {
    Trace trace;
    run_virtual(getters_fifo_and_cancel(&trace));
    // As CPython: b and c took nothing, items left in the order they came.
    EXPECT_EQ(trace, (Trace{"b cancelled", "a got 1", "c cancelled", "d got 2", "left 1: 3"}));
}

asyncio::Task<> cancelled_getter_puts_back(Trace* trace) {
    asyncio::Queue<int> queue;
    auto a = asyncio::create_task(getter(&queue, trace, "a"));
    co_await asyncio::sleep(0);
    queue.put_nowait(1);  // promised to a
    queue.put_nowait(2);
    a.cancel();           // a never takes 1: it stays at the front
    co_await asyncio::sleep(0);
    std::string next = "next " + std::to_string(queue.get_nowait());
    next += " then " + std::to_string(queue.get_nowait());
    trace->push_back(next);
}

TEST(Queue, AGetterCancelledAfterItWasWokenTakesNothing) {
    Trace trace;
    run_virtual(cancelled_getter_puts_back(&trace));
    EXPECT_EQ(trace, (Trace{"a cancelled", "next 1 then 2"}));
}

asyncio::Task<> putter(asyncio::Queue<int>* queue, Trace* trace, int item) {
    try {
        co_await queue->put(item);
        trace->push_back("put " + std::to_string(item));
    } catch (const asyncio::CancelledError&) {
        trace->push_back("put " + std::to_string(item) + " cancelled");
        throw;
    }
}

asyncio::Task<> cancel_putters(Trace* trace) {
    asyncio::Queue<int> queue(1);
    queue.put_nowait(0);
    auto p1 = asyncio::create_task(putter(&queue, trace, 1));
    auto p2 = asyncio::create_task(putter(&queue, trace, 2));
    auto p3 = asyncio::create_task(putter(&queue, trace, 3));
    co_await asyncio::sleep(0);
    p2.cancel();  // waiting: its item is never put
    std::string order;
    for (int i = 0; i < 3; ++i) order += std::to_string(co_await queue.get());
    trace->push_back("got " + order + ", left " + std::to_string(queue.qsize()));
    co_await p1;
    co_await p3;
}

TEST(Queue, ACancelledPutterLeavesWithoutPuttingItsItem) {
    Trace trace;
    run_virtual(cancel_putters(&trace));
    // Each get() frees a slot that the next waiting putter fills at once, so main never waits.
    EXPECT_EQ(trace, (Trace{"got 013, left 0", "put 2 cancelled", "put 1", "put 3"}));
}

asyncio::Task<std::string> timeouts() {
    asyncio::Queue<std::unique_ptr<int>> queue(1);  // a move-only item type
    std::string seen;
    try {
        co_await asyncio::wait_for(queue.get(), 2ms);
    } catch (const asyncio::TimeoutError&) {
        seen += "get timed out at " + std::to_string(asyncio_test::now() / 1ms) + "ms";
    }
    co_await queue.put(std::make_unique<int>(1));
    try {
        co_await asyncio::wait_for(queue.put(std::make_unique<int>(2)), 3ms);
    } catch (const asyncio::TimeoutError&) {
        seen += ", put timed out at " + std::to_string(asyncio_test::now() / 1ms) + "ms";
    }
    seen += ", size " + std::to_string(queue.qsize());
    seen += ", item " + std::to_string(*queue.get_nowait());
    co_return seen;
}

TEST(Queue, WaitForOnGetAndPutTimesOutCleanly) {
    EXPECT_EQ(run_virtual(timeouts()), "get timed out at 2ms, put timed out at 5ms, size 1, item 1");
}

}  // namespace
