#pragma once
// Time limits: wait_for(awaitable, timeout), wait_for_ms, and the timeout() scope that both
// are built on (CPython 3.11's asyncio.timeout).
//
//   int value = co_await asyncio::wait_for(read_sensor(), 500ms);   // TimeoutError if late
//
//   auto scope = asyncio::timeout(2s);                               // a scope over several awaits
//   try { co_await step1(); co_await step2(); }
//   catch (const asyncio::CancelledError&) { scope.rethrow_as_timeout(); }
//   scope.reschedule(asyncio::get_event_loop().time() + 1s);         // move its deadline
//
// Without exceptions (config.hpp) wait_for() does not exist: use try_wait_for() (wait.hpp). A
// timeout() scope that expires there cancels, so unwinds, its whole task.

#include <asyncio/core/detail/as_task.hpp>
#include <asyncio/core/detail/done_wait.hpp>
#include <asyncio/core/detail/timer_heap.hpp>
#include <asyncio/core/errors.hpp>
#include <asyncio/core/task.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <type_traits>
#include <utility>

namespace asyncio {

/// While alive, cancels the current task when its deadline has passed: CPython 3.11's
/// asyncio.Timeout, with the scope's lifetime as the `async with` block. The task's pending
/// co_await then throws CancelledError; catch it and call rethrow_as_timeout(), which throws
/// TimeoutError when this scope's expiry caused it and nobody else cancelled the task meanwhile
/// (cancellation requests are counted: Task::cancelling()/uncancel()). Leaving the scope disarms
/// the timer and withdraws its cancellation if that was not delivered.
/// Lifetime: create and destroy it in the same task, as a local variable.
class Timeout final : detail::TimerNode {
public:
    /// Expires at the loop time `when`; std::nullopt: never (until reschedule()).
    explicit Timeout(std::optional<TimePoint> when);
    Timeout(const Timeout&) = delete;
    Timeout& operator=(const Timeout&) = delete;
    ~Timeout() override;

    /// The deadline in the loop's time (EventLoop::time()), or std::nullopt for none.
    [[nodiscard]] std::optional<TimePoint> when() const noexcept { return m_when; }
    /// Moves the deadline to the loop time `when` (std::nullopt: none); a deadline already past
    /// expires on the next pass of the loop. InvalidStateError once the scope has expired.
    void reschedule(std::optional<TimePoint> when);
    /// True once the deadline has passed and the scope cancelled its task.
    [[nodiscard]] bool expired() const noexcept { return m_state != State::entered; }
#if ASYNCIO_EXCEPTIONS
    /// In a `catch (const CancelledError&)`: throws TimeoutError if this scope's expiry caused
    /// the cancellation and no other cancellation is pending; otherwise rethrows the
    /// CancelledError (somebody else cancelled the task too).
    [[noreturn]] void rethrow_as_timeout();
#endif

private:
    /// entered: armed or waiting for a deadline; expiring: fired, its cancellation not yet
    /// consumed; expired: consumed (by rethrow_as_timeout or the end of the scope).
    enum class State : std::uint8_t { entered, expiring, expired };
    void fire() override;
    /// Takes back this scope's cancellation request; true if no other is pending.
    bool withdraw_cancel() noexcept;

    detail::TaskState* m_task;
    std::optional<TimePoint> m_when;
    unsigned m_cancelling_at_start;  ///< the task's cancelling() when the scope began
    State m_state = State::entered;
};

/// asyncio.timeout(delay): a scope that expires `delay` from now.
template <class Rep, class Period>
[[nodiscard]] Timeout timeout(std::chrono::duration<Rep, Period> delay) {
    EventLoop* loop = running_loop();
    const TimePoint now = loop != nullptr ? loop->time() : TimePoint{};
    return Timeout(detail::deadline_after(now, detail::to_duration(delay)));
}

/// asyncio.timeout(seconds), as asyncio.timeout(0.5).
template <class Number>
    requires std::is_arithmetic_v<Number>
[[nodiscard]] Timeout timeout(Number seconds) {
    return timeout(std::chrono::duration<double>(seconds));
}

/// asyncio.timeout(None): a scope that never expires, until reschedule() gives it a deadline.
[[nodiscard]] inline Timeout timeout(std::nullopt_t) { return Timeout(std::nullopt); }

/// asyncio.timeout_at(when): a scope that expires at the loop time `when` (EventLoop::time()).
[[nodiscard]] inline Timeout timeout_at(std::optional<TimePoint> when) { return Timeout(when); }

#if ASYNCIO_EXCEPTIONS
namespace detail {
/// wait_for with no time at all, as CPython's: the work never starts (an awaitable that is not a
/// started task is cancelled before its first step); a started task is cancelled and waited
/// for. Its result if it finished anyway, else TimeoutError.
template <class T>
Task<T> wait_for_expired(Task<T> work) {
    if (!work) fatal_error("wait_for() of an empty Task (no memory for a coroutine frame?)");
    ScheduledTask<T> task = create_task(std::move(work));
    if (!task.done()) {
        task.cancel();
        DoneWait finished(task.state(), std::nullopt, false);  // cancelled: stop waiting at once
        co_await finished;
    }
    if (task.cancelled()) throw TimeoutError();
    if constexpr (std::is_void_v<T>) {
        task.result();  // rethrows what it failed with
    } else {
        co_return std::move(task.result());
    }
}
}  // namespace detail

/// asyncio.wait_for(aw, timeout): awaits `awaitable` for at most `limit`, in the same task (a
/// coroutine runs inline). When the time runs out, the awaited work is cancelled (a task it
/// joins is cancelled too, and waited for), then TimeoutError is thrown — unless the task was
/// also cancelled from elsewhere meanwhile: then CancelledError goes on. Whatever else the work
/// ends with (its result, or an exception raised during its cleanup) is what wait_for yields.
/// A limit of zero or less never starts the work (see detail::wait_for_expired).
template <class Awaitable, class Rep, class Period>
Task<detail::await_result_t<Awaitable>> wait_for(Awaitable awaitable, std::chrono::duration<Rep, Period> limit) {
    const Duration delay = detail::to_duration(limit);
    if (delay <= Duration::zero()) co_return co_await detail::wait_for_expired(detail::to_task(std::move(awaitable)));
    Timeout scope = timeout(delay);
    try {
        co_return co_await std::move(awaitable);
    } catch (const CancelledError&) {
        scope.rethrow_as_timeout();
    }
}

/// wait_for with the limit in seconds, as asyncio.wait_for(aw, 0.5).
template <class Awaitable, class Number>
    requires std::is_arithmetic_v<Number>
Task<detail::await_result_t<Awaitable>> wait_for(Awaitable awaitable, Number seconds) {
    return wait_for(std::move(awaitable), std::chrono::duration<double>(seconds));
}

/// asyncio.wait_for(aw, None): no time limit.
template <class Awaitable>
Task<detail::await_result_t<Awaitable>> wait_for(Awaitable awaitable, std::nullopt_t) {
    co_return co_await std::move(awaitable);
}

/// MicroPython's asyncio.wait_for_ms.
template <class Awaitable>
Task<detail::await_result_t<Awaitable>> wait_for_ms(Awaitable awaitable, long long milliseconds) {
    return wait_for(std::move(awaitable), std::chrono::milliseconds(milliseconds));
}
#endif

}  // namespace asyncio
