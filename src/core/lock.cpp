#include <asyncio/core/errors.hpp>
#include <asyncio/core/fatal_error.hpp>
#include <asyncio/core/lock.hpp>

namespace asyncio {

bool Lock::try_acquire() noexcept {
    // Waiters imply the lock is held or handed over, so a free lock has no queue to jump.
    if (m_locked) return false;
    m_locked = true;
#if !ASYNCIO_EXCEPTIONS
    m_owner = detail::current_task_state();
#endif
    return true;
}

void Lock::release() {
    if (!m_locked) detail::fail<InvalidStateError>("Lock is not acquired");
#if !ASYNCIO_EXCEPTIONS
    m_owner = nullptr;
#endif
    if (m_waiters.empty()) {
        m_locked = false;
        return;
    }
    auto& next = static_cast<AcquireOperation&>(m_waiters.pop_front());
    next.m_granted = true;  // stays locked: ownership passes to `next`
    next.notify();
}

}  // namespace asyncio
