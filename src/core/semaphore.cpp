#include <asyncio/core/errors.hpp>
#include <asyncio/core/fatal_error.hpp>
#include <asyncio/core/semaphore.hpp>

#include <stdexcept>

namespace asyncio {

namespace {
std::size_t checked_initial_value(std::ptrdiff_t value) {
    if (value < 0) detail::fail<std::invalid_argument>("Semaphore initial value must be >= 0");
    return static_cast<std::size_t>(value);
}
}  // namespace

Semaphore::Semaphore(std::ptrdiff_t value) : m_value(checked_initial_value(value)) {}

bool Semaphore::try_acquire() noexcept {
    if (locked()) return false;
    --m_value;
    return true;
}

void Semaphore::release() {
    check_release();
    ++m_value;
    wake_next();
}

bool Semaphore::wake_next() noexcept {
    if (m_waiters.empty()) return false;
    auto& next = static_cast<AcquireOperation&>(m_waiters.pop_front());
    --m_value;  // reserved for it
    next.woken = true;
    m_woken.push_back(next);  // still queued until it runs
    next.notify();
    return true;
}

void Semaphore::wake_while_free() noexcept {
    while (m_value > 0 && wake_next()) {
    }
}

void Semaphore::leave_queue(AcquireOperation& waiter, bool cancelled) noexcept {
    waiter.unlink();  // from either list
    if (cancelled && waiter.woken) ++m_value;  // the slot reserved for it goes back
    // Tasks that queued behind this one while slots were free (FIFO) may go now.
    wake_while_free();
}

void BoundedSemaphore::check_release() const {
    if (value() >= m_initial) detail::fail<InvalidStateError>("BoundedSemaphore released too many times");
}

}  // namespace asyncio
