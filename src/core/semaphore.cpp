#include <asyncio/core/errors.hpp>
#include <asyncio/core/fatal_error.hpp>
#include <asyncio/core/semaphore.hpp>

namespace asyncio {

bool Semaphore::try_acquire() noexcept {
    // Free slots and waiters never coexist (release hands slots over), so this is fair.
    if (m_value == 0) return false;
    --m_value;
    return true;
}

void Semaphore::release() {
    if (m_waiters.empty()) {
        check_release();
        ++m_value;
        return;
    }
    auto& next = static_cast<AcquireOperation&>(m_waiters.pop_front());
    next.m_granted = true;
    next.notify();
}

void BoundedSemaphore::check_release() const {
    if (value() >= m_initial) detail::fail<InvalidStateError>("BoundedSemaphore released too many times");
}

}  // namespace asyncio
