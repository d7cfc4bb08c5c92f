#pragma once
// One sensor reading: a time stamp and a few named quantities whose names carry their unit
// (temperature_c, humidity_pct, pressure_hpa). Fixed capacity and static names, so taking and
// serving a reading allocates nothing.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sensor_server {

struct Quantity {
    std::string_view name;  ///< a string literal: "temperature_c"
    double value = 0;
};

struct Reading {
    static constexpr std::size_t kMaxQuantities = 8;

    std::int64_t ts_ms = 0;  ///< Unix time in milliseconds
    std::array<Quantity, kMaxQuantities> quantities{};
    std::size_t count = 0;

    /// Adds a quantity (ignored past kMaxQuantities). `name` must outlive the reading.
    void add(std::string_view name, double value) noexcept;
    [[nodiscard]] std::optional<double> get(std::string_view name) const noexcept;
};

/// Appends the reading as one flat JSON object: {"ts":1732550000000,"temperature_c":21.5}.
/// Numbers use the shortest text that reads back as the same double, so 21.5 stays "21.5".
void append_json(std::string& out, const Reading& reading);

/// Unix milliseconds as UTC text: "2024-11-25T15:53:20Z", or with `with_ms` "2024-11-25T15:53:20.123Z".
[[nodiscard]] std::string iso_time(std::int64_t unix_ms, bool with_ms = false);

/// Unix time now, in milliseconds.
[[nodiscard]] std::int64_t unix_ms() noexcept;

}  // namespace sensor_server
