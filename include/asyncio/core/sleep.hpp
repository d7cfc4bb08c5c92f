#pragma once
// sleep(duration), sleep(seconds), sleep_ms(ms), sleep_until(time). sleep(0) yields to the other
// ready tasks.
//
//   co_await asyncio::sleep(500ms);
//   co_await asyncio::sleep(0.5);
//   co_await asyncio::sleep_ms(500);

#include <asyncio/core/detail/task_state.hpp>
#include <asyncio/core/detail/timer_heap.hpp>
#include <asyncio/core/loop.hpp>

#include <chrono>
#include <coroutine>
#include <type_traits>

namespace asyncio {

namespace detail {

/// The awaiter of sleep() (`FromNow`: a delay, kept in the timer's deadline field until it is
/// armed, as a time point that far from the origin) and of sleep_until() (a deadline in the
/// loop's time). One class for both, so that each sleep costs no more than its timer node.
///
/// Suspends when: always. Resumed by: the loop, once the deadline passed (timers with equal
/// deadlines in the order they were started; a deadline already past fires on the next pass);
/// a zero or negative delay only yields, to the back of the ready queue. Returns: nothing.
/// Cancellation: the timer is removed from the heap, co_await throws CancelledError.
/// Lifetime: lives in the sleeping coroutine's frame, so sleeping allocates nothing.
template <bool FromNow>
class [[nodiscard]] BasicSleepAwaiter final : Wait, TimerNode {
public:
    explicit BasicSleepAwaiter(Duration delay) noexcept
        requires FromNow
        : TimerNode(TimePoint(delay)) {}
    explicit BasicSleepAwaiter(TimePoint deadline) noexcept
        requires(!FromNow)
        : TimerNode(deadline) {}

    bool await_ready() const noexcept { return false; }
    bool await_suspend(std::coroutine_handle<> handle) {
        if (!begin_wait(handle)) return false;
        EventLoop& loop = *running_loop();
        if constexpr (FromNow) {
            const Duration delay = deadline().time_since_epoch();  // not armed yet: the delay
            if (delay <= Duration::zero()) {
                wake();  // a plain yield: back of the ready queue
                return true;
            }
            loop.add_timer(*this, deadline_after(loop.time(), delay));
        } else {
            loop.add_timer(*this, deadline());
        }
        return true;
    }
    void await_resume() const { end_wait(); }

private:
    CancelAction cancel_wait() noexcept override {
        disarm();
        return CancelAction::wake_now;
    }
    void fire() override { wake(); }
};

using SleepAwaiter = BasicSleepAwaiter<true>;
using SleepUntilAwaiter = BasicSleepAwaiter<false>;

}  // namespace detail

/// Suspends the current task for `delay` (any std::chrono duration).
template <class Rep, class Period>
detail::SleepAwaiter sleep(std::chrono::duration<Rep, Period> delay) noexcept {
    return detail::SleepAwaiter(detail::to_duration(delay));
}

/// Suspends the current task for a number of seconds, as asyncio.sleep(0.5) does.
template <class Number>
    requires std::is_arithmetic_v<Number>
detail::SleepAwaiter sleep(Number seconds) noexcept {
    return detail::SleepAwaiter(detail::to_duration(std::chrono::duration<double>(seconds)));
}

/// Suspends the current task until the loop's clock (EventLoop::time()) reaches `deadline`; a
/// deadline already past only yields. For periodic work without drift:
///   auto next = asyncio::get_event_loop().time();
///   for (;;) { next += 1s; co_await asyncio::sleep_until(next); sample(); }
inline detail::SleepUntilAwaiter sleep_until(TimePoint deadline) noexcept { return detail::SleepUntilAwaiter(deadline); }

/// MicroPython's asyncio.sleep_ms.
inline detail::SleepAwaiter sleep_ms(long long milliseconds) noexcept {
    return detail::SleepAwaiter(std::chrono::milliseconds(milliseconds));
}

}  // namespace asyncio
