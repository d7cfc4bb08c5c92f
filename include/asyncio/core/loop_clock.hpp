#pragma once
// The clock of the event loop's time: TimePoint (a point on it) and Duration (a span of it). A
// distinct clock makes a point in loop time a type of its own, so a duration passed where a
// deadline is meant (`sleep_until(5s)`) does not compile, and a TimePoint cannot be mixed up
// with a std::chrono::steady_clock::time_point, whose origin differs.
//
// The loop reads the time from its Platform (Platform::now(): CLOCK_MONOTONIC on Linux, a tick
// counter on a board, a VirtualClock in tests); LoopClock::now() is the current loop's time,
// EventLoop::time() as asyncio's loop.time() is. Its origin is the platform's choice (the
// VirtualClock's is zero), so only differences and comparisons between TimePoints mean anything.

#include <chrono>
#include <ratio>

namespace asyncio {

/// The event loop's clock, a std::chrono clock (see the head of this header).
struct LoopClock {
    using rep = std::chrono::nanoseconds::rep;  ///< nanoseconds, as a count
    using period = std::nano;                   ///< one tick is a nanosecond
    using duration = std::chrono::nanoseconds;  ///< a span of loop time (Duration)
    using time_point = std::chrono::time_point<LoopClock, duration>;  ///< a point in loop time (TimePoint)
    static constexpr bool is_steady = true;     ///< monotonic: it never goes back

    /// get_event_loop().time(): the running loop's time, or the thread's loop's (src/core/loop.cpp).
    static time_point now();
};

/// A span of loop time.
using Duration = LoopClock::duration;
/// A point in loop time: what EventLoop::time() returns and call_at, timeout_at and sleep_until take.
using TimePoint = LoopClock::time_point;

}  // namespace asyncio
