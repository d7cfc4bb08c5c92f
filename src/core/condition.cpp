#include <asyncio/core/condition.hpp>
#include <asyncio/core/errors.hpp>
#include <asyncio/core/fatal_error.hpp>

#include <exception>

namespace asyncio {

class Condition::NotifyWait final : public detail::ListWait {
public:
    explicit NotifyWait(Condition& condition) noexcept : m_condition(condition) {}
    bool await_ready() const noexcept { return false; }
    bool await_suspend(std::coroutine_handle<> handle) noexcept { return suspend_on(m_condition.m_waiters, handle); }
#if ASYNCIO_EXCEPTIONS
    void await_resume() const {
        // Notified, then cancelled before it could run: the notification goes to the next
        // waiter instead of being lost with this one (CPython 3.13 does the same).
        if (m_notified && cancel_pending()) m_condition.wake_waiters(1);
        end_wait();
    }
#else
    void await_resume() noexcept {
        m_notified = false;  // received
        end_wait();
    }
    /// Unwound after notify() chose it, before it ran: the notification goes to the next waiter.
    ~NotifyWait() {
        if (m_notified) m_condition.wake_waiters(1);
    }
#endif
    bool m_notified = false;  ///< set by notify(), which unlinked this waiter

private:
    Condition& m_condition;
};

#if ASYNCIO_EXCEPTIONS
Task<> Condition::wait() {
    if (!m_lock->locked()) throw InvalidStateError("Condition::wait() without holding the lock");
    m_lock->release();
    std::exception_ptr failure;
    try {
        co_await NotifyWait(*this);
    } catch (...) {
        failure = std::current_exception();
    }
    // Re-acquire whatever happened: the caller holds the lock when wait() returns or throws.
    for (;;) {
        try {
            co_await m_lock->acquire();
            break;
        } catch (const CancelledError&) {
            failure = std::current_exception();
        }
    }
    if (failure) std::rethrow_exception(failure);
}
#else
Task<> Condition::wait() {
    if (!m_lock->locked()) fatal_error("Condition::wait() without holding the lock");
    m_lock->release();
    // Cancelled at either await, the task is unwound: the caller's LockGuard then sees that the
    // lock is not its task's and leaves it alone (lock.hpp).
    co_await NotifyWait(*this);
    co_await m_lock->acquire();
}
#endif

void Condition::notify(std::size_t n) {
    if (!m_lock->locked()) detail::fail<InvalidStateError>("Condition::notify() without holding the lock");
    wake_waiters(n);
}

void Condition::wake_waiters(std::size_t n) noexcept {
    for (; n > 0 && !m_waiters.empty(); --n) {
        auto& waiter = static_cast<NotifyWait&>(m_waiters.pop_front());
        waiter.m_notified = true;
        waiter.notify();
    }
}

}  // namespace asyncio
