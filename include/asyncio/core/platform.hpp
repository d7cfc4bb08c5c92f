#pragma once
// Platform: the only way the core reaches the operating system (a clock, a way to sleep).

#include <asyncio/core/loop_clock.hpp>

#include <chrono>
#include <cstdint>
#include <limits>
#include <ratio>
#include <type_traits>
#include <memory>
#include <optional>

namespace asyncio {

namespace detail {
class Poller;  // the io layer's (asyncio/io/poller.hpp); the core only passes a pointer on
}  // namespace detail

namespace detail {
/// Any std::chrono duration as a Duration, saturating instead of overflowing: hours::max() or a
/// duration<double> of 1e300 seconds become Duration::max() ("never"), a NaN becomes zero.
template <class Rep, class Period>
constexpr Duration to_duration(std::chrono::duration<Rep, Period> delay) noexcept {
    if constexpr (std::is_floating_point_v<Rep>) {
        const double ns = std::chrono::duration<double, std::nano>(delay).count();
        if (!(ns == ns)) return Duration::zero();
        if (ns >= 9.2e18) return Duration::max();
        if (ns <= -9.2e18) return Duration::min();
        return Duration(static_cast<Duration::rep>(ns));
    } else {
        using Tick = std::ratio_divide<Period, std::nano>;  // one tick of `delay` in nanoseconds
        if constexpr (Tick::num > Tick::den) {              // coarser than ns: may overflow
            constexpr std::intmax_t limit = std::numeric_limits<Duration::rep>::max() / Tick::num * Tick::den;
            if constexpr (std::is_signed_v<Rep>) {
                if (static_cast<std::intmax_t>(delay.count()) > limit) return Duration::max();
                if (static_cast<std::intmax_t>(delay.count()) < -limit) return Duration::min();
            } else {
                if (static_cast<std::uintmax_t>(delay.count()) > static_cast<std::uintmax_t>(limit)) {
                    return Duration::max();
                }
            }
        }
        return std::chrono::duration_cast<Duration>(delay);
    }
}
}  // namespace detail

/// The only way the core reaches the operating system: a monotonic clock and a way to sleep until
/// something happens. On Linux the io layer's poller implements it (epoll_wait/poll with an
/// eventfd to be woken); tests use VirtualClock; a microcontroller port uses a tick counter and
/// "wait for interrupt". Asio's scheduler knows its reactor the same way, as two methods.
class Platform {
public:
    virtual ~Platform() = default;

    /// The monotonic clock: the loop's time (LoopClock), from a platform-chosen origin.
    virtual TimePoint now() noexcept = 0;

    /// Blocks the thread until `timeout` has passed (forever when it is empty), `wake()` is
    /// called, or, on platforms with I/O, a registered descriptor is ready (the platform then
    /// schedules the tasks waiting on it). `timeout == 0` only polls.
    virtual void wait(std::optional<Duration> timeout) = 0;

    /// Makes a current or the next `wait()` return. Safe from any thread and, on a
    /// microcontroller, from an interrupt handler: mark the override ASYNCIO_ISR_ATTR
    /// (core/config.hpp) where interrupt code must sit in a particular memory (IRAM on ESP-IDF).
    virtual void wake() noexcept = 0;

    /// Whether anything outside the loop's own queues (I/O registrations, signal handlers) can
    /// still wake it: the loop uses this to tell an idle wait from a deadlock.
    virtual bool has_pending_io() const noexcept { return false; }

    /// This platform as the io layer's poller, or nullptr when it is none (a VirtualClock, a
    /// microcontroller's tick platform). detail::Poller overrides it; nothing else should. It is
    /// how sockets find their loop's poller without dynamic_cast, so the library needs no RTTI
    /// (ESP-IDF compiles with -fno-rtti unless CONFIG_COMPILER_CXX_RTTI is set).
    virtual detail::Poller* as_poller() noexcept { return nullptr; }
};

/// The platform `run()` and `get_event_loop()` use: the io layer's poller on hosted systems, the
/// port's idle/tick implementation on a microcontroller. Defined once per build.
std::unique_ptr<Platform> make_default_platform();

/// Writes one diagnostic line ("asyncio: " + message) where this build's diagnostics go: stderr on
/// hosted systems (src/io/platform_report.cpp), the console of a microcontroller port (semihosting,
/// a UART). The default of asyncio::set_error_reporter. Defined once per build, beside
/// make_default_platform(), so that the core itself needs no stdio (on a Cortex-M, one fprintf
/// is 15 KiB of flash).
void platform_report(const char* message) noexcept;

}  // namespace asyncio
