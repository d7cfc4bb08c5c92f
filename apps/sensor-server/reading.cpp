#include "reading.hpp"
#include "number_text.hpp"

#include <charconv>
#include <chrono>
#include <cmath>

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

std::int64_t unix_ms() noexcept {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

}  // namespace sensor_server
