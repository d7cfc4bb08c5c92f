// Sampler::set_interval (what an interval command over MQTT calls): the new rhythm starts at
// once, not after the rest of the old interval.
#include "sampler.hpp"
#include "sensors.hpp"

#include <asyncio/core/loop.hpp>
#include <asyncio/core/sleep.hpp>
#include <asyncio/core/task.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <memory>

namespace sensor_server {
namespace {

using namespace std::chrono_literals;

asyncio::Task<> shorten_a_long_interval(Sampler& sampler, std::uint64_t& readings_after_change) {
    asyncio::Task<> sampling = asyncio::create_task(sampler.run());
    co_await asyncio::sleep(50ms);
    const std::uint64_t before = sampler.history().last_id();
    sampler.set_interval(20ms);
    // The old interval was an hour: any reading within two seconds is the new rhythm's.
    co_await asyncio::sleep(2s);
    readings_after_change = sampler.history().last_id() - before;
    sampling.cancel();
    try {
        co_await sampling;
    } catch (const asyncio::CancelledError&) {
    }
}

TEST(SamplerInterval, ANewIntervalAppliesAtOnce) {
    Sampler sampler(make_sensor("fixed:21.5"), std::chrono::hours(1), 10);
    sampler.sample_once();
    std::uint64_t readings = 0;
    asyncio::run(shorten_a_long_interval(sampler, readings));
    EXPECT_EQ(sampler.interval(), 20ms);
    EXPECT_GE(readings, 5u) << "20 ms apart for 2 s: about 100, at least a few on a busy machine";
}

}  // namespace
}  // namespace sensor_server
