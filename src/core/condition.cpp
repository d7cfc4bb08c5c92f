#include <asyncio/core/condition.hpp>
#include <asyncio/core/errors.hpp>
#include <asyncio/core/fatal_error.hpp>

#include <exception>

namespace asyncio {

/// Waits for notify(), which unlinks the waiter before waking it.
class Condition::NotifyWait final : public detail::ListWait {
public:
    explicit NotifyWait(Condition& condition) noexcept : m_condition(condition) {}
    bool await_ready() const noexcept { return false; }
    bool await_suspend(std::coroutine_handle<> handle) noexcept { return suspend_on(m_condition.m_waiters, handle); }
    void await_resume() const { end_wait(); }

private:
    Condition& m_condition;
};

#if ASYNCIO_EXCEPTIONS
Task<bool> Condition::wait() {
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
            failure = std::current_exception();  // the latest one is rethrown, as in CPython
        }
    }
    if (failure) {
        // Cancelled, perhaps just after notify() chose this waiter: another one gets a
        // notification instead, lest it be lost (CPython 3.13 does the same).
        wake_waiters(1);
        std::rethrow_exception(failure);
    }
    co_return true;
}
#else
namespace {
/// Unwound inside Condition::wait(), perhaps just after notify() chose this waiter: another
/// waiter gets a notification instead, lest it be lost (CPython 3.13 does the same).
struct PassNotificationOnIfUnwound {
    Condition& condition;
    void (*wake_one)(Condition&) noexcept;
    bool finished = false;
    ~PassNotificationOnIfUnwound() {
        if (!finished) wake_one(condition);
    }
};
}  // namespace

Task<bool> Condition::wait() {
    if (!m_lock->locked()) fatal_error("Condition::wait() without holding the lock");
    m_lock->release();
    // Cancelled at either await, the task is unwound: the caller's LockGuard then sees that the
    // lock is not its task's and leaves it alone (lock.hpp).
    PassNotificationOnIfUnwound pass_on{*this, [](Condition& condition) noexcept { condition.wake_waiters(1); }};
    co_await NotifyWait(*this);
    co_await m_lock->acquire();
    pass_on.finished = true;
    co_return true;
}
#endif

void Condition::notify(std::size_t n) {
    if (!m_lock->locked()) detail::fail<InvalidStateError>("Condition::notify() without holding the lock");
    wake_waiters(n);
}

void Condition::wake_waiters(std::size_t n) noexcept {
    for (; n > 0 && !m_waiters.empty(); --n) m_waiters.pop_front().notify();
}

}  // namespace asyncio
