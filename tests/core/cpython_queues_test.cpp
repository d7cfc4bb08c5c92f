// CPython 3.13's Lib/test/test_asyncio/test_queues.py, ported: each TEST is named after the
// Python test it comes from (class_test). The mixin tests (_QueueJoinTestMixin,
// _QueueShutdownTestMixin) run once per queue class, as in Python.
//
// Not ported, because they cannot apply in C++:
//   QueueBasicTests.test_repr, test_str          a queue has no repr()/str() text (the waiting
//                                                getter and putter they set up are covered by the
//                                                get/put tests below)
//   QueueBasicTests.test_generic_alias           asyncio.Queue[int] is a typing alias; Queue<int>
//                                                is a C++ template
//   QueuePutTests.test_float_maxsize             maxsize is a std::size_t: there is no 1.3
//   *JoinTests.test_format, *ShutdownTests.test_format
//                                                _format() is the private text of repr()
// Adapted, because they reach into the queue's private lists:
//   QueueGetTests.test_get_with_putters          a bare future appended to q._putters becomes a
//                                                put() task waiting on the full queue
//   QueueGetTests.test_cancelled_getters_not_being_held_in_self_getters,
//   QueuePutTests.test_cancelled_puts_not_being_held_in_self_putters
//                                                len(q._getters)/len(q._putters) == 0 becomes "the
//                                                next waiter is the one woken"
// Python's ValueError (task_done() too often) is InvalidStateError here; asyncio.TimeoutError is
// asyncio::TimeoutError. `asyncio.create_task(q.get())` is create_task(task_of(q.get())).

#include <asyncio/core/event.hpp>
#include <asyncio/core/loop.hpp>
#include <asyncio/core/queue.hpp>
#include <asyncio/core/sleep.hpp>
#include <asyncio/core/task.hpp>
#include <asyncio/core/task_group.hpp>
#include <asyncio/core/timeout.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/test_support.hpp"

using namespace std::chrono_literals;
using asyncio_test::run_virtual;

namespace {

/// A queue operation (an awaiter) as a task of its own, as `asyncio.create_task(q.get())`.
template <class Awaiter>
asyncio::Task<decltype(std::declval<Awaiter&>().await_resume())> task_of(Awaiter awaiter) {
    co_return co_await std::move(awaiter);
}

// --- QueueBasicTests --------------------------------------------------------------------------

asyncio::Task<> test_empty() {
    asyncio::Queue<int> q;
    EXPECT_TRUE(q.empty());
    co_await q.put(1);
    EXPECT_FALSE(q.empty());
    EXPECT_EQ(1, co_await q.get());
    EXPECT_TRUE(q.empty());
}
TEST(CPythonQueues, QueueBasicTests_test_empty) { run_virtual(test_empty()); }

asyncio::Task<> test_full() {
    asyncio::Queue<int> unbounded;
    EXPECT_FALSE(unbounded.full());
    asyncio::Queue<int> q(1);
    co_await q.put(1);
    EXPECT_TRUE(q.full());
}
TEST(CPythonQueues, QueueBasicTests_test_full) { run_virtual(test_full()); }

asyncio::Task<> test_order() {
    asyncio::Queue<int> q;
    for (int i : {1, 3, 2}) co_await q.put(i);
    std::vector<int> items;
    for (int i = 0; i < 3; ++i) items.push_back(co_await q.get());
    EXPECT_EQ((std::vector<int>{1, 3, 2}), items);
}
TEST(CPythonQueues, QueueBasicTests_test_order) { run_virtual(test_order()); }

asyncio::Task<bool> put_three(asyncio::Queue<int>* q, std::vector<int>* have_been_put) {
    for (int i = 0; i < 3; ++i) {
        co_await q->put(i);
        have_been_put->push_back(i);
    }
    co_return true;
}

asyncio::Task<> test_maxsize() {
    asyncio::Queue<int> q(2);
    EXPECT_EQ(2U, q.maxsize());
    std::vector<int> have_been_put;
    auto t = asyncio::create_task(put_three(&q, &have_been_put));
    for (int i = 0; i < 2; ++i) co_await asyncio::sleep(0);
    // The putter is blocked after putting two items.
    EXPECT_EQ((std::vector<int>{0, 1}), have_been_put);
    EXPECT_EQ(0, co_await q.get());
    // Let the putter resume and put the last item.
    co_await asyncio::sleep(0);
    EXPECT_EQ((std::vector<int>{0, 1, 2}), have_been_put);
    EXPECT_EQ(1, co_await q.get());
    EXPECT_EQ(2, co_await q.get());
    EXPECT_TRUE(t.done());
    EXPECT_TRUE(t.result());
}
TEST(CPythonQueues, QueueBasicTests_test_maxsize) { run_virtual(test_maxsize()); }

// --- QueueGetTests ----------------------------------------------------------------------------

asyncio::Task<> test_blocking_get() {
    asyncio::Queue<int> q;
    q.put_nowait(1);
    EXPECT_EQ(1, co_await q.get());
}
TEST(CPythonQueues, QueueGetTests_test_blocking_get) { run_virtual(test_blocking_get()); }

asyncio::Task<> test_get_with_putters() {
    asyncio::Queue<int> q(1);
    co_await q.put(1);
    auto waiter = asyncio::create_task(task_of(q.put(2)));  // Python: a future in q._putters
    co_await asyncio::sleep(0);
    EXPECT_FALSE(waiter.done());
    EXPECT_EQ(1, co_await q.get());  // wakes the putter...
    co_await asyncio::sleep(0);      // ...which (a task, not a bare future) is done once it ran
    EXPECT_TRUE(waiter.done());
    EXPECT_EQ(2, q.get_nowait());
}
TEST(CPythonQueues, QueueGetTests_test_get_with_putters) { run_virtual(test_get_with_putters()); }

asyncio::Task<int> queue_get(asyncio::Queue<int>* q, asyncio::Event* started, bool* finished) {
    started->set();
    const int res = co_await q->get();
    *finished = true;
    co_return res;
}

asyncio::Task<> test_blocking_get_wait() {
    asyncio::Queue<int> q;
    asyncio::Event started;
    bool finished = false;
    auto queue_get_task = asyncio::create_task(queue_get(&q, &started, &finished));
    co_await started.wait();
    EXPECT_FALSE(finished);
    auto handle = asyncio::get_event_loop().call_later(10ms, [&q] { q.put_nowait(1); });
    const int res = co_await queue_get_task;
    EXPECT_TRUE(finished);
    EXPECT_EQ(1, res);
}
TEST(CPythonQueues, QueueGetTests_test_blocking_get_wait) { run_virtual(test_blocking_get_wait()); }

TEST(CPythonQueues, QueueGetTests_test_nonblocking_get) {
    asyncio::Queue<int> q;
    q.put_nowait(1);
    EXPECT_EQ(1, q.get_nowait());
}

TEST(CPythonQueues, QueueGetTests_test_nonblocking_get_exception) {
    asyncio::Queue<int> q;
    EXPECT_THROW(q.get_nowait(), asyncio::QueueEmpty);
}

asyncio::Task<> test_get_cancelled_race() {
    asyncio::Queue<std::string> q;
    auto t1 = asyncio::create_task(task_of(q.get()));
    auto t2 = asyncio::create_task(task_of(q.get()));
    co_await asyncio::sleep(0);
    t1.cancel();
    co_await asyncio::sleep(0);
    EXPECT_TRUE(t1.done());
    co_await q.put("a");
    co_await asyncio::sleep(0);
    EXPECT_EQ("a", co_await t2);
}
TEST(CPythonQueues, QueueGetTests_test_get_cancelled_race) { run_virtual(test_get_cancelled_race()); }

asyncio::Task<> test_get_with_waiting_putters() {
    asyncio::Queue<std::string> q(1);
    asyncio::create_task(task_of(q.put("a")));
    asyncio::create_task(task_of(q.put("b")));
    EXPECT_EQ(co_await q.get(), "a");
    EXPECT_EQ(co_await q.get(), "b");
}
TEST(CPythonQueues, QueueGetTests_test_get_with_waiting_putters) { run_virtual(test_get_with_waiting_putters()); }

asyncio::Task<> consume(asyncio::Queue<int>* queue, int num_expected) {
    for (int i = 0; i < num_expected; ++i) (void)co_await queue->get();
}

asyncio::Task<> produce(asyncio::Queue<int>* queue, int num_items) {
    for (int i = 0; i < num_items; ++i) co_await queue->put(i);
}

asyncio::Task<> test_why_are_getters_waiting() {
    const int producer_num_items = 5;
    asyncio::Queue<int> q(1);
    co_await asyncio::task_group([&](asyncio::TaskGroup& tg) -> asyncio::Task<> {
        tg.create_task(produce(&q, producer_num_items));
        tg.create_task(consume(&q, producer_num_items));
        co_return;
    });
}
TEST(CPythonQueues, QueueGetTests_test_why_are_getters_waiting) { run_virtual(test_why_are_getters_waiting()); }

asyncio::Task<> test_cancelled_getters_not_being_held_in_self_getters() {
    asyncio::Queue<int> queue(5);
    EXPECT_THROW(co_await asyncio::wait_for(queue.get(), 100ms), asyncio::TimeoutError);
    // Python: len(queue._getters) == 0. Here: the next getter is the one a put wakes.
    auto next = asyncio::create_task(task_of(queue.get()));
    co_await asyncio::sleep(0);
    queue.put_nowait(7);
    co_await asyncio::sleep(0);
    EXPECT_TRUE(next.done());
    EXPECT_EQ(7, co_await next);
}
TEST(CPythonQueues, QueueGetTests_test_cancelled_getters_not_being_held_in_self_getters) {
    run_virtual(test_cancelled_getters_not_being_held_in_self_getters());
}

// --- QueuePutTests ----------------------------------------------------------------------------

asyncio::Task<> test_blocking_put() {
    asyncio::Queue<int> q;
    // No maxsize, won't block.
    co_await q.put(1);
    EXPECT_EQ(1, co_await q.get());
}
TEST(CPythonQueues, QueuePutTests_test_blocking_put) { run_virtual(test_blocking_put()); }

asyncio::Task<> queue_put_twice(asyncio::Queue<int>* q, asyncio::Event* started, bool* finished) {
    started->set();
    co_await q->put(1);
    co_await q->put(2);
    *finished = true;
}

asyncio::Task<> test_blocking_put_wait() {
    asyncio::Queue<int> q(1);
    asyncio::Event started;
    bool finished = false;
    auto handle = asyncio::get_event_loop().call_later(10ms, [&q] { (void)q.get_nowait(); });
    auto queue_put_task = asyncio::create_task(queue_put_twice(&q, &started, &finished));
    co_await started.wait();
    EXPECT_FALSE(finished);
    co_await queue_put_task;
    EXPECT_TRUE(finished);
}
TEST(CPythonQueues, QueuePutTests_test_blocking_put_wait) { run_virtual(test_blocking_put_wait()); }

TEST(CPythonQueues, QueuePutTests_test_nonblocking_put) {
    asyncio::Queue<int> q;
    q.put_nowait(1);
    EXPECT_EQ(1, q.get_nowait());
}

asyncio::Task<> test_get_cancel_drop_one_pending_reader() {
    asyncio::Queue<int> q;
    auto reader = asyncio::create_task(task_of(q.get()));
    co_await asyncio::sleep(0);
    q.put_nowait(1);
    q.put_nowait(2);
    reader.cancel();
    try {
        co_await reader;
    } catch (const asyncio::CancelledError&) {
        // try again
        reader = asyncio::create_task(task_of(q.get()));
    }
    co_await reader;
    // If we get 2, it means 1 got dropped!
    EXPECT_EQ(1, reader.result());
}
TEST(CPythonQueues, QueuePutTests_test_get_cancel_drop_one_pending_reader) {
    run_virtual(test_get_cancel_drop_one_pending_reader());
}

asyncio::Task<> test_get_cancel_drop_many_pending_readers() {
    asyncio::Queue<int> q;
    asyncio::ScheduledTask<int> reader1, reader2, reader3;
    co_await asyncio::task_group([&](asyncio::TaskGroup& tg) -> asyncio::Task<> {
        reader1 = tg.create_task(task_of(q.get()));
        reader2 = tg.create_task(task_of(q.get()));
        reader3 = tg.create_task(task_of(q.get()));
        co_await asyncio::sleep(0);
        q.put_nowait(1);
        q.put_nowait(2);
        reader1.cancel();
        EXPECT_THROW(co_await reader1, asyncio::CancelledError);
        co_await reader3;
    });
    // It is undefined in which order concurrent readers receive results.
    EXPECT_EQ((std::set<int>{reader2.result(), reader3.result()}), (std::set<int>{1, 2}));
}
TEST(CPythonQueues, QueuePutTests_test_get_cancel_drop_many_pending_readers) {
    run_virtual(test_get_cancel_drop_many_pending_readers());
}

asyncio::Task<> test_put_cancel_drop() {
    asyncio::Queue<int> q(1);
    q.put_nowait(1);
    // Putting a second item in the queue has to block (qsize=1).
    auto writer = asyncio::create_task(task_of(q.put(2)));
    co_await asyncio::sleep(0);
    const int value1 = q.get_nowait();
    EXPECT_EQ(value1, 1);
    writer.cancel();
    bool cancelled = false;
    try {
        co_await writer;
    } catch (const asyncio::CancelledError&) {
        cancelled = true;  // try again (C++ cannot co_await in a handler)
    }
    if (cancelled) {
        writer = asyncio::create_task(task_of(q.put(2)));
        co_await writer;
    }
    const int value2 = q.get_nowait();
    EXPECT_EQ(value2, 2);
    EXPECT_EQ(q.qsize(), 0U);
}
TEST(CPythonQueues, QueuePutTests_test_put_cancel_drop) { run_virtual(test_put_cancel_drop()); }

TEST(CPythonQueues, QueuePutTests_test_nonblocking_put_exception) {
    asyncio::Queue<int> q(1);
    q.put_nowait(1);
    EXPECT_THROW(q.put_nowait(2), asyncio::QueueFull);
}

asyncio::Task<bool> queue_put_one(asyncio::Queue<int>* q) {
    co_await q->put(1);
    co_return true;
}

asyncio::Task<> test_put_cancelled() {
    asyncio::Queue<int> q;
    auto t = asyncio::create_task(queue_put_one(&q));
    EXPECT_EQ(1, co_await q.get());
    EXPECT_TRUE(t.done());
    EXPECT_TRUE(t.result());
}
TEST(CPythonQueues, QueuePutTests_test_put_cancelled) { run_virtual(test_put_cancelled()); }

asyncio::Task<> test_put_cancelled_race() {
    asyncio::Queue<std::string> q(1);
    auto put_a = asyncio::create_task(task_of(q.put("a")));
    auto put_b = asyncio::create_task(task_of(q.put("b")));
    auto put_c = asyncio::create_task(task_of(q.put("X")));
    co_await asyncio::sleep(0);
    EXPECT_TRUE(put_a.done());
    EXPECT_FALSE(put_b.done());
    put_c.cancel();
    co_await asyncio::sleep(0);
    EXPECT_TRUE(put_c.done());
    EXPECT_EQ(q.get_nowait(), "a");
    co_await asyncio::sleep(0);
    EXPECT_EQ(q.get_nowait(), "b");
    co_await put_b;
}
TEST(CPythonQueues, QueuePutTests_test_put_cancelled_race) { run_virtual(test_put_cancelled_race()); }

asyncio::Task<> test_put_with_waiting_getters() {
    asyncio::Queue<std::string> q;
    auto t = asyncio::create_task(task_of(q.get()));
    co_await asyncio::sleep(0);
    co_await q.put("a");
    EXPECT_EQ(co_await t, "a");
}
TEST(CPythonQueues, QueuePutTests_test_put_with_waiting_getters) { run_virtual(test_put_with_waiting_getters()); }

asyncio::Task<> put_one(asyncio::Queue<int>* queue, int item) { co_await queue->put(item); }

asyncio::Task<> get_all_after_a_step(asyncio::Queue<int>* queue) {
    co_await asyncio::sleep(0);
    const std::size_t num = queue->qsize();
    for (std::size_t i = 0; i < num; ++i) (void)queue->get_nowait();
}

asyncio::Task<> test_why_are_putters_waiting() {
    asyncio::Queue<int> queue(2);
    co_await asyncio::task_group([&](asyncio::TaskGroup& tg) -> asyncio::Task<> {
        tg.create_task(get_all_after_a_step(&queue));
        for (int item = 0; item < 4; ++item) tg.create_task(put_one(&queue, item));
        co_return;
    });
}
TEST(CPythonQueues, QueuePutTests_test_why_are_putters_waiting) { run_virtual(test_why_are_putters_waiting()); }

asyncio::Task<> test_cancelled_puts_not_being_held_in_self_putters() {
    // Full queue.
    asyncio::Queue<int> queue(1);
    queue.put_nowait(1);
    // Task waiting for space to put an item in the queue.
    auto put_task = asyncio::create_task(task_of(queue.put(1)));
    co_await asyncio::sleep(0);
    EXPECT_FALSE(put_task.done());  // Python: len(queue._putters) == 1
    put_task.cancel();
    EXPECT_THROW(co_await put_task, asyncio::CancelledError);
    // Python: len(queue._putters) == 0. Here: the next putter is the one a get wakes.
    auto next = asyncio::create_task(task_of(queue.put(2)));
    co_await asyncio::sleep(0);
    EXPECT_EQ(1, queue.get_nowait());
    co_await asyncio::sleep(0);
    EXPECT_TRUE(next.done());
    EXPECT_EQ(2, queue.get_nowait());
}
TEST(CPythonQueues, QueuePutTests_test_cancelled_puts_not_being_held_in_self_putters) {
    run_virtual(test_cancelled_puts_not_being_held_in_self_putters());
}

asyncio::Task<> test_cancelled_put_silence_value_error_exception() {
    // Full queue.
    asyncio::Queue<int> queue(1);
    queue.put_nowait(1);
    // Task waiting for space to put an item in the queue.
    auto put_task = asyncio::create_task(task_of(queue.put(1)));
    co_await asyncio::sleep(0);
    // get_nowait() wakes put_task, which then is cancelled before it runs.
    (void)queue.get_nowait();
    put_task.cancel();
    EXPECT_THROW(co_await put_task, asyncio::CancelledError);
    EXPECT_TRUE(queue.empty());
}
TEST(CPythonQueues, QueuePutTests_test_cancelled_put_silence_value_error_exception) {
    run_virtual(test_cancelled_put_silence_value_error_exception());
}

// --- LifoQueueTests, PriorityQueueTests -------------------------------------------------------

template <class Q>
asyncio::Task<std::vector<int>> put_1_3_2_then_get_all() {
    Q q;
    for (int i : {1, 3, 2}) co_await q.put(i);
    std::vector<int> items;
    for (int i = 0; i < 3; ++i) items.push_back(co_await q.get());
    co_return items;
}

TEST(CPythonQueues, LifoQueueTests_test_order) {
    EXPECT_EQ((std::vector<int>{2, 3, 1}), run_virtual(put_1_3_2_then_get_all<asyncio::LifoQueue<int>>()));
}

TEST(CPythonQueues, PriorityQueueTests_test_order) {
    EXPECT_EQ((std::vector<int>{1, 2, 3}), run_virtual(put_1_3_2_then_get_all<asyncio::PriorityQueue<int>>()));
}

// --- _QueueJoinTestMixin, for Queue, LifoQueue and PriorityQueue ------------------------------

template <class Q>
void task_done_underflow() {
    Q q;
    EXPECT_THROW(q.task_done(), asyncio::InvalidStateError);
}

template <class Q>
asyncio::Task<> join_worker(Q* q, bool* running, int* accumulator) {
    while (*running) {
        const int item = co_await q->get();
        *accumulator += item;
        q->task_done();
    }
}

template <class Q>
asyncio::Task<> task_done() {
    Q q;
    for (int i = 0; i < 100; ++i) q.put_nowait(i);
    int accumulator = 0;
    // Two workers get items from the queue and call task_done after each. Join the queue and
    // assert all items have been processed.
    bool running = true;
    co_await asyncio::task_group([&](asyncio::TaskGroup& tg) -> asyncio::Task<> {
        const int workers = 2;
        for (int i = 0; i < workers; ++i) tg.create_task(join_worker(&q, &running, &accumulator));
        co_await q.join();
        EXPECT_EQ(4950, accumulator);
        // Close the running workers.
        running = false;
        for (int i = 0; i < workers; ++i) q.put_nowait(0);
    });
}

template <class Q>
asyncio::Task<> join_empty_queue() {
    Q q;
    // A queue join()s successfully, and before anything else (done twice for insurance).
    co_await q.join();
    co_await q.join();
}

using StringQueue = asyncio::Queue<std::string>;
using StringLifoQueue = asyncio::LifoQueue<std::string>;
using StringPriorityQueue = asyncio::PriorityQueue<std::string>;

TEST(CPythonQueues, QueueJoinTests_test_task_done_underflow) { task_done_underflow<asyncio::Queue<int>>(); }
TEST(CPythonQueues, LifoQueueJoinTests_test_task_done_underflow) { task_done_underflow<asyncio::LifoQueue<int>>(); }
TEST(CPythonQueues, PriorityQueueJoinTests_test_task_done_underflow) {
    task_done_underflow<asyncio::PriorityQueue<int>>();
}
TEST(CPythonQueues, QueueJoinTests_test_task_done) { run_virtual(task_done<asyncio::Queue<int>>()); }
TEST(CPythonQueues, LifoQueueJoinTests_test_task_done) { run_virtual(task_done<asyncio::LifoQueue<int>>()); }
TEST(CPythonQueues, PriorityQueueJoinTests_test_task_done) { run_virtual(task_done<asyncio::PriorityQueue<int>>()); }
TEST(CPythonQueues, QueueJoinTests_test_join_empty_queue) { run_virtual(join_empty_queue<asyncio::Queue<int>>()); }
TEST(CPythonQueues, LifoQueueJoinTests_test_join_empty_queue) {
    run_virtual(join_empty_queue<asyncio::LifoQueue<int>>());
}
TEST(CPythonQueues, PriorityQueueJoinTests_test_join_empty_queue) {
    run_virtual(join_empty_queue<asyncio::PriorityQueue<int>>());
}

// --- _QueueShutdownTestMixin, for Queue, LifoQueue and PriorityQueue --------------------------

/// put(), put_nowait(), get() and get_nowait() all throw QueueShutDown.
template <class Q>
asyncio::Task<> expect_every_operation_shut_down(Q& q) {
    EXPECT_THROW(co_await q.put("data"), asyncio::QueueShutDown);
    EXPECT_THROW(q.put_nowait("data"), asyncio::QueueShutDown);
    EXPECT_THROW(co_await q.get(), asyncio::QueueShutDown);
    EXPECT_THROW(q.get_nowait(), asyncio::QueueShutDown);
}

template <class Q>
asyncio::Task<> shutdown_empty() {
    // Set up an empty queue, and join() and get() tasks.
    Q q;
    auto get_task = asyncio::create_task(task_of(q.get()));
    co_await asyncio::sleep(0);  // want the get task pending before shutdown
    // Perform shut-down.
    q.shutdown(false);  // unfinished tasks: 0 -> 0
    EXPECT_EQ(q.qsize(), 0U);
    // Ensure join() task successfully finishes.
    co_await q.join();
    // Ensure get() task is finished, and raised QueueShutDown.
    co_await asyncio::sleep(0);
    EXPECT_TRUE(get_task.done());
    EXPECT_THROW(co_await get_task, asyncio::QueueShutDown);
    // Ensure put() and get() raise QueueShutDown.
    co_await expect_every_operation_shut_down(q);
}

template <class Q>
asyncio::Task<> shutdown_nonempty() {
    // Set up a full queue with 1 item, and join() and put() tasks.
    Q q(1);
    q.put_nowait("data");
    auto join_task = asyncio::create_task(task_of(q.join()));
    auto put_task = asyncio::create_task(task_of(q.put("data2")));
    // Ensure the put() task is not finished.
    co_await asyncio::sleep(0);
    EXPECT_FALSE(put_task.done());
    // Perform shut-down.
    q.shutdown(false);  // unfinished tasks: 1 -> 1
    EXPECT_EQ(q.qsize(), 1U);
    // Ensure the put() task is finished, and raised QueueShutDown.
    co_await asyncio::sleep(0);
    EXPECT_TRUE(put_task.done());
    EXPECT_THROW(co_await put_task, asyncio::QueueShutDown);
    // Ensure get() succeeds on the enqueued item.
    EXPECT_EQ(co_await q.get(), "data");
    // Ensure the join() task is not finished.
    co_await asyncio::sleep(0);
    EXPECT_FALSE(join_task.done());
    // Ensure put() and get() raise QueueShutDown.
    co_await expect_every_operation_shut_down(q);
    // Ensure there is 1 unfinished task, and the join() task succeeds.
    q.task_done();
    co_await asyncio::sleep(0);
    EXPECT_TRUE(join_task.done());
    co_await join_task;
    EXPECT_THROW(q.task_done(), asyncio::InvalidStateError);  // "Didn't appear to mark all tasks done"
}

template <class Q>
asyncio::Task<> shutdown_immediate() {
    // Set up a queue with 1 item, and a join() task.
    Q q;
    q.put_nowait("data");
    auto join_task = asyncio::create_task(task_of(q.join()));
    // Perform shut-down.
    q.shutdown(true);  // unfinished tasks: 1 -> 0
    EXPECT_EQ(q.qsize(), 0U);
    // Ensure the join() task has successfully finished.
    co_await asyncio::sleep(0);
    EXPECT_TRUE(join_task.done());
    co_await join_task;
    // Ensure put() and get() raise QueueShutDown.
    co_await expect_every_operation_shut_down(q);
    // Ensure there are no unfinished tasks.
    EXPECT_THROW(q.task_done(), asyncio::InvalidStateError);
}

template <class Q>
asyncio::Task<> shutdown_immediate_with_unfinished() {
    // Set up a queue with 2 items (1 retrieved), and a join() task.
    Q q;
    q.put_nowait("data");
    q.put_nowait("data");
    auto join_task = asyncio::create_task(task_of(q.join()));
    EXPECT_EQ(co_await q.get(), "data");
    // Perform shut-down.
    q.shutdown(true);  // unfinished tasks: 2 -> 1
    EXPECT_EQ(q.qsize(), 0U);
    // Ensure the join() task is not finished.
    co_await asyncio::sleep(0);
    EXPECT_FALSE(join_task.done());
    // Ensure put() and get() raise QueueShutDown.
    co_await expect_every_operation_shut_down(q);
    // Ensure there is 1 unfinished task.
    q.task_done();
    EXPECT_THROW(q.task_done(), asyncio::InvalidStateError);
    // Ensure the join() task has successfully finished.
    co_await asyncio::sleep(0);
    EXPECT_TRUE(join_task.done());
    co_await join_task;
}

TEST(CPythonQueues, QueueShutdownTests_test_shutdown_empty) { run_virtual(shutdown_empty<StringQueue>()); }
TEST(CPythonQueues, LifoQueueShutdownTests_test_shutdown_empty) { run_virtual(shutdown_empty<StringLifoQueue>()); }
TEST(CPythonQueues, PriorityQueueShutdownTests_test_shutdown_empty) {
    run_virtual(shutdown_empty<StringPriorityQueue>());
}
TEST(CPythonQueues, QueueShutdownTests_test_shutdown_nonempty) { run_virtual(shutdown_nonempty<StringQueue>()); }
TEST(CPythonQueues, LifoQueueShutdownTests_test_shutdown_nonempty) {
    run_virtual(shutdown_nonempty<StringLifoQueue>());
}
TEST(CPythonQueues, PriorityQueueShutdownTests_test_shutdown_nonempty) {
    run_virtual(shutdown_nonempty<StringPriorityQueue>());
}
TEST(CPythonQueues, QueueShutdownTests_test_shutdown_immediate) { run_virtual(shutdown_immediate<StringQueue>()); }
TEST(CPythonQueues, LifoQueueShutdownTests_test_shutdown_immediate) {
    run_virtual(shutdown_immediate<StringLifoQueue>());
}
TEST(CPythonQueues, PriorityQueueShutdownTests_test_shutdown_immediate) {
    run_virtual(shutdown_immediate<StringPriorityQueue>());
}
TEST(CPythonQueues, QueueShutdownTests_test_shutdown_immediate_with_unfinished) {
    run_virtual(shutdown_immediate_with_unfinished<StringQueue>());
}
TEST(CPythonQueues, LifoQueueShutdownTests_test_shutdown_immediate_with_unfinished) {
    run_virtual(shutdown_immediate_with_unfinished<StringLifoQueue>());
}
TEST(CPythonQueues, PriorityQueueShutdownTests_test_shutdown_immediate_with_unfinished) {
    run_virtual(shutdown_immediate_with_unfinished<StringPriorityQueue>());
}

}  // namespace
