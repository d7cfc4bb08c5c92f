#pragma once
// What each quantity a sensor source reports is: its label, the unit shown, how many decimals
// the page gives it, and its name in /metrics (Prometheus base units). One table for the
// server-rendered page, /api/quantities, /metrics and the CSV export, so that a quantity looks
// the same everywhere. A key the table does not know (a new driver's) still gets a label (the
// key itself), a unit from its suffix ("_c", "_pct", "_hpa"...) and two decimals.

#include <string>
#include <string_view>

namespace sensor_server {

struct QuantityInfo {
    std::string_view key;     ///< the reading's name: "temperature_c"
    std::string_view label;   ///< "Temperature"
    std::string_view unit;    ///< as shown: "°C"; empty for a plain number (a load average)
    int decimals = 2;         ///< fixed decimals on the page, so values keep their width
    /// The /metrics family in base units ("sensor_temperature_celsius"); empty: "sensor_" + key.
    std::string_view metric;
    double metric_scale = 1;  ///< metric value = reading value * metric_scale (hPa -> Pa: 100)
    std::string_view help;    ///< the family's # HELP text (empty: a generic one)
    std::string_view icon;    ///< an SVG path (24x24) for the card, or empty
    std::string_view tone;    ///< the CSS colour of the card and chart line ("temperature"), or empty
};

/// The table's entry for `key`, or one derived from its suffix. Every view is static.
[[nodiscard]] QuantityInfo describe_quantity(std::string_view key) noexcept;

/// The /metrics family name of `info`: its `metric`, or "sensor_" + key.
[[nodiscard]] std::string metric_name(const QuantityInfo& info);

/// `value` with exactly `decimals` decimals, as a person writes it ("21.50", "1013.3", "-0.5";
/// never "-0.0"). For the server-rendered page and the CSV; the browser formats for its locale.
[[nodiscard]] std::string fixed_text(double value, int decimals);

}  // namespace sensor_server
