#include "number_text.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#ifndef SENSOR_SERVER_COMPACT_NUMBERS
#define SENSOR_SERVER_COMPACT_NUMBERS 0
#endif

namespace sensor_server {

void append_number(std::string& out, double value) {
    char text[32];
#if SENSOR_SERVER_COMPACT_NUMBERS
    // 15 significant digits reproduce every decimal of up to 15 digits exactly (DBL_DIG), and %g
    // drops the trailing zeros, so the first precision that reads back is the shortest text.
    int length = 0;
    for (int precision = 15; precision <= 17; ++precision) {
        length = std::snprintf(text, sizeof text, "%.*g", precision, value);
        if (std::strtod(text, nullptr) == value) break;
    }
    out.append(text, static_cast<std::size_t>(length));
#else
    out.append(text, std::to_chars(text, text + sizeof text, value).ptr);
#endif
}

std::string number_text(double value) {
    std::string text;
    append_number(text, value);
    return text;
}

bool parse_number(std::string_view text, double& value) {
    if (text.empty() || text.size() > 64) return false;
#if SENSOR_SERVER_COMPACT_NUMBERS
    // strtod also takes leading spaces, '+', hexadecimal and "inf": only plain decimals pass.
    for (const char c : text) {
        const bool plain = (c >= '0' && c <= '9') || c == '.' || c == '-' || c == 'e' || c == 'E';
        if (!plain) return false;
    }
    const std::string copy(text);  // strtod needs a terminated string
    char* end = nullptr;
    value = std::strtod(copy.c_str(), &end);
    return end == copy.c_str() + copy.size() && std::isfinite(value);
#else
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    return error == std::errc{} && end == text.data() + text.size() && std::isfinite(value);
#endif
}

}  // namespace sensor_server
