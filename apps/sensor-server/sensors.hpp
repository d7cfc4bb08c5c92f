#pragma once
// Sensor sources behind one small interface. A real driver (an I2C BME280, say) is one more
// class like these: implement read(), return true from blocking() if it waits on hardware (the
// sampler then calls it on a worker thread where there are threads), and let make_sensor() know
// its name.

#include "reading.hpp"

#include <memory>
#include <string>
#include <string_view>

namespace sensor_server {

class SensorSource {
public:
    virtual ~SensorSource() = default;
    /// "sim", "fixed:21.5", "linux": shown on the dashboard and in /api/device.
    [[nodiscard]] virtual std::string_view name() const noexcept = 0;
    /// One reading, time-stamped now. May throw std::runtime_error when the hardware fails.
    [[nodiscard]] virtual Reading read() = 0;
    /// True if read() blocks (a bus transaction): the sampler then runs it in to_thread(). On a
    /// platform without threads (a bare-metal board) it is called on the loop all the same.
    [[nodiscard]] virtual bool blocking() const noexcept { return false; }
    /// What the source lacks on this host, for people ("No temperature sensor on this host: load
    /// and memory only"), shown on the dashboard and in /api/device; empty when nothing is missing.
    [[nodiscard]] virtual std::string_view note() const noexcept { return {}; }
};

/// The realistic simulation: temperature, humidity and pressure as random walks around a daily
/// cycle. `seed` makes a run repeatable (tests); a main seeds it from what entropy it has.
[[nodiscard]] std::unique_ptr<SensorSource> make_simulated_sensor(unsigned seed);

/// A fixed temperature in degrees Celsius (the lecture's first sensor), named "fixed:VALUE".
[[nodiscard]] std::unique_ptr<SensorSource> make_fixed_sensor(double celsius);

/// The sources every platform has: "sim" (seeded with `seed`) or "fixed:VALUE". Returns nullptr
/// for any other name (a platform may know more: "linux"). Throws std::invalid_argument with a
/// message for the user when VALUE is not a finite number.
[[nodiscard]] std::unique_ptr<SensorSource> make_portable_sensor(std::string_view spec, unsigned seed);

/// Builds the source named by --sensor. Each platform's build defines it: the Linux one
/// (linux_sensor.cpp) knows "sim", "fixed:VALUE" and "linux" and seeds "sim" from
/// std::random_device. Throws std::invalid_argument with a message for the user when `spec` is
/// not valid, and std::runtime_error when the host lacks what the source needs.
[[nodiscard]] std::unique_ptr<SensorSource> make_sensor(std::string_view spec);

}  // namespace sensor_server
