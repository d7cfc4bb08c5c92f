#include "sampler.hpp"

#include <asyncio/core/loop.hpp>
#include <asyncio/core/errors.hpp>
#include <asyncio/core/timeout.hpp>

#include <string>
#include <stdexcept>

// A blocking sensor is read on a worker thread where the platform has threads. Not on a board:
// ASYNCIO_NO_THREADS, or a libstdc++ built without them (newlib's has no std::thread).
#if !defined(ASYNCIO_NO_THREADS) && (!defined(__GLIBCXX__) || defined(_GLIBCXX_HAS_GTHREADS))
#define SENSOR_SERVER_READS_ON_A_THREAD 1
#include <asyncio/core/to_thread.hpp>
#else
#define SENSOR_SERVER_READS_ON_A_THREAD 0
#endif

namespace sensor_server {

Sampler::Sampler(std::unique_ptr<SensorSource> sensor, std::chrono::milliseconds interval, std::size_t history_size)
    : m_sensor(std::move(sensor)), m_interval(interval), m_history(history_size) {}

void Sampler::store(const Reading& reading) {
    if (m_on_sample) m_on_sample(reading);
    const std::uint64_t id = m_history.push(reading);
    const Sample sample{id, reading};
    if (m_on_stored) m_on_stored(sample);
    m_topic.publish(sample);
}

void Sampler::store_copy(const Sample& sample) {
    if (sample.id <= m_history.last_id()) return;  // never older than what is kept
    if (m_on_sample) m_on_sample(sample.reading);
    m_history.insert(sample);
    m_topic.publish(sample);
}

void Sampler::sample_once() { store(m_sensor->read()); }

void Sampler::set_interval(std::chrono::milliseconds interval) {
    m_interval = interval;
    m_interval_changed.set();
}

asyncio::Task<> Sampler::wait_for_next_reading() {
    asyncio::EventLoop& loop = asyncio::get_event_loop();
    const asyncio::TimePoint last = loop.time();
    for (;;) {
        m_interval_changed.clear();
        const asyncio::TimePoint next = last + m_interval;
        if (loop.time() >= next) co_return;
        try {
            co_await asyncio::wait_for(m_interval_changed.wait(), next - loop.time());
        } catch (const asyncio::TimeoutError&) {
            co_return;
        }
    }
}

asyncio::Task<> Sampler::run() {
    for (;;) {
        co_await wait_for_next_reading();
        try {
#if SENSOR_SERVER_READS_ON_A_THREAD
            if (m_sensor->blocking()) {
                SensorSource* sensor = m_sensor.get();
                store(co_await asyncio::to_thread([sensor] { return sensor->read(); }));
                continue;
            }
#endif
            store(m_sensor->read());
        } catch (const std::runtime_error& error) {
            ++m_read_errors;
            asyncio::report_error(std::string("sensor-server: reading the sensor failed: ") + error.what());
        }
    }
}

}  // namespace sensor_server
