#include <asyncio/core/fatal_error.hpp>
#include <asyncio/core/timeout.hpp>

namespace asyncio {

Timeout::Timeout(std::optional<TimePoint> when) {
    EventLoop* loop = running_loop();
    m_task = loop != nullptr ? loop->current_task() : nullptr;
    if (m_task == nullptr) detail::fail<InvalidStateError>("timeout() must be used inside a task");
    m_cancelling_at_start = m_task->cancelling();
    reschedule(when);
}

Timeout::~Timeout() {
    // Expired, but the cancellation was not turned into a TimeoutError (the work finished before
    // it reached a co_await, or the CancelledError went past): take the request back, so that it
    // cannot hit an unrelated await after the scope.
    if (m_state == State::expiring) withdraw_cancel();
}

void Timeout::reschedule(std::optional<TimePoint> when) {
    if (m_state != State::entered) detail::fail<InvalidStateError>("reschedule() of a Timeout that has expired");
    m_when = when;
    disarm();
    // A deadline already past fires on the next pass (CPython: call_soon), not here.
    if (when) running_loop()->add_timer(*this, *when);
}

void Timeout::fire() {
    m_state = State::expiring;
    m_task->cancel();
}

bool Timeout::withdraw_cancel() noexcept {
    m_state = State::expired;
    return m_task->uncancel() <= m_cancelling_at_start;
}

#if ASYNCIO_EXCEPTIONS
namespace detail {
std::optional<TimePoint> deadline_in(std::optional<Duration> delay) {
    if (!delay) return std::nullopt;
    EventLoop* loop = running_loop();
    return deadline_after(loop != nullptr ? loop->time() : TimePoint{}, *delay);
}

Task<> expire_for_wait_for(TaskState& task) {
    get_event_loop().start(task);  // not a started task: it never gets to run
    if (!task.done()) {
        task.cancel();
        DoneWait finished(task, std::nullopt, false);  // cancelled: stop waiting at once
        co_await finished;
    }
    if (task.cancelled()) throw TimeoutError();
}
}  // namespace detail

void Timeout::rethrow_as_timeout() {
    if (m_state == State::expiring && withdraw_cancel()) throw TimeoutError();
    throw;
}
#endif

}  // namespace asyncio
