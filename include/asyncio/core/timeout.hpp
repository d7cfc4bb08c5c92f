#pragma once
// Time limits: wait_for(awaitable, timeout), wait_for_ms, and the timeout() scope that both
// are built on (CPython 3.11's asyncio.timeout).
//
//   int value = co_await asyncio::wait_for(read_sensor(), 500ms);   // TimeoutError if late
//
//   auto scope = asyncio::timeout(2s);                               // a scope over several awaits
//   try { co_await step1(); co_await step2(); }
//   catch (const asyncio::CancelledError&) { scope.rethrow_as_timeout(); }
//
// Without exceptions (config.hpp) wait_for() does not exist: use try_wait_for() (wait.hpp). A
// timeout() scope that expires there cancels, so unwinds, its whole task.

#include <asyncio/core/detail/timer_heap.hpp>
#include <asyncio/core/errors.hpp>
#include <asyncio/core/task.hpp>

#include <chrono>
#include <utility>

namespace asyncio {

/// While alive, cancels the current task when `delay` has passed. The task's pending co_await
/// then throws CancelledError; catch it and call rethrow_as_timeout() to turn it into
/// TimeoutError when the time limit caused it. Leaving the scope disarms the timer.
/// Lifetime: create and destroy it in the same task, as a local variable.
class Timeout final : detail::TimerNode {
public:
    explicit Timeout(Duration delay);
    Timeout(const Timeout&) = delete;
    Timeout& operator=(const Timeout&) = delete;
    ~Timeout() override;

    /// True once the time limit has passed and the task was cancelled because of it.
    [[nodiscard]] bool expired() const noexcept { return m_expired; }
    /// Moves the deadline `delay` from now (re-arms an expired scope's timer too).
    void reschedule(Duration delay);
#if ASYNCIO_EXCEPTIONS
    /// In a `catch (const CancelledError&)`: throws TimeoutError if this scope expired,
    /// otherwise rethrows the CancelledError (somebody else cancelled the task).
    [[noreturn]] void rethrow_as_timeout() const;
#endif

private:
    void fire() override;
    detail::TaskState* m_task;
    bool m_expired = false;
};

/// asyncio.timeout(delay).
template <class Rep, class Period>
[[nodiscard]] Timeout timeout(std::chrono::duration<Rep, Period> delay) {
    return Timeout(detail::to_duration(delay));
}

namespace detail {
template <class A>
auto get_awaiter(A&& awaitable) {
    if constexpr (requires { std::forward<A>(awaitable).operator co_await(); }) {
        return std::forward<A>(awaitable).operator co_await();
    } else {
        return std::forward<A>(awaitable);
    }
}
template <class A>
using await_result_t = decltype(get_awaiter(std::declval<A>()).await_resume());
}  // namespace detail

#if ASYNCIO_EXCEPTIONS
/// Awaits `awaitable` for at most `limit`. When the time runs out, the awaited work is cancelled
/// (a task it joins is cancelled too, and waited for), then TimeoutError is thrown.
template <class Awaitable, class Rep, class Period>
Task<detail::await_result_t<Awaitable>> wait_for(Awaitable awaitable, std::chrono::duration<Rep, Period> limit) {
    Timeout scope(detail::to_duration(limit));
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

/// MicroPython's asyncio.wait_for_ms.
template <class Awaitable>
Task<detail::await_result_t<Awaitable>> wait_for_ms(Awaitable awaitable, long long milliseconds) {
    return wait_for(std::move(awaitable), std::chrono::milliseconds(milliseconds));
}
#endif

}  // namespace asyncio
