#pragma once
// The sampler: reads the sensor every --interval, keeps the history and publishes each sample
// to every live subscriber (SSE, WebSocket) through the library's Topic.

#include "history.hpp"
#include "sensors.hpp"

#include <asyncio/core/event.hpp>
#include <asyncio/core/task.hpp>
#include <asyncio/core/topic.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>

namespace sensor_server {

class Sampler {
public:
    Sampler(std::unique_ptr<SensorSource> sensor, std::chrono::milliseconds interval, std::size_t history_size);

    /// Puts back readings kept from an earlier run (--history-file), oldest first with their ids
    /// (History::restore): call it before the first sample_once(), whose reading then gets the id
    /// after the last of them. Nothing is published: live clients see only new readings.
    void restore(std::span<const Sample> samples) { m_history.restore(samples); }
    /// Takes one reading now (at start-up, so /api/sensor always has one).
    void sample_once();
    /// Samples every interval until cancelled. A failing read is reported and retried next time.
    [[nodiscard]] asyncio::Task<> run();

    [[nodiscard]] const History& history() const noexcept { return m_history; }
    [[nodiscard]] asyncio::Topic<Sample>& topic() noexcept { return m_topic; }
    [[nodiscard]] const SensorSource& sensor() const noexcept { return *m_sensor; }
    [[nodiscard]] std::chrono::milliseconds interval() const noexcept { return m_interval; }
    /// Changes the interval now: the next reading comes `interval` after the last one (at once
    /// if that moment has passed), not after the rest of the old interval.
    void set_interval(std::chrono::milliseconds interval);
    [[nodiscard]] std::uint64_t read_errors() const noexcept { return m_read_errors; }
    /// Calls `fn` with every reading stored from now on (before it is published); empty: none.
    void on_sample(std::function<void(const Reading&)> fn) { m_on_sample = std::move(fn); }
    /// Calls `fn` with every sample this sampler takes from now on, with its id, once it is kept
    /// (the cross-loop broadcast of sensor-server --workers); empty: none.
    void on_stored(std::function<void(const Sample&)> fn) { m_on_stored = std::move(fn); }
    /// Stores a sample another event loop's sampler took, with its id (History::insert), and
    /// publishes it to this loop's subscribers, as if it had been taken here. A sampler fed this
    /// way is never run(): it is one loop's copy of the readings (sensor-server --workers).
    void store_copy(const Sample& sample);

private:
    void store(const Reading& reading);
    /// Suspends until one interval after the last reading, following set_interval() meanwhile.
    [[nodiscard]] asyncio::Task<> wait_for_next_reading();

    std::unique_ptr<SensorSource> m_sensor;
    std::chrono::milliseconds m_interval;
    asyncio::Event m_interval_changed;
    History m_history;
    asyncio::Topic<Sample> m_topic;
    std::uint64_t m_read_errors = 0;
    std::function<void(const Reading&)> m_on_sample;
    std::function<void(const Sample&)> m_on_stored;
};

}  // namespace sensor_server
