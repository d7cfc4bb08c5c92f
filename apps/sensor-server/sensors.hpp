#pragma once
// Sensor sources behind one small interface. A real driver (an I2C BME280, say) is one more
// class like these: implement read(), return true from blocking() if it waits on hardware (the
// sampler then calls it on a worker thread), and add its name to make_sensor().

#include "reading.hpp"

#include <memory>
#include <string>
#include <string_view>

namespace sensor_server {

class SensorSource {
public:
    virtual ~SensorSource() = default;
    /// "sim", "fixed", "linux": shown on the dashboard and in /metrics.
    [[nodiscard]] virtual std::string_view name() const noexcept = 0;
    /// One reading, time-stamped now. May throw std::runtime_error when the hardware fails.
    [[nodiscard]] virtual Reading read() = 0;
    /// True if read() blocks (a bus transaction): the sampler then runs it in to_thread().
    [[nodiscard]] virtual bool blocking() const noexcept { return false; }
};

/// Builds the source named by --sensor: "sim", "fixed:VALUE" or "linux".
/// Throws std::invalid_argument with a message for the user when `spec` is not valid, and
/// std::runtime_error when the host lacks what the source needs.
[[nodiscard]] std::unique_ptr<SensorSource> make_sensor(std::string_view spec);

/// The realistic simulation: temperature, humidity and pressure as random walks around a daily
/// cycle. `seed` makes a run repeatable (tests).
[[nodiscard]] std::unique_ptr<SensorSource> make_simulated_sensor(unsigned seed);

}  // namespace sensor_server
