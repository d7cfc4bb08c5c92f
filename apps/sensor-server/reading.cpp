#include "reading.hpp"
#include "number_text.hpp"

#include <asyncio/http/utc_time.hpp>

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>

namespace sensor_server {

void Reading::add(std::string_view name, double value) noexcept {
    if (count < kMaxQuantities) quantities[count++] = Quantity{name, value};
}

std::optional<double> Reading::get(std::string_view name) const noexcept {
    for (std::size_t i = 0; i < count; ++i) {
        if (quantities[i].name == name) return quantities[i].value;
    }
    return std::nullopt;
}

void append_json(std::string& out, const Reading& reading) {
    out.append("{\"ts\":");
    append_number(out, reading.ts_ms);
    for (std::size_t i = 0; i < reading.count; ++i) {
        const Quantity& quantity = reading.quantities[i];
        out.append(",\"").append(quantity.name).append("\":");
        if (std::isfinite(quantity.value)) {
            append_number(out, quantity.value);
        } else {
            out.append("null");  // JSON has no NaN or infinity
        }
    }
    out.push_back('}');
}

std::string iso_time(std::int64_t unix_ms, bool with_ms) {
    const std::int64_t seconds = unix_ms / 1000 - (unix_ms % 1000 < 0 ? 1 : 0);  // floor
    const int ms = static_cast<int>(unix_ms - seconds * 1000);
    const asyncio::http::UtcTime t = asyncio::http::utc_time(seconds);
    char text[128];  // room for any long long, so the compiler sees no truncation
    if (with_ms) {
        std::snprintf(text, sizeof text, "%04lld-%02d-%02dT%02d:%02d:%02d.%03dZ", static_cast<long long>(t.year),
                      t.month, t.day, t.hour, t.minute, t.second, ms);
    } else {
        std::snprintf(text, sizeof text, "%04lld-%02d-%02dT%02d:%02d:%02dZ", static_cast<long long>(t.year), t.month,
                      t.day, t.hour, t.minute, t.second);
    }
    return text;
}

std::int64_t unix_ms() noexcept {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace sensor_server
