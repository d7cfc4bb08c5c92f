#pragma once
// Queue<T>: a FIFO queue between tasks, asyncio.Queue. With maxsize > 0, put() waits while the
// queue is full: back-pressure between a fast producer and a slow consumer.
//
//   asyncio::Queue<int> queue(10);
//   co_await queue.put(1);             // producer
//   int item = co_await queue.get();   // consumer
//   queue.task_done();                 // ...and queue.join() waits for all items to be done

#include <asyncio/core/config.hpp>
#include <asyncio/core/detail/wait_list.hpp>
#include <asyncio/core/errors.hpp>
#include <asyncio/core/event.hpp>
#include <asyncio/core/fatal_error.hpp>

#include <cstddef>
#include <deque>
#include <optional>
#include <utility>

namespace asyncio {

template <class T>
class Queue {
public:
    /// maxsize 0 (the default) means unbounded.
    explicit Queue(std::size_t maxsize = 0) : m_maxsize(maxsize) { m_all_done.set(); }
    Queue(const Queue&) = delete;
    Queue& operator=(const Queue&) = delete;

    /// Items in the queue, counting those already promised to a woken getter that has not run
    /// yet (as CPython counts them, until the getter takes them).
    [[nodiscard]] std::size_t qsize() const noexcept { return m_items.size(); }
    [[nodiscard]] std::size_t maxsize() const noexcept { return m_maxsize; }
    /// True when get_nowait() would throw QueueEmpty: every item in the queue, if any, is
    /// promised to a woken getter (so no task can barge in and take it first).
    [[nodiscard]] bool empty() const noexcept { return m_items.size() <= m_promised; }
    [[nodiscard]] bool full() const noexcept { return m_maxsize > 0 && m_items.size() >= m_maxsize; }

    class [[nodiscard]] GetOperation;
    class [[nodiscard]] PutOperation;

    /// Suspends when: no item is free. Resumed by: put(), which wakes the longest-waiting getter
    /// (FIFO) and promises it an item; the getter takes the front item when it runs, so items
    /// leave in the order they came. Returns: the item.
    /// Cancellation: a waiter leaves the queue; one cancelled after being woken takes nothing,
    /// and its item goes to the next getter. co_await throws CancelledError.
    GetOperation get() noexcept { return GetOperation(*this); }

    /// Suspends when: the queue is full. Resumed by: a get() that frees a slot, which takes this
    /// item into the queue at once, FIFO. Cancellation: a waiter leaves the queue and its item is
    /// not put; once the item was taken the put has happened, and the cancellation is delivered
    /// at the next co_await.
    PutOperation put(T item) noexcept(std::is_nothrow_move_constructible_v<T>) {
        return PutOperation(*this, std::move(item));
    }

    /// Takes an item without waiting; QueueEmpty if there is none (see empty()). Without
    /// exceptions that is a fatal_error(): use try_get().
    T get_nowait() {
        if (empty()) detail::fail<QueueEmpty>("queue is empty");
        return take_front();
    }

    /// Adds an item without waiting; QueueFull if the queue is full. Without exceptions that is
    /// a fatal_error(): use try_put().
    void put_nowait(T item) {
        if (full()) detail::fail<QueueFull>("queue is full");
        add(std::move(item));
    }

    /// Takes an item without waiting, or std::nullopt if there is none.
    std::optional<T> try_get() {
        if (empty()) return std::nullopt;
        return take_front();
    }

    /// Adds an item without waiting; false (the item is dropped) if the queue is full.
    bool try_put(T item) {
        if (full()) return false;
        add(std::move(item));
        return true;
    }

    /// A consumer finished an item it got; join() returns when every item put was done.
    void task_done() {
        if (m_unfinished == 0) detail::fail<InvalidStateError>("task_done() called too many times");
        if (--m_unfinished == 0) m_all_done.set();
    }

    /// Suspends until every item put has been marked task_done().
    Event::WaitOperation join() noexcept { return m_all_done.wait(); }

private:
    class Getter : public detail::ListWait {
    public:
        using detail::ListWait::notify;
        bool woken = false;  ///< put() woke it and promised it an item
    };
    class Putter : public detail::ListWait {
    public:
        using detail::ListWait::notify;
        explicit Putter(T item) : pending(std::move(item)) {}
        std::optional<T> pending;  ///< emptied when a get() took it into the queue
    };

    void add(T item) {
        ++m_unfinished;
        m_all_done.clear();
        m_items.push_back(std::move(item));
        wake_getters();
    }

    /// Wakes one waiting getter per item not yet promised to a getter.
    void wake_getters() noexcept {
        while (m_items.size() > m_promised && !m_getters.empty()) {
            auto& getter = static_cast<Getter&>(m_getters.pop_front());
            getter.woken = true;
            ++m_promised;
            getter.notify();
        }
    }

    T take_front() {
        T item = std::move(m_items.front());
        m_items.pop_front();
        admit_putter();
        return item;
    }

    /// A woken getter runs: it takes the front item, or, cancelled, leaves it to the next getter.
    void promise_kept() noexcept { --m_promised; }

    /// A slot became free: the longest-waiting putter's item goes in.
    void admit_putter() {
        if (m_putters.empty() || full()) return;
        auto& putter = static_cast<Putter&>(m_putters.pop_front());
        add(std::move(*putter.pending));
        putter.pending.reset();
        putter.notify();
    }

    std::size_t m_maxsize;
    std::deque<T> m_items;
    std::size_t m_promised = 0;  ///< items promised to woken getters that have not run yet
    detail::WaitList m_getters;
    detail::WaitList m_putters;
    std::size_t m_unfinished = 0;
    Event m_all_done;
};

template <class T>
class Queue<T>::GetOperation final : Getter {
public:
    explicit GetOperation(Queue& queue) noexcept : m_queue(queue) {}
    bool await_ready() const noexcept { return !m_queue.empty(); }
    bool await_suspend(std::coroutine_handle<> handle) noexcept { return this->suspend_on(m_queue.m_getters, handle); }
#if ASYNCIO_EXCEPTIONS
    T await_resume() {
        if (this->woken) {
            m_queue.promise_kept();
            if (this->cancel_pending()) m_queue.wake_getters();  // its item goes to the next one
        }
        this->end_wait();
        return m_queue.take_front();
    }
#else
    T await_resume() {
        if (this->woken) {
            this->woken = false;
            m_queue.promise_kept();
        }
        this->end_wait();
        return m_queue.take_front();
    }
    /// Unwound after put() promised it an item, before it ran: the item goes to the next getter.
    ~GetOperation() {
        if (this->woken) {
            m_queue.promise_kept();
            m_queue.wake_getters();
        }
    }
#endif

private:
    Queue& m_queue;
};

template <class T>
class Queue<T>::PutOperation final : Putter {
public:
    PutOperation(Queue& queue, T item) : Putter(std::move(item)), m_queue(queue) {}
    bool await_ready() {
        if (m_queue.full()) return false;
        m_queue.add(std::move(*this->pending));
        this->pending.reset();
        return true;
    }
    bool await_suspend(std::coroutine_handle<> handle) noexcept { return this->suspend_on(m_queue.m_putters, handle); }
    void await_resume() {
        if (!this->pending) return;  // the item is in: the put happened
        this->end_wait();
    }

private:
    Queue& m_queue;
};

}  // namespace asyncio
