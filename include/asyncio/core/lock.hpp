#pragma once
// Lock and LockGuard: mutual exclusion between tasks, asyncio.Lock.

#include <asyncio/core/config.hpp>
#include <asyncio/core/detail/queued_acquire.hpp>

#include <utility>

namespace asyncio {

class LockGuard;

/// Lock: mutual exclusion between tasks, asyncio.Lock, with CPython 3.13's fairness: release()
/// frees the lock and wakes the task that has waited longest; that task stays first in the queue
/// until it runs and takes the lock, so no newcomer can barge in ahead of it.
///
/// \code
/// asyncio::Lock lock;
/// {
///     auto guard = co_await lock.scoped_acquire();   // `async with lock:`
///     ...                                            // released when guard goes out of scope
/// }
/// co_await lock.acquire(); ...; lock.release();      // the explicit form
/// \endcode
class Lock {
public:
    Lock() = default;
    Lock(const Lock&) = delete;
    Lock& operator=(const Lock&) = delete;

    using AcquireOperation = detail::QueuedAcquire<Lock>;
    class [[nodiscard]] ScopedAcquireOperation;

    /// Suspends when: the lock is held, or other tasks wait for it (FIFO: a newcomer queues
    /// behind them even while the lock is free for a woken waiter that has not run yet).
    /// Resumed by: release(), which wakes the first waiter; it takes the lock when it runs.
    /// Returns: true (as CPython's; `co_await lock.acquire();` may ignore it), holding the lock.
    /// Cancellation: a waiter leaves the queue; one woken, then cancelled before it ran, wakes
    /// the next waiter instead. Either way co_await throws CancelledError, not holding the lock.
    /// Lifetime: the Lock must outlive its waiters.
    AcquireOperation acquire() noexcept;
    /// As acquire(), returning a LockGuard that releases on destruction.
    ScopedAcquireOperation scoped_acquire() noexcept;
    /// Takes the lock if acquire() would not suspend (free, and nobody queued); never suspends.
    bool try_acquire() noexcept;
    /// Frees the lock and wakes the first waiter, if any. InvalidStateError if not locked.
    void release();
    /// True while a task holds it. False between release() and the woken waiter's run, as in
    /// CPython, although acquire() would still queue then.
    [[nodiscard]] bool locked() const noexcept { return m_locked; }

private:
    friend class LockGuard;
    friend AcquireOperation;
    /// A woken waiter runs: the lock becomes its.
    void take() noexcept;
    /// A waiter leaves the queue: takes the lock, or (cancelled) hands the wake-up on if the lock
    /// is free.
    void leave_queue(AcquireOperation& waiter, bool cancelled) noexcept;
    /// Wakes the first waiter unless it is woken already (it is then about to take the lock).
    void wake_first() noexcept;

    bool m_locked = false;
    /// FIFO. Only the first can be woken-and-not-yet-run; it leaves when it runs.
    detail::WaitList m_waiters;
#if !ASYNCIO_EXCEPTIONS
    /// The task that took it (nullptr: none, or taken outside a task). Without exceptions a
    /// task can be unwound inside Condition::wait(), where it does not hold the lock: its
    /// LockGuard must then leave the lock alone.
    detail::TaskState* m_owner = nullptr;
#endif
};

/// Owns a held Lock and releases it when destroyed (or at release()).
class [[nodiscard]] LockGuard {
public:
    /// Adopts `lock`, which the caller holds.
    explicit LockGuard(Lock& lock) noexcept : m_lock(&lock) {}
    /// Takes over `other`'s lock; `other` releases nothing.
    LockGuard(LockGuard&& other) noexcept : m_lock(std::exchange(other.m_lock, nullptr)) {}
    LockGuard& operator=(LockGuard&&) = delete;
    ~LockGuard() { release(); }
    /// Releases the lock now rather than at destruction (once; later calls do nothing).
    void release() {
        if (m_lock == nullptr) return;
        Lock* lock = std::exchange(m_lock, nullptr);
#if !ASYNCIO_EXCEPTIONS
        // Unwound inside Condition::wait(): the lock was released there and is not this task's.
        if (!lock->m_locked || lock->m_owner != detail::current_task_state()) return;
#endif
        lock->release();
    }

private:
    Lock* m_lock;
};

class Lock::ScopedAcquireOperation final : public Lock::AcquireOperation {
public:
    using AcquireOperation::AcquireOperation;
    LockGuard await_resume() {
        (void)AcquireOperation::await_resume();
        return LockGuard(m_owner);
    }
};

inline Lock::AcquireOperation Lock::acquire() noexcept { return AcquireOperation(*this); }
inline Lock::ScopedAcquireOperation Lock::scoped_acquire() noexcept { return ScopedAcquireOperation(*this); }

}  // namespace asyncio
