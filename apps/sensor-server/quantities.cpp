#include "quantities.hpp"

#include <array>
#include <cmath>
#include <cstdio>

namespace sensor_server {

namespace {

constexpr std::array kKnown{
    QuantityInfo{"temperature_c", "Temperature", "\u00b0C", 2, "sensor_temperature_celsius", 1,
                 "Temperature in degrees Celsius, the latest reading.", "M14 14.8V4.5a2 2 0 0 0-4 0v10.3a4 4 0 1 0 4 0z",
                 "temperature"},
    QuantityInfo{"humidity_pct", "Humidity", "%", 1, "sensor_relative_humidity_ratio", 0.01,
                 "Relative humidity as a ratio from 0 to 1, the latest reading.", "M12 3l5.2 5.9a7 7 0 1 1-10.4 0z",
                 "humidity"},
    QuantityInfo{"pressure_hpa", "Pressure", "hPa", 1, "sensor_pressure_pascals", 100,
                 "Air pressure in pascals, the latest reading.", "M4 17a8 8 0 1 1 16 0M12 17l4-5", "pressure"},
    QuantityInfo{"load_1m", "Load (1 min)", "", 2, "sensor_load1", 1,
                 "The host's load average over one minute, the latest reading.", "M3 17l5-6 4 3 6-8 3 3", ""},
    QuantityInfo{"mem_available_mib", "Free memory", "MiB", 0, "sensor_memory_available_bytes", 1024.0 * 1024.0,
                 "Memory available to new programs in bytes, the latest reading.",
                 "M5 7h14v10H5zM8 7V4M12 7V4M16 7V4M8 20v-3M12 20v-3M16 20v-3", ""},
};

struct Suffix {
    std::string_view suffix;
    std::string_view unit;
};

/// Units of keys the table does not know, by the suffix after the last '_'.
constexpr std::array kSuffixes{
    Suffix{"c", "\u00b0C"}, Suffix{"f", "\u00b0F"}, Suffix{"k", "K"},     Suffix{"pct", "%"},   Suffix{"hpa", "hPa"},
    Suffix{"pa", "Pa"},     Suffix{"kpa", "kPa"},   Suffix{"ppm", "ppm"}, Suffix{"ppb", "ppb"}, Suffix{"lux", "lx"},
    Suffix{"v", "V"},       Suffix{"mv", "mV"},     Suffix{"a", "A"},     Suffix{"ma", "mA"},   Suffix{"w", "W"},
    Suffix{"hz", "Hz"},     Suffix{"db", "dB"},     Suffix{"m", "m"},     Suffix{"mm", "mm"},   Suffix{"s", "s"},
    Suffix{"ms", "ms"},     Suffix{"rpm", "rpm"},   Suffix{"mib", "MiB"}, Suffix{"kib", "KiB"}, Suffix{"b", "B"},
};

}  // namespace

QuantityInfo describe_quantity(std::string_view key) noexcept {
    for (const QuantityInfo& info : kKnown) {
        if (info.key == key) return info;
    }
    QuantityInfo info;
    info.key = key;
    info.label = key;
    const std::size_t underscore = key.rfind('_');
    if (underscore != std::string_view::npos) {
        const std::string_view suffix = key.substr(underscore + 1);
        for (const Suffix& known : kSuffixes) {
            if (known.suffix == suffix) info.unit = known.unit;
        }
    }
    return info;
}

std::string metric_name(const QuantityInfo& info) {
    if (!info.metric.empty()) return std::string(info.metric);
    return "sensor_" + std::string(info.key);
}

std::string fixed_text(double value, int decimals) {
    if (!std::isfinite(value)) return "\u2014";  // an em dash: no value
    if (decimals < 0) decimals = 0;
    if (decimals > 6) decimals = 6;
    char text[64];
    std::snprintf(text, sizeof text, "%.*f", decimals, value);
    std::string result(text);
    // "-0.00" is zero: printed without its sign.
    if (result.front() == '-' && result.find_first_not_of("-0.") == std::string::npos) result.erase(0, 1);
    return result;
}

}  // namespace sensor_server
