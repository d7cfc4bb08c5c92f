// The core's behaviours, checked on the target itself: every test runs under asyncio::run() on
// the board's real clock (SysTick or the nRF51's TIMER0) and idle wait (WFI), so timers, sleeps
// and time-outs are real time, not a virtual clock. Results go to the semihosting console, one
// line per test, then "N passed, M failed"; the exit status is non-zero on any failure.
//
// Lines starting with "MEASURE" carry the footprint figures that docs/EMBEDDED.md quotes.

#include <asyncio/core/condition.hpp>
#include <asyncio/core/errors.hpp>
#include <asyncio/core/event.hpp>
#include <asyncio/core/frame_allocator.hpp>
#include <asyncio/core/frame_pool.hpp>
#include <asyncio/core/gather.hpp>
#include <asyncio/core/lock.hpp>
#include <asyncio/core/loop.hpp>
#include <asyncio/core/queue.hpp>
#include <asyncio/core/semaphore.hpp>
#include <asyncio/core/sleep.hpp>
#include <asyncio/core/task.hpp>
#include <asyncio/core/task_group.hpp>
#include <asyncio/core/thread_safe_flag.hpp>
#include <asyncio/core/timeout.hpp>
#if __has_include(<asyncio/core/topic.hpp>)
#include <asyncio/core/topic.hpp>
#define ASYNCIO_TEST_TOPIC 1
#endif

#include "board.hpp"
#include "malloc_counter.hpp"
#include "tick_platform.hpp"
#include "tiny_harness.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <malloc.h>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

using namespace std::chrono_literals;
using asyncio::Task;

namespace {

/// How late a timer may fire under QEMU, whose clock follows the host's: generous, since CI
/// machines are busy. A timer firing early is always a failure.
constexpr auto kSlack = 250ms;

asyncio::TimePoint now() { return asyncio::get_event_loop().time(); }

// ---------------------------------------------------------------------------------------------
// Building blocks

Task<int> value_after(asyncio::Duration delay, int value) {
    co_await asyncio::sleep(delay);
    co_return value;
}

Task<> fail_after(asyncio::Duration delay, const char* message) {
    co_await asyncio::sleep(delay);
    throw std::runtime_error(message);
}

/// Sleeps for `delay`; if cancelled, records it in *cleaned_up and rethrows.
Task<> sleeper(asyncio::Duration delay, bool* cleaned_up) {
    try {
        co_await asyncio::sleep(delay);
    } catch (const asyncio::CancelledError&) {
        *cleaned_up = true;
        throw;
    }
}

Task<> record_after(asyncio::Duration delay, std::vector<int>* order, int id) {
    co_await asyncio::sleep(delay);
    order->push_back(id);
}

// ---------------------------------------------------------------------------------------------
// Timers and the port

Task<> test_sleep_is_real_time() {
    const asyncio::port::IdleStats before = asyncio::port::idle_stats();
    const auto t0 = now();
    co_await asyncio::sleep(50ms);
    const auto slept = now() - t0;
    const asyncio::port::IdleStats after = asyncio::port::idle_stats();
    CHECK(slept >= 50ms);
    CHECK(slept < 50ms + kSlack);
    // The ticks really happened, and the loop slept in WFI instead of spinning.
    CHECK(after.ticks - before.ticks >= 49);
    CHECK(after.waits > before.waits);
    CHECK(after.sleeps - before.sleeps <= 4 * (after.ticks - before.ticks) + 8);

    const auto t1 = now();
    co_await asyncio::sleep(0.02);  // seconds, as asyncio.sleep(0.02)
    co_await asyncio::sleep_ms(20);
    CHECK(now() - t1 >= 40ms);
}

Task<> test_clock_is_monotonic_and_fine() {
    // Read the clock back to back for at least 3 ms of its own time (bounded in iterations, should
    // the clock stand still): it never goes back, and it has a finer grain than the 1 ms tick.
    const asyncio::TimePoint start = now();
    asyncio::TimePoint previous = start;
    bool monotonic = true;
    bool saw_sub_ms = false;
    for (long i = 0; i < 2'000'000 && previous - start < 3ms; ++i) {
        const asyncio::TimePoint t = now();
        if (t < previous) monotonic = false;
        if (t.time_since_epoch().count() % 1'000'000 != 0) saw_sub_ms = true;  // the tick's fraction, from the counter
        previous = t;
    }
    CHECK(monotonic);
    CHECK(previous - start >= 3ms);
    CHECK(saw_sub_ms);
    co_return;
}

Task<> test_timers_fire_in_deadline_order() {
    std::vector<int> order;
    auto a = asyncio::create_task(record_after(30ms, &order, 3));
    auto b = asyncio::create_task(record_after(10ms, &order, 1));
    auto c = asyncio::create_task(record_after(20ms, &order, 2));
    co_await a;
    co_await b;
    co_await c;
    CHECK((order == std::vector<int>{1, 2, 3}));
}

Task<> test_equal_deadlines_are_fifo() {
    std::vector<int> order;
    asyncio::EventLoop& loop = asyncio::get_event_loop();
    const auto when = loop.time() + 5ms;
    for (int i = 0; i < 5; ++i) loop.call_at(when, [&order, i] { order.push_back(i); });
    co_await asyncio::sleep(20ms);
    CHECK((order == std::vector<int>{0, 1, 2, 3, 4}));
}

Task<> ping(std::string* log, char name, int times) {
    for (int i = 0; i < times; ++i) {
        *log += name;
        co_await asyncio::sleep(0);
    }
}

Task<> test_sleep_zero_yields() {
    std::string log;
    auto a = asyncio::create_task(ping(&log, 'a', 3));
    auto b = asyncio::create_task(ping(&log, 'b', 3));
    co_await a;
    co_await b;
    CHECK(log == "ababab");
}

// ---------------------------------------------------------------------------------------------
// Tasks, results, exceptions, cancellation

Task<int> add_later(int a, int b) {
    const int x = co_await value_after(1ms, a);
    const int y = co_await value_after(1ms, b);
    co_return x + y;
}

Task<> test_task_results_and_join() {
    CHECK(co_await add_later(20, 22) == 42);
    auto task = asyncio::create_task(add_later(1, 2), "adder");
    CHECK(!task.done());
    CHECK(task.get_name() == "adder");
    const int joined = co_await task;
    CHECK(joined == 3);
    CHECK(task.done());
    CHECK(!task.cancelled());
}

Task<int> deep(int depth) {
    if (depth == 0) {
        co_await asyncio::sleep(1ms);
        throw std::runtime_error("from the bottom");
    }
    co_return co_await deep(depth - 1) + 1;
}

Task<> test_exceptions_cross_coroutines() {
    bool caught = false;
    try {
        (void)co_await deep(10);
    } catch (const std::runtime_error& e) {
        caught = std::strcmp(e.what(), "from the bottom") == 0;
    }
    CHECK(caught);

    auto task = asyncio::create_task(fail_after(2ms, "task failed"));
    bool joined_failure = false;
    try {
        co_await task;
    } catch (const std::runtime_error& e) {
        joined_failure = std::strcmp(e.what(), "task failed") == 0;
    }
    CHECK(joined_failure);
    CHECK(task.done());
}

Task<> test_cancel_a_sleeping_task() {
    bool cleaned_up = false;
    const auto t0 = now();
    auto task = asyncio::create_task(sleeper(10s, &cleaned_up));
    co_await asyncio::sleep(10ms);
    CHECK(task.cancel());
    bool got_cancelled = false;
    try {
        co_await task;
    } catch (const asyncio::CancelledError&) {
        got_cancelled = true;
    }
    CHECK(got_cancelled);
    CHECK(cleaned_up);
    CHECK(task.cancelled());
    CHECK(now() - t0 < 10ms + kSlack);
    CHECK(asyncio::get_event_loop().task_count() == 1);  // only this test's own task is left
}

Task<> test_cancel_before_first_step() {
    bool ran = false;
    auto body = [](bool* flag) -> Task<> {
        *flag = true;
        co_return;
    };
    auto task = asyncio::create_task(body(&ran));
    task.cancel();
    try {
        co_await task;
    } catch (const asyncio::CancelledError&) {
    }
    CHECK(task.cancelled());
    CHECK(!ran);
}

Task<> test_unretrieved_failure_is_reported() {
    static std::string reported;
    reported.clear();
    asyncio::set_error_reporter([](const std::string& message) { reported = message; });
    {
        auto dropped = asyncio::create_task(fail_after(1ms, "nobody awaits me"));
    }
    co_await asyncio::sleep(10ms);
    asyncio::set_error_reporter(nullptr);
    CHECK(reported.find("nobody awaits me") != std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Synchronisation primitives

Task<> wait_event(asyncio::Event* event, std::vector<int>* woken, int id) {
    co_await event->wait();
    woken->push_back(id);
}

Task<> test_event() {
    asyncio::Event event;
    std::vector<int> woken;
    auto a = asyncio::create_task(wait_event(&event, &woken, 1));
    auto b = asyncio::create_task(wait_event(&event, &woken, 2));
    co_await asyncio::sleep(5ms);
    CHECK(woken.empty());
    event.set();
    CHECK(event.is_set());
    co_await a;
    co_await b;
    CHECK((woken == std::vector<int>{1, 2}));
    co_await event.wait();  // already set: does not suspend
    event.clear();
    CHECK(!event.is_set());
}

struct Shared {
    int inside = 0;
    int most_inside = 0;
    std::vector<int> order;
};

Task<> hold_lock(asyncio::Lock* lock, Shared* shared, int id) {
    auto guard = co_await lock->scoped_acquire();
    shared->order.push_back(id);
    shared->most_inside = std::max(shared->most_inside, ++shared->inside);
    co_await asyncio::sleep(2ms);
    --shared->inside;
}

Task<> test_lock() {
    asyncio::Lock lock;
    Shared shared;
    std::vector<Task<>> tasks;
    for (int i = 0; i < 4; ++i) tasks.push_back(asyncio::create_task(hold_lock(&lock, &shared, i)));
    for (auto& task : tasks) co_await task;
    CHECK(shared.most_inside == 1);
    CHECK((shared.order == std::vector<int>{0, 1, 2, 3}));  // FIFO
    CHECK(!lock.locked());
    co_await lock.acquire();
    CHECK(lock.locked());
    CHECK(!lock.try_acquire());
    lock.release();
    bool threw = false;
    try {
        lock.release();
    } catch (const asyncio::InvalidStateError&) {
        threw = true;
    }
    CHECK(threw);
}

Task<> hold_slot(asyncio::Semaphore* slots, Shared* shared) {
    co_await slots->acquire();
    shared->most_inside = std::max(shared->most_inside, ++shared->inside);
    co_await asyncio::sleep(2ms);
    --shared->inside;
    slots->release();
}

Task<> test_semaphore() {
    asyncio::Semaphore slots(2);
    Shared shared;
    std::vector<Task<>> tasks;
    for (int i = 0; i < 5; ++i) tasks.push_back(asyncio::create_task(hold_slot(&slots, &shared)));
    for (auto& task : tasks) co_await task;
    CHECK(shared.most_inside == 2);
    CHECK(slots.value() == 2);

    asyncio::BoundedSemaphore bounded(1);
    co_await bounded.acquire();
    bounded.release();
    bool threw = false;
    try {
        bounded.release();
    } catch (const asyncio::InvalidStateError&) {
        threw = true;
    }
    CHECK(threw);
}

Task<> consume_when_ready(asyncio::Condition* cond, std::vector<int>* items, int* got) {
    auto guard = co_await cond->scoped_acquire();
    co_await cond->wait_for([items] { return !items->empty(); });
    *got = items->back();
    items->pop_back();
}

Task<> test_condition() {
    asyncio::Condition cond;
    std::vector<int> items;
    int got = 0;
    auto consumer = asyncio::create_task(consume_when_ready(&cond, &items, &got));
    co_await asyncio::sleep(5ms);
    CHECK(got == 0);
    {
        auto guard = co_await cond.scoped_acquire();
        items.push_back(7);
        cond.notify();
    }
    co_await consumer;
    CHECK(got == 7);
    CHECK(items.empty());
}

Task<> produce(asyncio::Queue<int>* queue, int count) {
    for (int i = 1; i <= count; ++i) co_await queue->put(i);
}

Task<> consume(asyncio::Queue<int>* queue, std::vector<int>* seen, int count) {
    for (int i = 0; i < count; ++i) {
        seen->push_back(co_await queue->get());
        co_await asyncio::sleep(1ms);
        queue->task_done();
    }
}

Task<> test_queue() {
    asyncio::Queue<int> queue(2);
    std::vector<int> seen;
    auto producer = asyncio::create_task(produce(&queue, 6));
    auto consumer = asyncio::create_task(consume(&queue, &seen, 6));
    co_await asyncio::sleep(0);
    CHECK(queue.qsize() <= 2);  // back-pressure: the producer waits
    co_await producer;
    co_await consumer;
    co_await queue.join();
    CHECK((seen == std::vector<int>{1, 2, 3, 4, 5, 6}));
    CHECK(queue.empty());

    bool empty_thrown = false;
    try {
        (void)queue.get_nowait();
    } catch (const asyncio::QueueEmpty&) {
        empty_thrown = true;
    }
    CHECK(empty_thrown);
    queue.put_nowait(1);
    queue.put_nowait(2);
    CHECK(queue.full());
    bool full_thrown = false;
    try {
        queue.put_nowait(3);
    } catch (const asyncio::QueueFull&) {
        full_thrown = true;
    }
    CHECK(full_thrown);
    CHECK(queue.get_nowait() == 1);
}

Task<> put_or_record_cancel(asyncio::Queue<int>* queue, int item, bool* cancelled) {
    try {
        co_await queue->put(item);
    } catch (const asyncio::CancelledError&) {
        *cancelled = true;
        throw;
    }
}

Task<> test_queue_put_waits_while_full() {
    // A producer blocked on a full bounded queue, woken by the consumer.
    asyncio::Queue<int> queue(1);
    std::vector<int> seen;
    auto producer = asyncio::create_task(produce(&queue, 3));
    co_await asyncio::sleep(0);
    CHECK(queue.full());
    CHECK(!producer.done());  // waits to put 2
    auto consumer = asyncio::create_task(consume(&queue, &seen, 3));
    co_await producer;
    co_await consumer;
    CHECK((seen == std::vector<int>{1, 2, 3}));

    // One cancelled while waiting: CancelledError, and its item is not put.
    queue.put_nowait(0);
    bool cancelled = false;
    auto blocked = asyncio::create_task(put_or_record_cancel(&queue, 9, &cancelled));
    co_await asyncio::sleep(0);
    blocked.cancel();
    co_await asyncio::sleep(0);
    CHECK(blocked.cancelled());
    CHECK(cancelled);
    CHECK(queue.qsize() == 1);

    // One woken by a get, then cancelled before it ran: the same (as CPython 3.13).
    cancelled = false;
    auto woken = asyncio::create_task(put_or_record_cancel(&queue, 8, &cancelled));
    co_await asyncio::sleep(0);
    CHECK(queue.get_nowait() == 0);  // wakes it; it would put 8 when it runs
    woken.cancel();
    co_await asyncio::sleep(0);
    CHECK(woken.cancelled());
    CHECK(cancelled);
    CHECK(queue.empty());
}

Task<> wait_flag(asyncio::ThreadSafeFlag* flag, int* woken) {
    co_await flag->wait();
    ++*woken;
}

/// Sets a ThreadSafeFlag from the tick interrupt, `ticks` ticks after it is armed.
struct IsrSetter {
    asyncio::ThreadSafeFlag* flag = nullptr;
    volatile int ticks_left = 0;
    static void on_tick(void* self) {
        auto* setter = static_cast<IsrSetter*>(self);
        if (setter->ticks_left <= 0) return;
        setter->ticks_left = setter->ticks_left - 1;
        if (setter->ticks_left == 0) setter->flag->set();
    }
};

Task<> test_thread_safe_flag_from_interrupt() {
    asyncio::ThreadSafeFlag flag;
    int woken = 0;
    IsrSetter setter{&flag, 30};
    const asyncio::port::IdleStats before = asyncio::port::idle_stats();
    const auto t0 = now();
    asyncio::port::set_tick_hook(&IsrSetter::on_tick, &setter);
    auto waiter = asyncio::create_task(wait_flag(&flag, &woken));
    co_await waiter;  // nothing else to do: the loop sleeps in WFI until the interrupt
    asyncio::port::set_tick_hook(nullptr, nullptr);
    const asyncio::port::IdleStats after = asyncio::port::idle_stats();
    CHECK(woken == 1);
    CHECK(now() - t0 >= 29ms);
    CHECK(now() - t0 < 30ms + kSlack);
    CHECK(after.waits > before.waits);
    CHECK(after.sleeps - before.sleeps <= 4 * (after.ticks - before.ticks) + 8);

    flag.set();  // set before anyone waits: the next wait returns at once
    co_await flag.wait();
    flag.set();
    flag.clear();
    CHECK(flag.wait().await_ready() == false);
}

// ---------------------------------------------------------------------------------------------
// Composition: gather, wait_for, timeout, TaskGroup

Task<> test_gather() {
    const auto t0 = now();
    auto [a, b] = co_await asyncio::gather(value_after(20ms, 1), value_after(10ms, 2));
    const auto took = now() - t0;
    CHECK(a == 1);
    CHECK(b == 2);
    CHECK(took >= 20ms);
    CHECK(took < 30ms + kSlack);  // concurrently, not one after the other... within the slack

    std::vector<int> order;
    bool caught = false;
    try {
        co_await asyncio::gather(fail_after(5ms, "gather child failed"), record_after(20ms, &order, 1));
    } catch (const std::runtime_error& e) {
        caught = std::strcmp(e.what(), "gather child failed") == 0;
    }
    CHECK(caught);
    CHECK(order.empty());  // the first failure propagated at once...
    co_await asyncio::sleep(30ms);
    CHECK(order.size() == 1);  // ...and, as in CPython, the other child ran on

    std::vector<Task<int>> many;
    for (int i = 0; i < 5; ++i) many.push_back(value_after(std::chrono::milliseconds(5 - i), i));
    const std::vector<int> results = co_await asyncio::gather(std::move(many));
    CHECK((results == std::vector<int>{0, 1, 2, 3, 4}));
}

Task<> test_wait_for() {
    CHECK(co_await asyncio::wait_for(value_after(5ms, 7), 200ms) == 7);

    bool cleaned_up = false;
    bool timed_out = false;
    const auto t0 = now();
    try {
        co_await asyncio::wait_for(sleeper(10s, &cleaned_up), 20ms);
    } catch (const asyncio::TimeoutError&) {
        timed_out = true;
    }
    const auto took = now() - t0;
    CHECK(timed_out);
    CHECK(cleaned_up);
    CHECK(took >= 20ms);
    CHECK(took < 20ms + kSlack);

    bool ms_timed_out = false;
    try {
        (void)co_await asyncio::wait_for_ms(value_after(1s, 1), 10);
    } catch (const asyncio::TimeoutError&) {
        ms_timed_out = true;
    }
    CHECK(ms_timed_out);
}

Task<> test_timeout_scope() {
    bool timed_out = false;
    auto scope = asyncio::timeout(15ms);
    try {
        try {
            co_await asyncio::sleep(10s);
        } catch (const asyncio::CancelledError&) {
            scope.rethrow_as_timeout();
        }
    } catch (const asyncio::TimeoutError&) {
        timed_out = true;
    }
    CHECK(timed_out);
    CHECK(scope.expired());
}

Task<> test_task_group() {
    std::vector<int> order;
    {
        asyncio::TaskGroup group;
        (void)group.create_task(record_after(15ms, &order, 3));
        (void)group.create_task(record_after(5ms, &order, 1));
        (void)group.create_task(record_after(10ms, &order, 2));
        co_await group.wait();
    }
    CHECK((order == std::vector<int>{1, 2, 3}));

    bool cleaned_up = false;
    bool caught = false;
    {
        asyncio::TaskGroup group;
        (void)group.create_task(sleeper(10s, &cleaned_up));
        (void)group.create_task(fail_after(5ms, "child failed"));
        try {
            co_await group.wait();
        } catch (const asyncio::ExceptionGroup& errors) {
            caught = errors.exceptions().size() == 1 && errors.contains<std::runtime_error>();
        }
    }
    CHECK(caught);
    CHECK(cleaned_up);

    // The scoped form: a failing child cancels the body too, as CPython's `async with TaskGroup()`.
    bool body_cancelled = false;
    const auto t0 = now();
    try {
        co_await asyncio::task_group([&](asyncio::TaskGroup& group) -> Task<> {
            (void)group.create_task(fail_after(5ms, "child failed"));
            try {
                co_await asyncio::sleep(10s);
            } catch (const asyncio::CancelledError&) {
                body_cancelled = true;
                throw;
            }
        });
    } catch (const asyncio::ExceptionGroup&) {
    }
    CHECK(body_cancelled);
    CHECK(now() - t0 < 5ms + kSlack);
}

#ifdef ASYNCIO_TEST_TOPIC
Task<> read_topic(asyncio::Topic<int>::Subscription* sub, std::vector<int>* seen) {
    while (auto value = co_await sub->get()) seen->push_back(*value);
}

Task<> test_topic() {
    asyncio::Topic<int> topic;
    auto slow = topic.subscribe(2);  // keeps the 2 newest unread values
    auto live = topic.subscribe(8);
    std::vector<int> seen;
    auto reader = asyncio::create_task(read_topic(&live, &seen));
    co_await asyncio::sleep(0);
    for (int i = 1; i <= 3; ++i) {
        topic.publish(i);  // never waits
        co_await asyncio::sleep(1ms);
    }
    CHECK(topic.subscriber_count() == 2);
    CHECK(slow.dropped() == 1);
    CHECK(slow.get_nowait() == std::optional<int>(2));
    CHECK(slow.get_nowait() == std::optional<int>(3));
    CHECK(!slow.get_nowait());
    topic.close();
    co_await reader;  // get() returns std::nullopt once closed and drained
    CHECK((seen == std::vector<int>{1, 2, 3}));
    CHECK(live.closed());
}
#endif

// ---------------------------------------------------------------------------------------------
// Memory: frame pool, no heap after start-up, footprint

// Blocks big enough for the largest frame of these tests (printed after each pool test).
asyncio::StaticFramePool<320, 8> g_pool;

Task<> blink_in_pool(int* toggles, asyncio::Duration period, int times) {
    for (int i = 0; i < times; ++i) {
        ++*toggles;
        co_await value_after(period, i);  // a child frame per cycle, from the pool too
    }
}

Task<> test_frame_pool_no_heap_after_start() {
    int a = 0;
    int b = 0;
    auto t1 = asyncio::create_task(blink_in_pool(&a, 2ms, 20));
    auto t2 = asyncio::create_task(blink_in_pool(&b, 3ms, 15));
    co_await asyncio::sleep(8ms);  // start-up: both tasks running, the timer heap has grown
    const unsigned mallocs_before = malloc_counter::g_mallocs;
    co_await t1;
    co_await t2;
    const unsigned mallocs_during = malloc_counter::g_mallocs - mallocs_before;
    CHECK(a == 20);
    CHECK(b == 15);
    CHECK(mallocs_during == 0);
    CHECK(g_pool.high_water() >= 5);  // this test, two tasks, their children
    std::printf("MEASURE pool_steady_state_mallocs=%u pool_high_water=%u block=%u\n", mallocs_during,
                static_cast<unsigned>(g_pool.high_water()), static_cast<unsigned>(g_pool.block_size()));
}

Task<> sleep_forever() { co_await asyncio::sleep(1h); }

Task<> test_frame_pool_exhaustion_is_clean() {
    std::vector<Task<>> tasks;
    tasks.reserve(g_pool.capacity());
    bool refused = false;
    for (std::size_t i = 0; i < g_pool.capacity(); ++i) {
        try {
            tasks.push_back(asyncio::create_task(sleep_forever()));
        } catch (const std::bad_alloc&) {
            refused = true;
            break;
        }
    }
    CHECK(refused);
    CHECK(g_pool.in_use() == g_pool.capacity());
    CHECK(tasks.size() == g_pool.capacity() - 1);  // this test's own frame holds one block
    co_await asyncio::sleep(1ms);                 // the pool's tasks all run, nothing corrupted
    for (auto& task : tasks) task.cancel();
    for (auto& task : tasks) {
        try {
            co_await task;
        } catch (const asyncio::CancelledError&) {
        }
    }
    CHECK(std::all_of(tasks.begin(), tasks.end(), [](const Task<>& t) { return t.cancelled(); }));
    tasks.clear();
    CHECK(g_pool.in_use() == 1);
    auto again = asyncio::create_task(value_after(1ms, 5));  // the pool serves again
    CHECK(co_await again == 5);
}

Task<> test_bytes_per_sleeping_task() {
    // 64 tasks, or fewer where the heap is small (the micro:bit): a quarter of what is free.
    const int kTasks = static_cast<int>(std::min<std::size_t>(64, (board::heap_size() - mallinfo().arena) / 4 / 256 + 4));
    const auto tasks_measured = static_cast<std::size_t>(kTasks);
    std::vector<Task<>> tasks;
    tasks.reserve(kTasks);
    co_await asyncio::sleep(1ms);  // let the timer heap of earlier tests settle
    const asyncio::FrameStats frames_before = asyncio::frame_stats();
    const std::size_t heap_before = mallinfo().uordblks;
    for (int i = 0; i < kTasks; ++i) tasks.push_back(asyncio::create_task(sleep_forever()));
    co_await asyncio::sleep(0);  // every task runs its first step and sleeps
    const asyncio::FrameStats frames_after = asyncio::frame_stats();
    const std::size_t heap_after = mallinfo().uordblks;
    const std::size_t frame_bytes = (frames_after.live_bytes - frames_before.live_bytes) / kTasks;
    const std::size_t heap_bytes = (heap_after - heap_before) / kTasks;
    std::printf("MEASURE bytes_per_sleeping_task frame=%u heap=%u (frame_stats / malloc'd incl. timer slot)\n",
                static_cast<unsigned>(frame_bytes), static_cast<unsigned>(heap_bytes));
    CHECK(frames_after.live_frames - frames_before.live_frames == tasks_measured);
    // The target, for the frame plus the loop's bookkeeping (its timer-heap slot). malloc
    // adds its own 8-byte chunk header on top: the heap figure; a frame pool adds nothing.
    CHECK(frame_bytes + sizeof(void*) < 200);
    for (auto& task : tasks) task.cancel();
    for (auto& task : tasks) {
        try {
            co_await task;
        } catch (const asyncio::CancelledError&) {
        }
    }
}

// ---------------------------------------------------------------------------------------------

const TestCase kTests[] = {
    {"sleep_is_real_time", test_sleep_is_real_time},
    {"clock_is_monotonic_and_fine", test_clock_is_monotonic_and_fine},
    {"timers_fire_in_deadline_order", test_timers_fire_in_deadline_order},
    {"equal_deadlines_are_fifo", test_equal_deadlines_are_fifo},
    {"sleep_zero_yields", test_sleep_zero_yields},
    {"task_results_and_join", test_task_results_and_join},
    {"exceptions_cross_coroutines", test_exceptions_cross_coroutines},
    {"cancel_a_sleeping_task", test_cancel_a_sleeping_task},
    {"cancel_before_first_step", test_cancel_before_first_step},
    {"unretrieved_failure_is_reported", test_unretrieved_failure_is_reported},
    {"event", test_event},
    {"lock", test_lock},
    {"semaphore", test_semaphore},
    {"condition", test_condition},
    {"queue", test_queue},
    {"queue_put_waits_while_full", test_queue_put_waits_while_full},
    {"thread_safe_flag_from_interrupt", test_thread_safe_flag_from_interrupt},
    {"gather", test_gather},
    {"wait_for", test_wait_for},
    {"timeout_scope", test_timeout_scope},
    {"task_group", test_task_group},
#ifdef ASYNCIO_TEST_TOPIC
    {"topic", test_topic},
#endif
    {"frame_pool_no_heap_after_start", test_frame_pool_no_heap_after_start, &g_pool},
    {"frame_pool_exhaustion_is_clean", test_frame_pool_exhaustion_is_clean, &g_pool},
    {"bytes_per_sleeping_task", test_bytes_per_sleeping_task},
};

/// Runs the test on asyncio::run()'s loop; an exception escaping it is a failure.
void run_catching_exceptions(const TestCase& test) {
    try {
        asyncio::run(test.body());
    } catch (const std::exception& e) {
        ++g_check_failures;
        std::printf("    uncaught exception: %s\n", e.what());
    } catch (...) {
        ++g_check_failures;
        std::printf("    uncaught exception of unknown type\n");
    }
    if (test.allocator == &g_pool) std::printf("    (largest frame asked of the pool: %u bytes)\n", unsigned(g_pool.largest_request()));
}

}  // namespace

int main() {
    std::setvbuf(stdout, nullptr, _IONBF, 0);  // every line out at once, even if we crash
    std::printf("asyncio core tests on %s\n", ASYNCIO_BOARD_NAME);
    std::printf("MEASURE heap_in_use_at_start=%u (before any task: C++ runtime, stdio)\n",
                static_cast<unsigned>(mallinfo().uordblks));
    int passed = 0;
    int failed = 0;
    for (const TestCase& test : kTests) {
        if (run_test(test, run_catching_exceptions)) {
            ++passed;
        } else {
            ++failed;
        }
    }
    std::printf("MEASURE stack_high_water=%u of %u, heap_arena=%u\n", static_cast<unsigned>(board::stack_high_water()),
                static_cast<unsigned>(board::stack_size()), static_cast<unsigned>(mallinfo().arena));
    if (board::stack_high_water() + 128 > board::stack_size()) {
        ++failed;
        std::printf("[ FAIL ] the stack came within 128 bytes of its end: make __stack_size larger\n");
    }
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
