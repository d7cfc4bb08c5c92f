#include <asyncio/core/errors.hpp>
#include <asyncio/core/fatal_error.hpp>
#include <asyncio/core/lock.hpp>

namespace asyncio {

bool Lock::try_acquire() noexcept {
    // FIFO: while anybody waits (even a woken waiter about to take it), a newcomer queues.
    if (m_locked || !m_waiters.empty()) return false;
    take();
    return true;
}

void Lock::release() {
    if (!m_locked) detail::fail<InvalidStateError>("Lock is not acquired");
    m_locked = false;
#if !ASYNCIO_EXCEPTIONS
    m_owner = nullptr;
#endif
    wake_first();
}

void Lock::take() noexcept {
    m_locked = true;
#if !ASYNCIO_EXCEPTIONS
    m_owner = detail::current_task_state();
#endif
}

void Lock::wake_first() noexcept {
    if (m_waiters.empty()) return;
    auto& first = static_cast<AcquireOperation&>(m_waiters.front());
    if (first.woken) return;  // already on its way to take the lock
    first.woken = true;
    first.notify();  // stays in the queue, first, until it runs
}

void Lock::leave_queue(AcquireOperation& waiter, bool cancelled) noexcept {
    waiter.unlink();
    if (!cancelled) {
        take();  // it was woken first in the queue with the lock free: nobody took it since
        return;
    }
    // Should this waiter have been woken, the lock is free with others still queued: wake the
    // next one (a no-op when the lock is held, or the first waiter is woken already).
    if (!m_locked) wake_first();
}

}  // namespace asyncio
