// The core's -fno-exceptions profile (config.hpp, docs/EMBEDDED.md "Without exceptions"), checked
// where it is used: the same program runs on the emulated boards (embedded/run-tests.sh, on the
// board's real clock) and on the host (core_noexc_tests, on a VirtualClock). It prints one line per
// test, then "N passed, M failed", and exits non-zero on any failure. The last test ends the
// program from inside a fatal_error() handler, as a device would reset.

#include <asyncio/core/barrier.hpp>
#include <asyncio/core/condition.hpp>
#include <asyncio/core/config.hpp>
#include <asyncio/core/event.hpp>
#include <asyncio/core/fatal_error.hpp>
#include <asyncio/core/frame_pool.hpp>
#include <asyncio/core/gather.hpp>
#include <asyncio/core/lock.hpp>
#include <asyncio/core/loop.hpp>
#include <asyncio/core/queue.hpp>
#include <asyncio/core/semaphore.hpp>
#include <asyncio/core/sleep.hpp>
#include <asyncio/core/task.hpp>
#include <asyncio/core/task_group.hpp>
#include <asyncio/core/wait.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>

#if ASYNCIO_EXCEPTIONS || defined(__cpp_exceptions)
#error "this program tests the -fno-exceptions profile: build it with -fno-exceptions"
#endif

#ifdef ASYNCIO_NOEXC_TEST_HOST
#include <asyncio/core/virtual_clock.hpp>
#else
#include "semihosting.hpp"
#endif

#include "tiny_harness.hpp"

using namespace std::chrono_literals;
using asyncio::Task;

namespace {

int g_passed = 0;
int g_failed = 0;

/// The loop each test runs on: the board's clock, or a virtual one on the host.
std::unique_ptr<asyncio::Platform> test_platform() {
#ifdef ASYNCIO_NOEXC_TEST_HOST
    return std::make_unique<asyncio::VirtualClock>();
#else
    return asyncio::make_default_platform();
#endif
}

[[noreturn]] void finish() {
    std::printf("%d passed, %d failed\n", g_passed, g_failed);
    const int status = g_failed == 0 ? 0 : 1;
#ifdef ASYNCIO_NOEXC_TEST_HOST
    std::fflush(stdout);
    std::_Exit(status);
#else
    asyncio::port::semihost_exit(status);
#endif
}

/// Appends its id to a log when destroyed: shows which frames were unwound, and in what order.
struct Trace {
    char log[16] = {};
    int length = 0;
    void add(char c) {
        if (length < 15) log[length++] = c;
    }
    [[nodiscard]] bool is(const char* expected) const { return std::strcmp(log, expected) == 0; }
};

struct Mark {
    Trace& trace;
    char id;
    ~Mark() { trace.add(id); }
};

Task<> sleep_then_mark(Trace& trace, asyncio::Duration delay, char id) {
    co_await asyncio::sleep(delay);
    trace.add(id);
}

Task<int> value_after(asyncio::Duration delay, int value) {
    co_await asyncio::sleep(delay);
    co_return value;
}

// ---------------------------------------------------------------------------------------------

Task<> test_sleep_and_timer_order() {
    Trace trace;
    auto a = asyncio::create_task(sleep_then_mark(trace, 30ms, 'c'));
    auto b = asyncio::create_task(sleep_then_mark(trace, 10ms, 'a'));
    auto c = asyncio::create_task(sleep_then_mark(trace, 20ms, 'b'));
    co_await a;
    co_await b;
    co_await c;
    CHECK(trace.is("abc"));
    const int value = co_await value_after(5ms, 42);
    CHECK(value == 42);
}

Task<> innermost(Trace& trace, bool& resumed) {
    Mark mark{trace, '3'};
    co_await asyncio::sleep(1h);
    resumed = true;  // never: cancellation unwinds instead of resuming
}

Task<> middle(Trace& trace, bool& resumed) {
    Mark mark{trace, '2'};
    co_await innermost(trace, resumed);
    resumed = true;
}

Task<> outer(Trace& trace, bool& resumed) {
    Mark mark{trace, '1'};
    co_await middle(trace, resumed);
    resumed = true;
}

Task<> test_cancel_unwinds_innermost_first() {
    Trace trace;
    bool resumed = false;
    auto task = asyncio::create_task(outer(trace, resumed));
    co_await asyncio::sleep(1ms);
    CHECK(trace.is(""));
    CHECK(task.cancel());
    co_await asyncio::wait(task);
    CHECK(task.done());
    CHECK(task.cancelled());
    CHECK(!resumed);
    CHECK(trace.is("321"));  // every destructor ran, innermost frame first
}

Task<> test_cancel_before_first_step() {
    Trace trace;
    bool resumed = false;
    auto task = asyncio::create_task(outer(trace, resumed));
    task.cancel();
    co_await asyncio::wait(task);
    CHECK(task.cancelled());
    CHECK(trace.is(""));  // it never started
}

Task<> joiner(Task<>& joined, bool& after_join, Trace& trace) {
    Mark mark{trace, 'j'};
    co_await joined;
    after_join = true;
}

Task<> test_joining_a_cancelled_task_cancels_the_joiner() {
    Trace trace;
    bool resumed = false;
    bool after_join = false;
    auto worker = asyncio::create_task(outer(trace, resumed));
    auto waiting = asyncio::create_task(joiner(worker, after_join, trace));
    co_await asyncio::sleep(1ms);
    worker.cancel();
    co_await asyncio::wait(waiting);
    CHECK(waiting.cancelled());
    CHECK(!after_join);
    CHECK(trace.is("321j"));
    // Joining one that is already cancelled: the same, at once.
    auto late = asyncio::create_task(joiner(worker, after_join, trace));
    co_await asyncio::wait(late);
    CHECK(late.cancelled());
    CHECK(!after_join);
}

Task<> test_cancelling_a_joiner_cancels_the_joined() {
    Trace trace;
    bool resumed = false;
    bool after_join = false;
    auto worker = asyncio::create_task(outer(trace, resumed));
    auto waiting = asyncio::create_task(joiner(worker, after_join, trace));
    co_await asyncio::sleep(1ms);
    waiting.cancel();  // as in CPython: the joined task is cancelled too, and waited for
    co_await asyncio::wait(waiting);
    CHECK(worker.cancelled());
    CHECK(waiting.cancelled());
    CHECK(trace.is("321j"));
}

Task<> test_wait_never_propagates() {
    auto ok = asyncio::create_task(value_after(2ms, 7));
    co_await asyncio::wait(ok);
    CHECK(ok.done() && !ok.cancelled());
    CHECK(ok.result() == 7);
    Trace trace;
    bool resumed = false;
    auto cancelled = asyncio::create_task(outer(trace, resumed));
    co_await asyncio::sleep(1ms);
    cancelled.cancel();
    co_await asyncio::wait(cancelled);  // returns: this task goes on
    CHECK(cancelled.cancelled());
}

Task<> test_try_wait_for() {
    const std::optional<int> in_time = co_await asyncio::try_wait_for(value_after(5ms, 3), 500ms);
    CHECK(in_time == std::optional<int>(3));
    Trace trace;
    bool resumed = false;
    const auto start = asyncio::get_event_loop().time();
    const bool finished = co_await asyncio::try_wait_for(outer(trace, resumed), 20ms);
    const auto took = asyncio::get_event_loop().time() - start;
    CHECK(!finished);
    CHECK(trace.is("321"));  // the work was cancelled and unwound before try_wait_for returned
    CHECK(took >= 20ms);
    asyncio::Event never;
    const std::optional<bool> got = co_await asyncio::try_wait_for(never.wait(), 5ms);  // any awaitable
    CHECK(!got.has_value());
}

Task<> test_gather_with_a_cancelled_child() {
    Trace trace;
    bool resumed = false;
    Task<> victim = outer(trace, resumed);
    asyncio::TaskRef victim_ref = victim.ref();
    auto gathering = asyncio::create_task(asyncio::gather(std::move(victim), sleep_then_mark(trace, 1h, 'x')));
    co_await asyncio::sleep(1ms);
    victim_ref.cancel();
    co_await asyncio::wait(gathering);
    CHECK(gathering.cancelled());  // the cancelled child cancelled the others, then the gather
    CHECK(trace.is("321"));        // 'x' never slept to the end
    // And without cancellation, gather returns every result.
    auto [a, b] = co_await asyncio::gather(value_after(3ms, 1), value_after(1ms, 2));
    CHECK(a == 1 && b == 2);
}

Task<> group_owner(Trace& trace, bool& after_wait) {
    asyncio::TaskGroup group;
    group.create_task(sleep_then_mark(trace, 1h, 'x'));
    group.create_task(sleep_then_mark(trace, 1h, 'y'));
    co_await group.wait();
    after_wait = true;
}

Task<> test_task_group() {
    Trace trace;
    bool resumed = false;
    asyncio::TaskGroup group;
    auto victim = group.create_task(outer(trace, resumed));
    group.create_task(sleep_then_mark(trace, 3ms, 'a'));
    co_await asyncio::sleep(1ms);
    victim.cancel();  // a cancelled child does not fail the group (as in CPython)
    co_await group.wait();
    CHECK(trace.is("321a"));
    // Cancelling the task that waits on a group cancels the children and waits for them.
    Trace trace2;
    bool after_wait = false;
    auto owner = asyncio::create_task(group_owner(trace2, after_wait));
    co_await asyncio::sleep(1ms);
    owner.cancel();
    co_await asyncio::wait(owner);
    CHECK(owner.cancelled());
    CHECK(!after_wait);
    CHECK(trace2.is(""));  // the children were unwound before they could mark
}

Task<> hold_lock(asyncio::Lock& lock, Trace& trace, char id) {
    auto guard = co_await lock.scoped_acquire();
    trace.add(id);
    co_await asyncio::sleep(1ms);
}

Task<> test_lock_semaphore_queue_hand_off_when_a_waiter_is_unwound() {
    asyncio::Lock lock;
    Trace trace;
    co_await lock.acquire();
    auto second = asyncio::create_task(hold_lock(lock, trace, 's'));
    auto third = asyncio::create_task(hold_lock(lock, trace, 't'));
    co_await asyncio::sleep(0);  // both wait, in order
    lock.release();              // handed to `second`, which has not run yet...
    second.cancel();             // ...and is unwound: the lock must go on to `third`
    co_await asyncio::wait(third);
    CHECK(second.cancelled());
    CHECK(trace.is("t"));
    CHECK(!lock.locked());

    asyncio::Semaphore slots(1);
    co_await slots.acquire();
    bool got_slot = false;
    auto s1 = asyncio::create_task([](asyncio::Semaphore& s) -> Task<> { co_await s.acquire(); }(slots));
    auto s2 = asyncio::create_task([](asyncio::Semaphore& s, bool& got) -> Task<> {
        co_await s.acquire();
        got = true;
        s.release();
    }(slots, got_slot));
    co_await asyncio::sleep(0);
    slots.release();  // handed to s1, unwound before it runs: s2 gets it
    s1.cancel();
    co_await asyncio::wait(s2);
    CHECK(got_slot);
    CHECK(slots.value() == 1);

    asyncio::Queue<int> queue;
    int received = 0;
    auto g1 = asyncio::create_task([](asyncio::Queue<int>& q) -> Task<> { (void)co_await q.get(); }(queue));
    auto g2 = asyncio::create_task([](asyncio::Queue<int>& q, int& out) -> Task<> { out = co_await q.get(); }(queue, received));
    co_await asyncio::sleep(0);
    CHECK(queue.try_put(5));  // wakes g1, which is unwound before it runs: g2 gets woken
    g1.cancel();
    co_await asyncio::wait(g2);
    CHECK(received == 5);
    CHECK(!queue.try_get().has_value());
    asyncio::Queue<int> bounded(1);
    CHECK(bounded.try_put(1));
    CHECK(!bounded.try_put(2));
    CHECK(bounded.try_get() == std::optional<int>(1));
}

Task<> put_items(asyncio::Queue<int>& queue, int first, int last, int& put) {
    for (int item = first; item <= last; ++item) {
        co_await queue.put(item);
        ++put;
    }
}

Task<> get_items(asyncio::Queue<int>& queue, int count, int& sum) {
    for (int i = 0; i < count; ++i) sum = sum * 10 + co_await queue.get();
}

Task<> test_queue_put_waits_while_full() {
    // A producer blocked on a full bounded queue, woken by the consumer.
    asyncio::Queue<int> queue(1);
    int put = 0;
    int got = 0;
    auto producer = asyncio::create_task(put_items(queue, 1, 3, put));
    co_await asyncio::sleep(0);
    CHECK(put == 1);  // waits to put 2
    CHECK(queue.full());
    auto consumer = asyncio::create_task(get_items(queue, 3, got));
    co_await asyncio::wait(producer);
    co_await asyncio::wait(consumer);
    CHECK(put == 3);
    CHECK(got == 123);
    CHECK(queue.empty());

    // One cancelled while waiting: its item is not put.
    CHECK(queue.try_put(0));
    int unused = 0;
    auto blocked = asyncio::create_task(put_items(queue, 9, 9, unused));
    co_await asyncio::sleep(0);
    blocked.cancel();
    co_await asyncio::wait(blocked);
    CHECK(blocked.cancelled());
    CHECK(queue.qsize() == 1);

    // One woken by a get, then unwound before it ran: its item is not put, and the next putter
    // gets the free slot.
    auto p1 = asyncio::create_task(put_items(queue, 1, 1, unused));
    auto p2 = asyncio::create_task(put_items(queue, 2, 2, unused));
    co_await asyncio::sleep(0);
    CHECK(queue.try_get() == std::optional<int>(0));  // wakes p1
    CHECK(queue.empty());                             // p1 puts only when it runs...
    p1.cancel();                                      // ...which it never does
    co_await asyncio::wait(p2);
    CHECK(p1.cancelled());
    CHECK(queue.try_get() == std::optional<int>(2));
    CHECK(queue.empty());
}

Task<> test_queue_shutdown_cancels_waiters() {
    // Where QueueShutDown would be thrown, the awaiting task is cancelled instead.
    asyncio::Queue<int> queue(1);
    int got = 0;
    auto getter = asyncio::create_task(get_items(queue, 1, got));
    co_await asyncio::sleep(0);
    queue.shutdown();
    co_await asyncio::wait(getter);
    CHECK(getter.cancelled());
    CHECK(queue.is_shut_down());
    CHECK(!queue.try_put(1));
    CHECK(!queue.try_get().has_value());
    int put = 0;
    auto putter = asyncio::create_task(put_items(queue, 1, 1, put));
    co_await asyncio::wait(putter);
    CHECK(putter.cancelled());
    CHECK(put == 0);
}

Task<> wait_on_condition(asyncio::Condition& condition, Trace& trace) {
    auto guard = co_await condition.scoped_acquire();
    Mark mark{trace, 'w'};
    co_await condition.wait();
    trace.add('!');  // never: it is cancelled while waiting
}

Task<> test_condition_wait_unwound_keeps_the_lock_right() {
    asyncio::Condition condition;
    Trace trace;
    auto waiter = asyncio::create_task(wait_on_condition(condition, trace));
    co_await asyncio::sleep(1ms);
    auto guard = co_await condition.scoped_acquire();  // free: wait() released it
    waiter.cancel();
    co_await asyncio::sleep(1ms);
    // Unwound while this task holds the lock: its guard left the lock alone.
    CHECK(waiter.cancelled());
    CHECK(trace.is("w"));
    CHECK(condition.locked());
    guard.release();
    CHECK(!condition.locked());
}

Task<> wait_then_mark(asyncio::Condition& condition, Trace& trace, char id) {
    auto guard = co_await condition.scoped_acquire();
    co_await condition.wait();
    trace.add(id);
}

Task<> test_condition_notification_passed_on_when_unwound() {
    asyncio::Condition condition;
    Trace trace;
    auto a = asyncio::create_task(wait_then_mark(condition, trace, 'a'));
    auto b = asyncio::create_task(wait_then_mark(condition, trace, 'b'));
    co_await asyncio::sleep(1ms);
    {
        auto guard = co_await condition.scoped_acquire();
        condition.notify(1);  // chooses a...
        a.cancel();           // ...which is unwound before it runs: b gets the notification
    }
    co_await asyncio::wait(b);
    CHECK(a.cancelled());
    CHECK(trace.is("b"));
    CHECK(!condition.locked());
}

Task<> pass_barrier(asyncio::Barrier& barrier, int& passed) {
    const std::optional<std::size_t> index = co_await barrier.wait_or_broken();
    if (index) ++passed;
}

Task<> test_barrier_without_exceptions() {
    asyncio::Barrier barrier(3);
    int passed = 0;
    auto a = asyncio::create_task(pass_barrier(barrier, passed));
    auto b = asyncio::create_task(pass_barrier(barrier, passed));
    co_await asyncio::sleep(1ms);
    CHECK(barrier.n_waiting() == 2);
    a.cancel();  // unwound: it leaves the round
    co_await asyncio::wait(a);
    CHECK(a.cancelled());
    CHECK(barrier.n_waiting() == 1);
    auto c = asyncio::create_task(pass_barrier(barrier, passed));
    auto d = asyncio::create_task(pass_barrier(barrier, passed));
    co_await asyncio::wait(b);
    co_await asyncio::wait(c);
    co_await asyncio::wait(d);
    CHECK(passed == 3);
    CHECK(barrier.n_waiting() == 0);
    auto e = asyncio::create_task(pass_barrier(barrier, passed));
    co_await asyncio::sleep(1ms);
    co_await barrier.abort();  // e gets an empty optional, as would any later wait
    co_await asyncio::wait(e);
    CHECK(barrier.broken());
    CHECK(passed == 3);
    const std::optional<std::size_t> late = co_await barrier.wait_or_broken();
    CHECK(!late.has_value());
}

// Blocks large enough for this test's own frame (frames hold pointers: twice the size on 64 bits).
asyncio::StaticFramePool<128 * sizeof(void*), 6> g_pool;

Task<> sleep_a_day() { co_await asyncio::sleep(24h); }

Task<> test_frame_pool_exhaustion_gives_an_empty_task() {
    Task<> tasks[8];
    int started = 0;
    bool refused = false;
    for (auto& slot : tasks) {
        Task<> task = sleep_a_day();
        if (!task) {  // no memory for the frame: the call returned an empty Task
            refused = true;
            break;
        }
        slot = asyncio::create_task(std::move(task));
        ++started;
    }
    CHECK(refused);
    CHECK(started == 5);  // this test's own frame holds the sixth block
    CHECK(g_pool.failures() == 1);
    co_await asyncio::sleep(1ms);  // the others run, intact
    for (int i = 0; i < started; ++i) tasks[i].cancel();
    for (int i = 0; i < started; ++i) co_await asyncio::wait(tasks[i]);
    for (int i = 0; i < started; ++i) tasks[i] = Task<>();
    CHECK(g_pool.in_use() == 1);
    const int again = co_await value_after(1ms, 9);  // the pool serves again
    CHECK(again == 9);
}

// ---------------------------------------------------------------------------------------------

const TestCase kTests[] = {
    {"sleep_and_timer_order", test_sleep_and_timer_order},
    {"cancel_unwinds_innermost_first", test_cancel_unwinds_innermost_first},
    {"cancel_before_first_step", test_cancel_before_first_step},
    {"joining_a_cancelled_task_cancels_the_joiner", test_joining_a_cancelled_task_cancels_the_joiner},
    {"cancelling_a_joiner_cancels_the_joined", test_cancelling_a_joiner_cancels_the_joined},
    {"wait_never_propagates", test_wait_never_propagates},
    {"try_wait_for", test_try_wait_for},
    {"gather_with_a_cancelled_child", test_gather_with_a_cancelled_child},
    {"task_group", test_task_group},
    {"lock_semaphore_queue_hand_off_when_a_waiter_is_unwound", test_lock_semaphore_queue_hand_off_when_a_waiter_is_unwound},
    {"queue_put_waits_while_full", test_queue_put_waits_while_full},
    {"queue_shutdown_cancels_waiters", test_queue_shutdown_cancels_waiters},
    {"condition_wait_unwound_keeps_the_lock_right", test_condition_wait_unwound_keeps_the_lock_right},
    {"condition_notification_passed_on_when_unwound", test_condition_notification_passed_on_when_unwound},
    {"barrier_without_exceptions", test_barrier_without_exceptions},
    {"frame_pool_exhaustion_gives_an_empty_task", test_frame_pool_exhaustion_gives_an_empty_task, &g_pool},
};

void run_on_own_loop(const TestCase& test) {
    asyncio::EventLoop loop(test_platform());
    loop.run_until_complete(test.body());
}

/// The last test: a rule broken without exceptions reaches the installed handler, which ends the
/// program (a device would log and reset). Returning from it would abort.
void on_fatal_error(const char* what) noexcept {
    const bool expected = std::strstr(what, "Lock is not acquired") != nullptr;
    if (expected) {
        ++g_passed;
        std::printf("[  OK  ] fatal_error_reaches_the_handler (\"%s\")\n", what);
    } else {
        ++g_failed;
        std::printf("[ FAIL ] fatal_error_reaches_the_handler: unexpected \"%s\"\n", what);
    }
    finish();
}

}  // namespace

int main() {
    std::setvbuf(stdout, nullptr, _IONBF, 0);
    std::printf("asyncio core tests without exceptions (ASYNCIO_EXCEPTIONS=%d)\n", ASYNCIO_EXCEPTIONS);
    for (const TestCase& test : kTests) {
        if (run_test(test, run_on_own_loop)) {
            ++g_passed;
        } else {
            ++g_failed;
        }
    }
    asyncio::set_fatal_error_handler(on_fatal_error);
    asyncio::Lock lock;
    lock.release();  // not acquired: InvalidStateError with exceptions, fatal_error() here
    ++g_failed;
    std::printf("[ FAIL ] fatal_error_reaches_the_handler: release() returned\n");
    finish();
}

#ifdef ASYNCIO_NOEXC_TEST_HOST
// The core alone, without the io layer: the thread's default loop (get_event_loop() outside a
// running loop) gets a virtual clock too.
std::unique_ptr<asyncio::Platform> asyncio::make_default_platform() { return std::make_unique<asyncio::VirtualClock>(); }
#endif
