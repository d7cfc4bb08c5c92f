#include <asyncio/core/condition.hpp>
#include <asyncio/core/errors.hpp>

#include <exception>

namespace asyncio {

class Condition::NotifyWait final : public detail::ListWait {
public:
    explicit NotifyWait(Condition& condition) noexcept : m_condition(condition) {}
    bool await_ready() const noexcept { return false; }
    bool await_suspend(std::coroutine_handle<> handle) noexcept { return suspend_on(m_condition.m_waiters, handle); }
    void await_resume() const {
        // Notified, then cancelled before it could run: the notification goes to the next
        // waiter instead of being lost with this one (CPython 3.13 does the same).
        if (m_notified && cancel_pending()) m_condition.wake_waiters(1);
        end_wait();
    }
    bool m_notified = false;  ///< set by notify(), which unlinked this waiter

private:
    Condition& m_condition;
};

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

void Condition::notify(std::size_t n) {
    if (!m_lock->locked()) throw InvalidStateError("Condition::notify() without holding the lock");
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
