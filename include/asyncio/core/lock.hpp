#pragma once
// Lock: mutual exclusion between tasks, asyncio.Lock. FIFO-fair: release() hands the lock to the
// task that has waited longest, so no task can barge in and starve it.
//
//   asyncio::Lock lock;
//   {
//       auto guard = co_await lock.scoped_acquire();   // `async with lock:`
//       ...                                            // released when guard goes out of scope
//   }
//   co_await lock.acquire(); ...; lock.release();      // the explicit form

#include <asyncio/core/config.hpp>
#include <asyncio/core/detail/wait_list.hpp>

#include <utility>

namespace asyncio {

class LockGuard;

class Lock {
public:
    Lock() = default;
    Lock(const Lock&) = delete;
    Lock& operator=(const Lock&) = delete;

    class [[nodiscard]] AcquireOperation;
    class [[nodiscard]] ScopedAcquireOperation;

    /// Suspends when: the lock is held (or others already wait for it). Resumed by: release()
    /// of the holder, which hands the lock over, FIFO. Returns: void, holding the lock.
    /// Cancellation: a waiter leaves the queue; one cancelled after being handed the lock passes
    /// it on to the next waiter. Either way co_await throws CancelledError, not holding it.
    AcquireOperation acquire() noexcept;
    /// As acquire(), returning a LockGuard that releases on destruction.
    ScopedAcquireOperation scoped_acquire() noexcept;
    /// Takes the lock if it is free; never suspends.
    bool try_acquire() noexcept;
    /// Releases the lock, handing it to the first waiter. InvalidStateError if not locked.
    void release();
    [[nodiscard]] bool locked() const noexcept { return m_locked; }

private:
    friend class LockGuard;
    bool m_locked = false;  ///< held by a task, or handed to a woken waiter not yet running
    detail::WaitList m_waiters;
#if !ASYNCIO_EXCEPTIONS
    /// The task that took it (nullptr: none, or taken outside a task). Without exceptions a
    /// task can be unwound inside Condition::wait(), where it does not hold the lock: its
    /// LockGuard must then leave the lock alone.
    detail::TaskState* m_owner = nullptr;
#endif
};

class Lock::AcquireOperation : detail::ListWait {
public:
    explicit AcquireOperation(Lock& lock) noexcept : m_lock(lock) {}
    bool await_ready() noexcept { return m_lock.try_acquire(); }
    bool await_suspend(std::coroutine_handle<> handle) noexcept { return suspend_on(m_lock.m_waiters, handle); }
#if ASYNCIO_EXCEPTIONS
    void await_resume() {
        if (cancel_pending() && m_granted) m_lock.release();
        end_wait();
    }
#else
    void await_resume() noexcept {
        m_granted = false;  // taken
        m_lock.m_owner = detail::current_task_state();
        end_wait();
    }
    /// Unwound after release() handed it the lock, before it ran: the lock goes to the next.
    ~AcquireOperation() {
        if (m_granted) m_lock.release();
    }
#endif

protected:
    Lock& m_lock;

private:
    friend class Lock;
    bool m_granted = false;  ///< release() handed the lock to this waiter
};

/// Owns a held Lock and releases it when destroyed (or at release()).
class [[nodiscard]] LockGuard {
public:
    explicit LockGuard(Lock& lock) noexcept : m_lock(&lock) {}
    LockGuard(LockGuard&& other) noexcept : m_lock(std::exchange(other.m_lock, nullptr)) {}
    LockGuard& operator=(LockGuard&&) = delete;
    ~LockGuard() { release(); }
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
        AcquireOperation::await_resume();
        return LockGuard(m_lock);
    }
};

inline Lock::AcquireOperation Lock::acquire() noexcept { return AcquireOperation(*this); }
inline Lock::ScopedAcquireOperation Lock::scoped_acquire() noexcept { return ScopedAcquireOperation(*this); }

}  // namespace asyncio
