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
/// wait_for with no time at all, as CPython's: starts `task` if it was not (so an awaitable that
/// is not a started task is cancelled before its first step and never runs), cancels it unless
/// it is done, and waits until it is. TimeoutError if it ended cancelled.
Task<> expire_for_wait_for(TaskState& task);

/// The deadline `delay` from now on the running loop; std::nullopt (no limit): none.
std::optional<TimePoint> deadline_in(std::optional<Duration> delay);

/// A limit of zero or less: the work must not even start.
inline bool no_time_at_all(std::optional<Duration> delay) { return delay && *delay <= Duration::zero(); }

template <class T>
void check_not_empty(const Task<T>& task) {
    if (!task) fatal_error("wait_for() of an empty Task (no memory for a coroutine frame?)");
}

/// wait_for(work, 0): its result if it finished anyway, else TimeoutError.
template <class T>
Task<T> wait_for_expired(Task<T> work) {
    check_not_empty(work);
    co_await expire_for_wait_for(work.state());
    if constexpr (std::is_void_v<T>) {
        work.result();  // rethrows what it failed with
    } else {
        co_return std::move(work.result());
    }
}

/// wait_for on a task the caller keeps (CPython's `wait_for(task, ...)` holds a reference): the
/// same, with the result copied out of the task.
template <class T>
Task<T> wait_for_task(Task<T>& task, std::optional<Duration> delay) {
    check_not_empty(task);
    if (no_time_at_all(delay)) {
        co_await expire_for_wait_for(task.state());
        co_return task.result();
    }
    Timeout scope(deadline_in(delay));
    try {
        co_return co_await task;
    } catch (const CancelledError&) {
        scope.rethrow_as_timeout();
    }
}

template <class Awaitable>
Task<await_result_t<Awaitable>> wait_for_owned(Awaitable awaitable, std::optional<Duration> delay) {
    if (no_time_at_all(delay)) co_return co_await wait_for_expired(to_task(std::move(awaitable)));
    Timeout scope(deadline_in(delay));
    try {
        co_return co_await std::move(awaitable);
    } catch (const CancelledError&) {
        scope.rethrow_as_timeout();
    }
}

template <class Awaitable>
auto wait_for_delay(Awaitable&& awaitable, std::optional<Duration> delay) {
    if constexpr (TaskType<Awaitable> && std::is_lvalue_reference_v<Awaitable>) {
        return wait_for_task(awaitable, delay);
    } else {
        return wait_for_owned(std::remove_cvref_t<Awaitable>(std::forward<Awaitable>(awaitable)), delay);
    }
}
}  // namespace detail

/// asyncio.wait_for(aw, timeout): awaits `awaitable` for at most `limit`, in the same task (a
/// coroutine runs inline). When the time runs out, the awaited work is cancelled (a task it
/// joins is cancelled too, and waited for), then TimeoutError is thrown — unless the task was
/// also cancelled from elsewhere meanwhile: then CancelledError goes on. Whatever else the work
/// ends with (its result, or an exception raised during its cleanup) is what wait_for yields.
/// A limit of zero or less never starts the work (see detail::expire_for_wait_for).
/// A task passed as an lvalue stays the caller's (look at it afterwards, as CPython's tests do);
/// its result is then copied. Anything else is moved into the returned coroutine.
template <class Awaitable, class Rep, class Period>
auto wait_for(Awaitable&& awaitable, std::chrono::duration<Rep, Period> limit) {
    return detail::wait_for_delay(std::forward<Awaitable>(awaitable), detail::to_duration(limit));
}

/// wait_for with the limit in seconds, as asyncio.wait_for(aw, 0.5).
template <class Awaitable, class Number>
    requires std::is_arithmetic_v<Number>
auto wait_for(Awaitable&& awaitable, Number seconds) {
    return wait_for(std::forward<Awaitable>(awaitable), std::chrono::duration<double>(seconds));
}

/// asyncio.wait_for(aw, None): no time limit.
template <class Awaitable>
auto wait_for(Awaitable&& awaitable, std::nullopt_t) {
    return detail::wait_for_delay(std::forward<Awaitable>(awaitable), std::nullopt);
}

/// MicroPython's asyncio.wait_for_ms.
template <class Awaitable>
auto wait_for_ms(Awaitable&& awaitable, long long milliseconds) {
    return wait_for(std::forward<Awaitable>(awaitable), std::chrono::milliseconds(milliseconds));
}
#endif

}  // namespace asyncio
