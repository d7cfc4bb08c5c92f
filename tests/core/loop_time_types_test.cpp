// The loop's time is a point on its own clock (LoopClock), not a duration: a delay passed where a
// deadline is meant does not compile, and neither does a time point of another clock.
#include <asyncio/core/loop.hpp>
#include <asyncio/core/sleep.hpp>
#include <asyncio/core/timeout.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <optional>
#include <type_traits>

namespace {

template <class When>
concept accepted_by_sleep_until = requires(When when) { asyncio::sleep_until(when); };

template <class When>
concept accepted_by_timeout_at = requires(When when) { asyncio::timeout_at(when); };

template <class When>
concept accepted_by_call_at = requires(asyncio::EventLoop& loop, When when) { loop.call_at(when, std::function<void()>()); };

// sleep_until(5s) compiled while TimePoint was a duration; it must not.
static_assert(!accepted_by_sleep_until<std::chrono::seconds>);
static_assert(!accepted_by_sleep_until<asyncio::Duration>);
static_assert(!accepted_by_sleep_until<std::chrono::steady_clock::time_point>);
static_assert(accepted_by_sleep_until<asyncio::TimePoint>);

static_assert(!accepted_by_timeout_at<std::chrono::seconds>);
static_assert(accepted_by_timeout_at<asyncio::TimePoint>);
static_assert(accepted_by_timeout_at<std::nullopt_t>);

static_assert(!accepted_by_call_at<std::chrono::milliseconds>);
static_assert(accepted_by_call_at<asyncio::TimePoint>);

static_assert(std::is_same_v<decltype(std::declval<const asyncio::EventLoop&>().time()), asyncio::TimePoint>);
}  // namespace

TEST(LoopTime, APointMinusAPointIsADurationAndAPointPlusADurationIsAPoint) {
    const asyncio::TimePoint start{};
    const asyncio::TimePoint later = start + std::chrono::milliseconds(5);
    EXPECT_EQ(later - start, asyncio::Duration(5'000'000));
    static_assert(std::is_same_v<decltype(later - start), asyncio::Duration>);
    static_assert(std::is_same_v<decltype(start + asyncio::Duration(1)), asyncio::TimePoint>);
}
