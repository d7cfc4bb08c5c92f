// Linux only: the host's own sensors (--sensor linux) and the Linux build's make_sensor().
#include "sensors.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>

namespace sensor_server {

namespace {

/// Rounds to the 0.01 a real sensor resolves, so the JSON reads 21.53, not 21.528917.
double hundredths(double value) { return std::round(value * 100.0) / 100.0; }

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
    std::string_view note() const noexcept override {
        if (has_temperature()) return {};
        return "This host has no temperature sensor (no /sys/class/thermal/thermal_zone*/temp, no "
               "/sys/class/hwmon/hwmon*/temp*_input): only its load average and free memory are shown.";
    }

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

std::unique_ptr<SensorSource> make_sensor(std::string_view spec) {
    if (spec == "linux") {
        auto sensor = std::make_unique<LinuxSensor>();
        if (!sensor->has_temperature()) {
            std::fprintf(stderr,
                         "sensor-server: --sensor linux: no temperature sensor on this host "
                         "(/sys/class/thermal, /sys/class/hwmon); reporting load and memory only\n");
        }
        return sensor;
    }
    if (auto sensor = make_portable_sensor(spec, std::random_device{}())) return sensor;
    throw std::invalid_argument("unknown --sensor '" + std::string(spec) + "' (use sim, fixed:VALUE or linux)");
}

}  // namespace sensor_server
