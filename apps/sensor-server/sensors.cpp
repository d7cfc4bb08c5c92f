// The portable sources: sim and fixed. (Linux adds its own in linux_sensor.cpp.)
#include "sensors.hpp"
#include "number_text.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <ctime>
#include <numbers>
#include <random>
#include <stdexcept>
#include <string>

namespace sensor_server {

namespace {

/// Rounds to the 0.01 a real sensor resolves, so the JSON reads 21.53, not 21.528917.
double hundredths(double value) { return std::round(value * 100.0) / 100.0; }

/// Named "fixed:VALUE" (the shortest text of the value), so the device facts say which value.
class FixedSensor final : public SensorSource {
public:
    explicit FixedSensor(double value) : m_value(value) {
        append_number(m_name, value);
    }
    std::string_view name() const noexcept override { return m_name; }
    Reading read() override {
        Reading reading;
        reading.ts_ms = unix_ms();
        reading.add("temperature_c", m_value);
        return reading;
    }

private:
    double m_value;
    std::string m_name = "fixed:";
};

/// Each quantity follows a daily sine (warmest mid-afternoon) plus a slow random walk that is
/// pulled back towards zero, so values drift like a room's and never run away.
class SimulatedSensor final : public SensorSource {
public:
    explicit SimulatedSensor(unsigned seed) : m_random(seed) {}
    std::string_view name() const noexcept override { return "sim"; }

    Reading read() override {
        const double day_phase = hour_of_day() / 24.0 * 2.0 * std::numbers::pi;
        const double daily = std::sin(day_phase - 9.0 / 24.0 * 2.0 * std::numbers::pi);  // peak ~15:00
        m_temperature_walk = step(m_temperature_walk, 0.05, 1.5);
        m_humidity_walk = step(m_humidity_walk, 0.2, 6.0);
        m_pressure_walk = step(m_pressure_walk, 0.05, 4.0);
        Reading reading;
        reading.ts_ms = unix_ms();
        reading.add("temperature_c", hundredths(21.0 + 3.0 * daily + m_temperature_walk));
        reading.add("humidity_pct", hundredths(std::clamp(48.0 - 8.0 * daily + m_humidity_walk, 0.0, 100.0)));
        reading.add("pressure_hpa", hundredths(1013.25 + m_pressure_walk));
        return reading;
    }

private:
    /// The hour of the day in UTC: a board has no time zone (and localtime_r would link the C
    /// library's time zone parser into its firmware).
    static double hour_of_day() {
        const auto second_of_day = static_cast<long long>(std::time(nullptr)) % 86400;
        return static_cast<double>(second_of_day < 0 ? second_of_day + 86400 : second_of_day) / 3600.0;
    }
    double step(double walk, double size, double bound) {
        const double pulled = walk * 0.98;  // mean reversion keeps it within ~bound
        return std::clamp(pulled + std::normal_distribution<double>(0.0, size)(m_random), -bound, bound);
    }

    std::mt19937 m_random;
    double m_temperature_walk = 0;
    double m_humidity_walk = 0;
    double m_pressure_walk = 0;
};

}  // namespace

std::unique_ptr<SensorSource> make_simulated_sensor(unsigned seed) { return std::make_unique<SimulatedSensor>(seed); }

std::unique_ptr<SensorSource> make_fixed_sensor(double celsius) { return std::make_unique<FixedSensor>(celsius); }

std::unique_ptr<SensorSource> make_portable_sensor(std::string_view spec, unsigned seed) {
    if (spec == "sim") return make_simulated_sensor(seed);
    if (spec.starts_with("fixed:")) {
        const std::string_view text = spec.substr(6);
        double value = 0;
        if (!parse_number(text, value)) {
            throw std::invalid_argument("--sensor fixed:VALUE needs a number, got '" + std::string(text) + "'");
        }
        return make_fixed_sensor(value);
    }
    return nullptr;
}

}  // namespace sensor_server
