#include <asyncio/core/queue.hpp>

#include <asyncio/core/sleep.hpp>
#include <asyncio/core/task.hpp>
#include <asyncio/core/timeout.hpp>

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

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
    queue.put_nowait(1);    // wakes a
    queue.put_nowait(2);    // wakes c (b is gone)...
    c.cancel();             // ...which is cancelled before it takes anything
    queue.put_nowait(3);    // wakes d, which takes the front item, 2
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
    queue.put_nowait(1);  // wakes a
    queue.put_nowait(2);
    a.cancel();           // before a ran: it takes nothing, 1 stays at the front
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
    // As CPython: a get() frees a slot and wakes the next putter, which puts its item only when
    // it runs, so main's next get() waits for it.
    EXPECT_EQ(trace, (Trace{"put 2 cancelled", "put 1", "put 3", "got 013, left 0"}));
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


// --- as CPython 3.13: a woken waiter looks again when it runs ---------------------------------
// The traces below are what CPython 3.13 prints for the same programs, with getter() and
// putter() as above (they also print "<name> shut down" on QueueShutDown).

asyncio::Task<> shut_down_getter(asyncio::Queue<int>* queue, Trace* trace, std::string name) {
    try {
        co_await getter(queue, trace, name);
    } catch (const asyncio::QueueShutDown&) {
        trace->push_back(name + " shut down");
    }
}

asyncio::Task<> shut_down_putter(asyncio::Queue<int>* queue, Trace* trace, int item) {
    try {
        co_await putter(queue, trace, item);
    } catch (const asyncio::QueueShutDown&) {
        trace->push_back("put " + std::to_string(item) + " shut down");
    }
}

std::string yes_no(bool value) { return value ? "True" : "False"; }

//   a, b = create_task(getter(q, 'a')), create_task(getter(q, 'b')); await sleep(0)
//   q.put_nowait(1); T(f"empty {q.empty()}, size {q.qsize()}"); T(f"main took {q.get_nowait()}")
//   await sleep(0); q.put_nowait(2); q.put_nowait(3); await a; await b
asyncio::Task<> barging_getter(Trace* trace) {
    asyncio::Queue<int> queue;
    auto a = asyncio::create_task(getter(&queue, trace, "a"));
    auto b = asyncio::create_task(getter(&queue, trace, "b"));
    co_await asyncio::sleep(0);
    queue.put_nowait(1);  // wakes a, which has not run yet: the item is free to take
    trace->push_back("empty " + yes_no(queue.empty()) + ", size " + std::to_string(queue.qsize()));
    trace->push_back("main took " + std::to_string(queue.get_nowait()));
    co_await asyncio::sleep(0);  // a finds the queue empty and waits again, behind b
    queue.put_nowait(2);
    queue.put_nowait(3);
    co_await a;
    co_await b;
}

TEST(Queue, AWokenGetterWhoseItemWasTakenWaitsAgainAtTheBack) {
    Trace trace;
    run_virtual(barging_getter(&trace));
    EXPECT_EQ(trace, (Trace{"empty False, size 1", "main took 1", "b got 2", "a got 3"}));
}

//   q = Queue(1); q.put_nowait(0); p1, p2 = putter(q, 1), putter(q, 2); await sleep(0)
//   T(f"main got {q.get_nowait()}"); T(f"full {q.full()}, size {q.qsize()}"); q.put_nowait(9)
//   await sleep(0); T(f"main got {q.get_nowait()}"); await sleep(0); T(f"main got {q.get_nowait()}")
//   await p1; T(f"main got {q.get_nowait()}")
asyncio::Task<> barging_putter(Trace* trace) {
    asyncio::Queue<int> queue(1);
    queue.put_nowait(0);
    auto p1 = asyncio::create_task(putter(&queue, trace, 1));
    auto p2 = asyncio::create_task(putter(&queue, trace, 2));
    co_await asyncio::sleep(0);
    trace->push_back("main got " + std::to_string(queue.get_nowait()));  // wakes p1
    trace->push_back("full " + yes_no(queue.full()) + ", size " + std::to_string(queue.qsize()));
    queue.put_nowait(9);         // takes the slot before p1 runs
    co_await asyncio::sleep(0);  // p1 finds the queue full and waits again, behind p2
    trace->push_back("main got " + std::to_string(queue.get_nowait()));
    co_await asyncio::sleep(0);
    trace->push_back("main got " + std::to_string(queue.get_nowait()));
    co_await p1;
    trace->push_back("main got " + std::to_string(queue.get_nowait()));
    co_await p2;
}

TEST(Queue, AWokenPutterWhoseSlotWasTakenWaitsAgainAtTheBack) {
    Trace trace;
    run_virtual(barging_putter(&trace));
    EXPECT_EQ(trace, (Trace{"main got 0", "full False, size 0", "main got 9", "put 2", "main got 2", "put 1",
                            "main got 1"}));
}

//   q = Queue(1); q.put_nowait(0); p1, p2 = putter(q, 1), putter(q, 2); await sleep(0)
//   T(f"main got {q.get_nowait()}"); p1.cancel(); await sleep(0); T(f"size {q.qsize()}")
//   await sleep(0); T(f"size {q.qsize()}, main got {q.get_nowait()}"); await p2
asyncio::Task<> woken_putter_cancelled(Trace* trace) {
    asyncio::Queue<int> queue(1);
    queue.put_nowait(0);
    auto p1 = asyncio::create_task(putter(&queue, trace, 1));
    auto p2 = asyncio::create_task(putter(&queue, trace, 2));
    co_await asyncio::sleep(0);
    trace->push_back("main got " + std::to_string(queue.get_nowait()));  // wakes p1...
    p1.cancel();                 // ...cancelled before it runs: 1 is not put, p2 is woken
    co_await asyncio::sleep(0);
    trace->push_back("size " + std::to_string(queue.qsize()));
    co_await asyncio::sleep(0);
    std::string line = "size " + std::to_string(queue.qsize());
    line += ", main got " + std::to_string(queue.get_nowait());
    trace->push_back(line);
    co_await p2;
    EXPECT_TRUE(p1.cancelled());
}

TEST(Queue, APutterCancelledAfterItWasWokenPutsNothingAndWakesTheNext) {
    Trace trace;
    run_virtual(woken_putter_cancelled(&trace));
    EXPECT_EQ(trace, (Trace{"main got 0", "put 1 cancelled", "size 0", "put 2", "size 1, main got 2"}));
}

//   q = Queue(1); g1, g2 = getter(q, 'g1'), getter(q, 'g2'); await sleep(0); q.shutdown()
//   await gather(g1, g2, return_exceptions=True)
//   q2 = Queue(1); q2.put_nowait(0); p = putter(q2, 1); await sleep(0); q2.shutdown()
//   T(f"size {q2.qsize()}"); await gather(p, return_exceptions=True); T(f"left {q2.get_nowait()}")
//   q2.get_nowait() -> T("get_nowait shut down")
//   j = create_task(q2.join()); await sleep(0); T(f"joined {j.done()}"); q2.task_done()
//   await sleep(0); T(f"joined {j.done()}")
asyncio::Task<> join_queue(asyncio::Queue<int>* queue) { co_await queue->join(); }

asyncio::Task<> shutdown_wakes_waiters(Trace* trace) {
    asyncio::Queue<int> queue(1);
    auto g1 = asyncio::create_task(shut_down_getter(&queue, trace, "g1"));
    auto g2 = asyncio::create_task(shut_down_getter(&queue, trace, "g2"));
    co_await asyncio::sleep(0);
    queue.shutdown();
    co_await g1;
    co_await g2;

    asyncio::Queue<int> full(1);
    full.put_nowait(0);
    auto p = asyncio::create_task(shut_down_putter(&full, trace, 1));
    co_await asyncio::sleep(0);
    full.shutdown();
    trace->push_back("size " + std::to_string(full.qsize()));
    co_await p;
    trace->push_back("left " + std::to_string(full.get_nowait()));
    try {
        (void)full.get_nowait();
    } catch (const asyncio::QueueShutDown&) {
        trace->push_back("get_nowait shut down");
    }
    auto j = asyncio::create_task(join_queue(&full));
    co_await asyncio::sleep(0);
    trace->push_back("joined " + yes_no(j.done()));
    full.task_done();
    co_await asyncio::sleep(0);
    trace->push_back("joined " + yes_no(j.done()));
    EXPECT_TRUE(full.is_shut_down());
    EXPECT_FALSE(full.try_put(5));
    EXPECT_EQ(full.try_get(), std::nullopt);
}

TEST(Queue, ShutdownWakesWaitingGettersAndPuttersWithQueueShutDown) {
    Trace trace;
    run_virtual(shutdown_wakes_waiters(&trace));
    EXPECT_EQ(trace, (Trace{"g1 shut down", "g2 shut down", "size 1", "put 1 shut down", "left 0",
                            "get_nowait shut down", "joined False", "joined True"}));
}

//   q = Queue(2); q.put_nowait(1); q.put_nowait(2); p = putter(q, 3); j = create_task(q.join())
//   await sleep(0); T(f"got {q.get_nowait()}"); q.shutdown(immediate=True); T(f"size {q.qsize()}")
//   await sleep(0); T(f"joined {j.done()}"); q.task_done(); await sleep(0); T(f"joined {j.done()}")
asyncio::Task<> shutdown_immediate(Trace* trace) {
    asyncio::Queue<int> queue(2);
    queue.put_nowait(1);
    queue.put_nowait(2);
    auto p = asyncio::create_task(shut_down_putter(&queue, trace, 3));
    auto j = asyncio::create_task(join_queue(&queue));
    co_await asyncio::sleep(0);
    trace->push_back("got " + std::to_string(queue.get_nowait()));  // wakes p
    queue.shutdown(true);  // drops 2, counted as done; 1 is still not done
    trace->push_back("size " + std::to_string(queue.qsize()));
    co_await asyncio::sleep(0);
    trace->push_back("joined " + yes_no(j.done()));
    queue.task_done();
    co_await asyncio::sleep(0);
    trace->push_back("joined " + yes_no(j.done()));
    co_await p;
}

TEST(Queue, AnImmediateShutdownDropsTheItemsAsDone) {
    Trace trace;
    run_virtual(shutdown_immediate(&trace));
    EXPECT_EQ(trace, (Trace{"got 1", "size 0", "put 3 shut down", "joined False", "joined True"}));
}

asyncio::Task<> awaiting_a_shut_down_queue() {
    asyncio::Queue<int> queue(1);
    queue.put_nowait(1);
    queue.shutdown();
    EXPECT_THROW(co_await queue.put(2), asyncio::QueueShutDown);  // full or not
    EXPECT_EQ(co_await queue.get(), 1);                          // items are still there
    EXPECT_THROW(co_await queue.get(), asyncio::QueueShutDown);
    EXPECT_THROW(co_await queue.put(2), asyncio::QueueShutDown);
    EXPECT_THROW(queue.put_nowait(2), asyncio::QueueShutDown);
}

TEST(Queue, AwaitingAShutDownQueueThrowsAtOnce) { run_virtual(awaiting_a_shut_down_queue()); }

// --- LifoQueue and PriorityQueue -------------------------------------------------------------

TEST(Queue, LifoQueueGivesTheLastItemFirst) {
    asyncio::LifoQueue<int> queue(3);
    for (int item : {1, 3, 2}) queue.put_nowait(item);
    EXPECT_TRUE(queue.full());
    EXPECT_EQ(queue.get_nowait(), 2);
    EXPECT_EQ(queue.get_nowait(), 3);
    EXPECT_EQ(queue.get_nowait(), 1);
}

TEST(Queue, PriorityQueueGivesTheSmallestFirst) {
    asyncio::PriorityQueue<std::pair<int, std::string>> jobs;
    jobs.put_nowait({2, "write"});
    jobs.put_nowait({1, "read"});
    jobs.put_nowait({2, "report"});
    jobs.put_nowait({0, "wake"});
    std::string order;
    while (!jobs.empty()) order += jobs.get_nowait().second + " ";
    EXPECT_EQ(order, "wake read report write ");

    asyncio::PriorityQueue<int, std::greater<int>> largest_first;
    for (int item : {1, 3, 2}) largest_first.put_nowait(item);
    EXPECT_EQ(largest_first.get_nowait(), 3);
}

struct Job {
    int priority;
    char name;
    friend bool operator<(const Job& a, const Job& b) { return a.priority < b.priority; }
};

// Items that compare equal leave in heapq's order, which std::pop_heap does not promise:
//   class Job: __lt__ compares the priority only
//   for p, n in [(3,'a'),(1,'b'),(3,'c'),(1,'d'),(2,'e'),(1,'f'),(3,'g'),(2,'h'),(1,'i')]:
//       heappush(h, Job(p, n))
//   [f"{j.p}{j.n}" for j in (heappop(h) for _ in range(9))]
TEST(Queue, PriorityQueueOrdersEqualItemsAsHeapqDoes) {
    asyncio::PriorityQueue<Job> queue;
    for (Job job : {Job{3, 'a'}, Job{1, 'b'}, Job{3, 'c'}, Job{1, 'd'}, Job{2, 'e'}, Job{1, 'f'}, Job{3, 'g'},
                    Job{2, 'h'}, Job{1, 'i'}}) {
        queue.put_nowait(job);
    }
    std::vector<std::string> order;
    while (auto job = queue.try_get()) order.push_back(std::to_string(job->priority) + job->name);
    EXPECT_EQ(order, (std::vector<std::string>{"1b", "1f", "1d", "1i", "2h", "2e", "3c", "3a", "3g"}));
}

}  // namespace
