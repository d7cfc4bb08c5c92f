#pragma once
// Condition: wait for a notification while holding a Lock, asyncio.Condition.

#include <asyncio/core/detail/wait_list.hpp>
#include <asyncio/core/lock.hpp>
#include <asyncio/core/task.hpp>

#include <cstddef>
#include <functional>
#include <limits>
#include <type_traits>

namespace asyncio {

class Barrier;

/// Condition: wait for a notification while holding a Lock, asyncio.Condition.
///
/// \code
/// asyncio::Condition cond;
/// auto guard = co_await cond.scoped_acquire();
/// co_await cond.wait_for([&] { return !items.empty(); });
/// ...                                            // in another task, holding the lock:
/// cond.notify();
/// \endcode
class Condition {
public:
    /// A condition with a lock of its own.
    Condition() noexcept : m_lock(&m_own_lock) {}
    /// A condition sharing `lock` (which must outlive it).
    explicit Condition(Lock& lock) noexcept : m_lock(&lock) {}
    Condition(const Condition&) = delete;
    Condition& operator=(const Condition&) = delete;

    /// Lock::acquire() of the condition's lock: suspends, resumes and returns as that does.
    Lock::AcquireOperation acquire() noexcept { return m_lock->acquire(); }
    /// Lock::scoped_acquire() of the condition's lock (`async with cond:`).
    Lock::ScopedAcquireOperation scoped_acquire() noexcept { return m_lock->scoped_acquire(); }
    /// Lock::release() of the condition's lock.
    void release() { m_lock->release(); }
    /// Whether the condition's lock is held.
    [[nodiscard]] bool locked() const noexcept { return m_lock->locked(); }

    /// Must be called holding the lock (InvalidStateError otherwise).
    /// Suspends: always. It releases the lock, waits until notify()/notify_all() wakes it
    /// (FIFO), then re-acquires the lock, waiting again if it is held (resumed by its release()).
    /// Returns: true (as CPython's), holding the lock again.
    /// Cancellation: the lock is re-acquired all the same, then CancelledError is thrown, so the
    /// caller's guard stays right; and one other waiter is notified, as CPython 3.13 does, since
    /// this one may have been notified just before: a notification is never lost, at worst a
    /// waiter wakes spuriously (wait_for() rechecks its predicate). Without exceptions the
    /// cancelled task is unwound without the lock (its LockGuard leaves the lock alone); the
    /// other waiter is notified all the same.
    /// Lifetime: the Condition (and its lock) must outlive the wait.
    [[nodiscard]] Task<bool> wait();

    /// Waits until `predicate()` is true, checking it first and after each wake-up, and yields
    /// its final result (as CPython's wait_for). Called without the lock, it fails as wait() does
    /// only if it has to wait. Suspends, resumes and cancels as wait() does.
    template <class Predicate>
    [[nodiscard]] Task<std::decay_t<std::invoke_result_t<Predicate&>>> wait_for(Predicate predicate) {
        auto result = predicate();
        while (!result) {
            co_await wait();
            result = predicate();
        }
        co_return result;
    }

    /// Wakes up to `n` waiting tasks (oldest first); call it holding the lock (InvalidStateError
    /// otherwise). A woken task returns from wait() once it has the lock again.
    void notify(std::size_t n = 1);
    /// Wakes every waiting task; call it holding the lock.
    void notify_all() { notify(std::numeric_limits<std::size_t>::max()); }

private:
    friend class Barrier;  // notifies while unwinding, without the lock (barrier.cpp)
    class NotifyWait;
    void wake_waiters(std::size_t n) noexcept;
    Lock m_own_lock;
    Lock* m_lock;
    detail::WaitList m_waiters;
};

}  // namespace asyncio
