#pragma once
// Queue<T>: a FIFO queue between tasks, asyncio.Queue; LifoQueue<T> (last in, first out) and
// PriorityQueue<T, Compare> (smallest first, as heapq orders) are the same queue with another
// storage. With maxsize > 0, put() waits while the queue is full: back-pressure between a fast
// producer and a slow consumer. shutdown() ends it: puts fail at once, gets once it is empty.
//
//   asyncio::Queue<int> queue(10);
//   co_await queue.put(1);             // producer
//   int item = co_await queue.get();   // consumer
//   queue.task_done();                 // ...and queue.join() waits for all items to be done
//
//   asyncio::PriorityQueue<std::pair<int, std::string>> jobs;   // (priority, data), lowest first
//
// It behaves as CPython 3.13's asyncio.Queue, step for step: a task that put() or shutdown()
// wakes only checks the queue again when it runs, so until then another task may take the item
// (or the free slot) with get_nowait()/put_nowait(), and the woken task waits again.

#include <asyncio/core/config.hpp>
#include <asyncio/core/detail/queue_slow_path.hpp>
#include <asyncio/core/detail/queue_storage.hpp>
#include <asyncio/core/detail/wait_list.hpp>
#include <asyncio/core/errors.hpp>
#include <asyncio/core/event.hpp>
#include <asyncio/core/fatal_error.hpp>
#include <asyncio/core/sleep.hpp>
#include <asyncio/core/task.hpp>

#include <cstddef>
#include <functional>
#include <optional>
#include <type_traits>
#include <utility>

namespace asyncio {

/// `Storage` decides the order items leave in (detail/queue_storage.hpp); use the aliases
/// LifoQueue and PriorityQueue for the other two orders.
template <class T, class Storage = detail::FifoStorage<T>>
class Queue {
public:
    /// maxsize 0 (the default) means unbounded.
    explicit Queue(std::size_t maxsize = 0) : m_maxsize(maxsize) { m_all_done.set(); }
    Queue(const Queue&) = delete;
    Queue& operator=(const Queue&) = delete;

    /// Items in the queue (an item put() woke a getter for stays counted until a task takes it).
    [[nodiscard]] std::size_t qsize() const noexcept { return m_items.size(); }
    /// The bound given to the constructor; 0: unbounded.
    [[nodiscard]] std::size_t maxsize() const noexcept { return m_maxsize; }
    /// qsize() is 0: get() would suspend.
    [[nodiscard]] bool empty() const noexcept { return m_items.size() == 0; }
    /// The queue is bounded and holds maxsize() items: put() would suspend.
    [[nodiscard]] bool full() const noexcept { return m_maxsize > 0 && m_items.size() >= m_maxsize; }
    /// shutdown() was called (CPython keeps this private).
    [[nodiscard]] bool is_shut_down() const noexcept { return m_shut_down; }

    class [[nodiscard]] GetOperation;
    class [[nodiscard]] PutOperation;

    /// Suspends when: the queue is empty. Resumed by: put()/put_nowait(), which wakes the
    /// longest-waiting getter (FIFO), or shutdown(), which wakes them all. A woken getter looks
    /// again when it runs: if another task took the item first, it waits again, at the back.
    /// Returns: the next item (in the storage's order); an item there already is taken at once.
    /// Shutdown: QueueShutDown once the queue is shut down and empty.
    /// Cancellation: a waiter leaves the queue, taking nothing; one cancelled after it was woken
    /// wakes the next getter if items remain. co_await throws CancelledError.
    /// Without exceptions: where QueueShutDown would be thrown, the task is cancelled instead
    /// (unwound at its next step, as an uncaught QueueShutDown would end it).
    /// Memory: a getter that has to wait takes a coroutine frame from the frame allocator (see
    /// detail/queue_slow_path.hpp); without exceptions, none left is a fatal_error().
    /// Lifetime: the queue must outlive its waiters.
    GetOperation get() noexcept { return GetOperation(*this); }

    /// Suspends when: the queue is full. Resumed by: get()/get_nowait() freeing a slot, which
    /// wakes the longest-waiting putter (FIFO), or shutdown(), which wakes them all. A woken
    /// putter puts its item when it runs if there is room then; if another task filled the slot
    /// first, it waits again, at the back. Returns: nothing; the item is in the queue.
    /// Shutdown: QueueShutDown, at once or when woken; the item is not put.
    /// Cancellation: the item is not put, even when the putter was woken already (it then wakes
    /// the next putter if there is room). co_await throws CancelledError.
    /// Without exceptions, memory and lifetime: as get().
    PutOperation put(T item) noexcept(std::is_nothrow_move_constructible_v<T>) {
        return PutOperation(*this, std::move(item));
    }

    /// Takes an item without waiting and wakes the longest-waiting putter. QueueEmpty if there
    /// is none, QueueShutDown if there is none and the queue is shut down. Without exceptions
    /// those are a fatal_error(): use try_get().
    T get_nowait() {
        if (empty()) {
            if (m_shut_down) detail::fail<QueueShutDown>("queue is shut down");
            detail::fail<QueueEmpty>("queue is empty");
        }
        return take();
    }

    /// Adds an item without waiting and wakes the longest-waiting getter. QueueShutDown after
    /// shutdown(), QueueFull if the queue is full. Without exceptions those are a fatal_error():
    /// use try_put().
    void put_nowait(T item) {
        if (m_shut_down) detail::fail<QueueShutDown>("queue is shut down");
        if (full()) detail::fail<QueueFull>("queue is full");
        add(std::move(item));
    }

    /// get_nowait() that never throws: std::nullopt if there is no item (shut down or not).
    std::optional<T> try_get() {
        if (empty()) return std::nullopt;
        return take();
    }

    /// put_nowait() that never throws: false (the item is dropped) if the queue is full or shut
    /// down.
    bool try_put(T item) {
        if (m_shut_down || full()) return false;
        add(std::move(item));
        return true;
    }

    /// A consumer finished an item it got; join() returns when every item put was done.
    /// InvalidStateError (CPython: ValueError) when called more often than items were put.
    void task_done() {
        if (m_unfinished == 0) detail::fail<InvalidStateError>("task_done() called too many times");
        if (--m_unfinished == 0) m_all_done.set();
    }

    /// Suspends until every item put has been marked task_done() (see Event::wait()).
    Event::WaitOperation join() noexcept { return m_all_done.wait(); }

    /// From now on put()/put_nowait() fail with QueueShutDown, and get()/get_nowait() too once
    /// the queue is empty. `immediate` empties the queue at once, counting each item removed as
    /// task_done() (so join() may return). Every waiting getter and putter is woken, to fail.
    void shutdown(bool immediate = false) noexcept {
        m_shut_down = true;
        if (immediate) drop_items();
        wake_all(m_getters);
        wake_all(m_putters);
    }

private:
    /// One wait of get() or put() for the queue to change: CPython's getter or putter future.
    /// Suspends: always, at the back of the queue's getters or putters. Resumed by: wake(), from
    /// put/get/shutdown. Returns: nothing (the waiting loop looks at the queue again).
    /// Cancellation: leaves the list; cancelled after wake(), it wakes the next waiter if what
    /// woke it is still there. Lifetime: in the waiting loop's frame; the queue outlives it.
    class Waiter final : public detail::ListWait {
    public:
        Waiter(Queue& queue, detail::WaitList& list) noexcept : m_queue(queue), m_list(list) {}
        bool await_ready() const noexcept { return false; }
        bool await_suspend(std::coroutine_handle<> handle) noexcept { return suspend_on(m_list, handle); }
#if ASYNCIO_EXCEPTIONS
        void await_resume() {
            if (m_woken && cancel_pending()) m_queue.pass_wake_on(m_list);
            end_wait();
        }
#else
        void await_resume() noexcept {
            m_woken = false;
            end_wait();
        }
        /// Unwound after it was woken, before it ran: the next waiter gets the wake-up.
        ~Waiter() {
            if (m_woken) m_queue.pass_wake_on(m_list);
        }
#endif
        /// Called by the queue, which has unlinked it already.
        void wake() noexcept {
            m_woken = true;
            notify();
        }

    private:
        Queue& m_queue;
        detail::WaitList& m_list;  ///< the queue's getters or putters
        bool m_woken = false;
    };

    void add(T item) {
        m_items.push(std::move(item));
        ++m_unfinished;
        m_all_done.clear();
        wake_first(m_getters);
    }

    T take() {
        T item = m_items.pop();
        wake_first(m_putters);
        return item;
    }

    /// shutdown(immediate): each item dropped counts as done.
    void drop_items() noexcept {
        const std::size_t dropped = m_items.size();
        m_items.clear();
        m_unfinished -= dropped < m_unfinished ? dropped : m_unfinished;
        if (m_unfinished == 0) m_all_done.set();
    }

    static void wake_first(detail::WaitList& waiters) noexcept {
        if (!waiters.empty()) static_cast<Waiter&>(waiters.pop_front()).wake();
    }
    static void wake_all(detail::WaitList& waiters) noexcept {
        while (!waiters.empty()) wake_first(waiters);
    }

    /// A woken waiter was cancelled before it could act: if what woke it is still there (an
    /// item for a getter, a free slot for a putter), the next waiter gets its chance.
    void pass_wake_on(detail::WaitList& waiters) noexcept {
        const bool still_there = &waiters == &m_getters ? !empty() : !full();
        if (still_there) wake_first(waiters);
    }

    // The waiting loops of get() and put(), as CPython 3.13 writes them.
    Task<T> get_after_waiting() {
        while (empty()) {
            if (m_shut_down) co_await shut_down_error();
            co_await Waiter(*this, m_getters);
        }
        co_return get_nowait();
    }

    Task<> put_after_waiting(T item) {
        for (;;) {
            if (m_shut_down) co_await shut_down_error();
            if (!full()) break;
            co_await Waiter(*this, m_putters);
        }
        put_nowait(std::move(item));
    }

#if ASYNCIO_EXCEPTIONS
    /// Throws QueueShutDown where a waiting loop is co_awaiting it.
    struct ShutDownError {
        bool await_ready() const noexcept { return true; }
        void await_suspend(std::coroutine_handle<>) const noexcept {}
        [[noreturn]] void await_resume() const { throw QueueShutDown(); }
    };
    static ShutDownError shut_down_error() noexcept { return {}; }
#else
    /// Without exceptions, QueueShutDown cancels the task instead: awaiting this suspends it, to
    /// be unwound at its next step; it never resumes.
    static detail::SleepAwaiter shut_down_error() noexcept {
        current_task().cancel();
        return sleep(Duration::zero());
    }
#endif

    std::size_t m_maxsize;
    Storage m_items;
    detail::WaitList m_getters;
    detail::WaitList m_putters;
    std::size_t m_unfinished = 0;
    Event m_all_done;
    bool m_shut_down = false;
};

/// Gets the most recently put item first (asyncio.LifoQueue).
template <class T>
using LifoQueue = Queue<T, detail::LifoStorage<T>>;

/// Gets the smallest item first, by `Compare` (asyncio.PriorityQueue, heapq's order); entries are
/// typically std::pair<priority, data>.
template <class T, class Compare = std::less<T>>
using PriorityQueue = Queue<T, detail::HeapStorage<T, Compare>>;

template <class T, class Storage>
class Queue<T, Storage>::GetOperation final {
public:
    explicit GetOperation(Queue& queue) noexcept : m_queue(queue) {}
    bool await_ready() const noexcept { return !m_queue.empty(); }
    void await_suspend(std::coroutine_handle<> handle) { m_waiting.start(m_queue.get_after_waiting(), handle); }
    T await_resume() { return m_waiting.started() ? m_waiting.result() : m_queue.get_nowait(); }

private:
    Queue& m_queue;
    detail::SlowPath<T> m_waiting;
};

template <class T, class Storage>
class Queue<T, Storage>::PutOperation final {
public:
    PutOperation(Queue& queue, T item) noexcept(std::is_nothrow_move_constructible_v<T>)
        : m_queue(queue), m_item(std::move(item)) {}
    bool await_ready() const noexcept { return !m_queue.full() && !m_queue.m_shut_down; }
    void await_suspend(std::coroutine_handle<> handle) {
        m_waiting.start(m_queue.put_after_waiting(std::move(m_item)), handle);
    }
    void await_resume() {
        if (m_waiting.started()) return m_waiting.result();
        m_queue.put_nowait(std::move(m_item));
    }

private:
    Queue& m_queue;
    T m_item;
    detail::SlowPath<void> m_waiting;
};

}  // namespace asyncio
