#pragma once
// Condition: wait for a notification while holding a Lock, asyncio.Condition.
//
//   asyncio::Condition cond;
//   auto guard = co_await cond.scoped_acquire();
//   co_await cond.wait_for([&] { return !items.empty(); });
//   ...                                            // in another task, holding the lock:
//   cond.notify();

#include <asyncio/core/detail/wait_list.hpp>
#include <asyncio/core/lock.hpp>
#include <asyncio/core/task.hpp>

#include <cstddef>
#include <limits>

namespace asyncio {

class Condition {
public:
    /// A condition with a lock of its own.
    Condition() noexcept : m_lock(&m_own_lock) {}
    /// A condition sharing `lock` (which must outlive it).
    explicit Condition(Lock& lock) noexcept : m_lock(&lock) {}
    Condition(const Condition&) = delete;
    Condition& operator=(const Condition&) = delete;

    Lock::AcquireOperation acquire() noexcept { return m_lock->acquire(); }
    Lock::ScopedAcquireOperation scoped_acquire() noexcept { return m_lock->scoped_acquire(); }
    void release() { m_lock->release(); }
    [[nodiscard]] bool locked() const noexcept { return m_lock->locked(); }

    /// Must be called holding the lock (InvalidStateError otherwise). Releases the lock,
    /// suspends until notify()/notify_all(), then re-acquires the lock before returning.
    /// Cancellation: the lock is re-acquired all the same, then CancelledError is thrown, so the
    /// caller's guard stays correct. A waiter notified, then cancelled before it ran, passes the
    /// notification on to the next waiter.
    [[nodiscard]] Task<> wait();

    /// Waits until `predicate()` is true, checking it first and after each notification.
    template <class Predicate>
    [[nodiscard]] Task<> wait_for(Predicate predicate) {
        while (!predicate()) co_await wait();
    }

    /// Wakes up to `n` waiting tasks (oldest first); call it holding the lock.
    void notify(std::size_t n = 1);
    void notify_all() { notify(std::numeric_limits<std::size_t>::max()); }

private:
    class NotifyWait;
    void wake_waiters(std::size_t n) noexcept;
    Lock m_own_lock;
    Lock* m_lock;
    detail::WaitList m_waiters;
};

}  // namespace asyncio
