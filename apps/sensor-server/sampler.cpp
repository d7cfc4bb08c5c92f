#include "sampler.hpp"

#include <asyncio/core/sleep.hpp>
#include <asyncio/core/to_thread.hpp>

#include <cstdio>
#include <stdexcept>

namespace sensor_server {

Sampler::Sampler(std::unique_ptr<SensorSource> sensor, std::chrono::milliseconds interval, std::size_t history_size)
    : m_sensor(std::move(sensor)), m_interval(interval), m_history(history_size) {}

void Sampler::store(const Reading& reading) {
    const std::uint64_t id = m_history.push(reading);
    m_topic.publish(Sample{id, reading});
}

void Sampler::sample_once() { store(m_sensor->read()); }

asyncio::Task<> Sampler::run() {
    for (;;) {
        co_await asyncio::sleep(m_interval);
        try {
            if (m_sensor->blocking()) {
                SensorSource* sensor = m_sensor.get();
                store(co_await asyncio::to_thread([sensor] { return sensor->read(); }));
            } else {
                store(m_sensor->read());
            }
        } catch (const std::runtime_error& error) {
            ++m_read_errors;
            std::fprintf(stderr, "sensor-server: reading the sensor failed: %s\n", error.what());
        }
    }
}

}  // namespace sensor_server
