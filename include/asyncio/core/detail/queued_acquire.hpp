#pragma once
// The awaiter Lock::acquire() and Semaphore::acquire() share: both hand a freed lock or slot to
// the task that has waited longest (CPython 3.13's fairness), and differ only in what "take" and
// "give back" mean, which the owner says in leave_queue().

#include <asyncio/core/detail/wait_list.hpp>

#include <coroutine>

namespace asyncio::detail {

/// Takes a free lock or slot at once, or queues on `Owner`'s FIFO until the owner's release()
/// wakes it (setting `woken`); resuming, it leaves the queue through
/// `Owner::leave_queue(*this, cancelled)`, which takes what was handed to it or, cancelled, hands
/// it on. `Owner` provides try_acquire(), m_waiters and leave_queue(), and befriends this class.
///
/// Suspends when: Owner::try_acquire() fails. Resumed by: the owner's release(). Returns: true
/// (as CPython's acquire()). Cancellation: leaves the queue; co_await throws CancelledError.
/// Lifetime: the owner must outlive its waiters.
template <class Owner>
class [[nodiscard]] QueuedAcquire : public ListWait {
public:
    explicit QueuedAcquire(Owner& owner) noexcept : m_owner(owner) {}
    QueuedAcquire(QueuedAcquire&&) noexcept = default;  // before it is awaited only
    /// Unwound (no exceptions) or destroyed at shutdown after release() woke it, before it ran:
    /// what was handed to it goes to the next waiter.
    ~QueuedAcquire() {
        if (linked()) m_owner.leave_queue(*this, /*cancelled=*/true);
    }

    bool await_ready() noexcept {
        m_taken_at_once = m_owner.try_acquire();
        return m_taken_at_once;
    }
    bool await_suspend(std::coroutine_handle<> handle) noexcept { return suspend_on(m_owner.m_waiters, handle); }
    bool await_resume() {
        if (m_taken_at_once) return true;
        m_owner.leave_queue(*this, cancel_pending());
        end_wait();  // throws CancelledError if cancelled
        return true;
    }

    bool woken = false;  ///< release() woke it (and handed it the lock or a slot)

protected:
    Owner& m_owner;

private:
    bool m_taken_at_once = false;  ///< await_ready took it
};

}  // namespace asyncio::detail
