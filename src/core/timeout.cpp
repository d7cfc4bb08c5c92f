#include <asyncio/core/fatal_error.hpp>
#include <asyncio/core/timeout.hpp>

namespace asyncio {

Timeout::Timeout(Duration delay) {
    EventLoop* loop = running_loop();
    m_task = loop != nullptr ? loop->current_task() : nullptr;
    if (m_task == nullptr) detail::fail<InvalidStateError>("timeout() must be used inside a task");
    loop->add_timer(*this, detail::deadline_after(loop->time(), delay));
}

Timeout::~Timeout() {
    // Expired, but the task finished its work before the cancellation reached a co_await:
    // withdraw it, so it does not hit an unrelated await after the scope.
    if (m_expired && m_task->cancel_requested()) m_task->uncancel();
}

void Timeout::reschedule(Duration delay) {
    m_expired = false;
    EventLoop& loop = *running_loop();
    loop.add_timer(*this, detail::deadline_after(loop.time(), delay));
}

void Timeout::fire() {
    m_expired = true;
    m_task->cancel();
}

#if ASYNCIO_EXCEPTIONS
void Timeout::rethrow_as_timeout() const {
    if (m_expired) throw TimeoutError();
    throw;
}
#endif

}  // namespace asyncio
