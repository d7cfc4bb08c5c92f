#include "sensors.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace sensor_server {

namespace {

/// Rounds to the 0.01 a real sensor resolves, so the JSON reads 21.53, not 21.528917.
double hundredths(double value) { return std::round(value * 100.0) / 100.0; }

class FixedSensor final : public SensorSource {
public:
    explicit FixedSensor(double value) : m_value(value) {}
    std::string_view name() const noexcept override { return "fixed"; }
    Reading read() override {
        Reading reading;
        reading.ts_ms = unix_ms();
        reading.add("temperature_c", m_value);
        return reading;
    }

private:
    double m_value;
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
    static double hour_of_day() {
        const std::time_t now = std::time(nullptr);
        std::tm local{};
        localtime_r(&now, &local);
        return local.tm_hour + local.tm_min / 60.0 + local.tm_sec / 3600.0;
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

std::optional<double> read_number(const std::filesystem::path& file) {
    std::ifstream in(file);
    double value = 0;
    if (in >> value) return value;
    return std::nullopt;
}

/// The host's own sensors: the first thermal zone or hwmon temperature, the load average and
/// the available memory.
class LinuxSensor final : public SensorSource {
public:
    LinuxSensor() {
        m_temperature_file = find_temperature_file();
        if (m_temperature_file.empty() && !std::filesystem::exists("/proc/loadavg")) {
            throw std::runtime_error(
                "--sensor linux: this host has no temperature sensor (no /sys/class/thermal/thermal_zone*/temp, "
                "no /sys/class/hwmon/hwmon*/temp*_input) and no /proc/loadavg");
        }
    }
    std::string_view name() const noexcept override { return "linux"; }
    [[nodiscard]] bool has_temperature() const noexcept { return !m_temperature_file.empty(); }

    Reading read() override {
        Reading reading;
        reading.ts_ms = unix_ms();
        if (!m_temperature_file.empty()) {
            if (auto millidegrees = read_number(m_temperature_file)) {
                reading.add("temperature_c", hundredths(*millidegrees / 1000.0));
            }
        }
        std::ifstream loadavg("/proc/loadavg");
        double load = 0;
        if (loadavg >> load) reading.add("load_1m", load);
        if (auto available = memory_available_mib()) reading.add("mem_available_mib", *available);
        return reading;
    }

private:
    static std::filesystem::path find_temperature_file() {
        namespace fs = std::filesystem;
        std::error_code error;
        for (const char* root : {"/sys/class/thermal", "/sys/class/hwmon"}) {
            for (const auto& entry : fs::directory_iterator(root, error)) {
                for (const char* name : {"temp", "temp1_input"}) {
                    const fs::path candidate = entry.path() / name;
                    if (read_number(candidate)) return candidate;
                }
            }
        }
        return {};
    }
    static std::optional<double> memory_available_mib() {
        std::ifstream meminfo("/proc/meminfo");
        std::string key;
        double kib = 0;
        std::string unit;
        while (meminfo >> key >> kib >> unit) {
            if (key == "MemAvailable:") return std::round(kib / 1024.0);
        }
        return std::nullopt;
    }

    std::filesystem::path m_temperature_file;
};

}  // namespace

std::unique_ptr<SensorSource> make_simulated_sensor(unsigned seed) { return std::make_unique<SimulatedSensor>(seed); }

std::unique_ptr<SensorSource> make_sensor(std::string_view spec) {
    if (spec == "sim") return make_simulated_sensor(std::random_device{}());
    if (spec == "linux") {
        auto sensor = std::make_unique<LinuxSensor>();
        if (!sensor->has_temperature()) {
            std::fprintf(stderr,
                         "sensor-server: --sensor linux: no temperature sensor on this host "
                         "(/sys/class/thermal, /sys/class/hwmon); reporting load and memory only\n");
        }
        return sensor;
    }
    if (spec.starts_with("fixed:")) {
        const std::string_view text = spec.substr(6);
        double value = 0;
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (text.empty() || error != std::errc{} || end != text.data() + text.size() || !std::isfinite(value)) {
            throw std::invalid_argument("--sensor fixed:VALUE needs a number, got '" + std::string(text) + "'");
        }
        return std::make_unique<FixedSensor>(value);
    }
    throw std::invalid_argument("unknown --sensor '" + std::string(spec) + "' (use sim, fixed:VALUE or linux)");
}

}  // namespace sensor_server
