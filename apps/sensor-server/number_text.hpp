#pragma once
// Numbers as JSON and page text: the shortest text that reads back as the same double, and a
// strict parser for flags. One place, because a board formats them differently: std::to_chars and
// std::from_chars for double bring about 140 KB of tables (Ryu, fast_float) into a firmware
// image, so a build that defines SENSOR_SERVER_COMPACT_NUMBERS=1 (the board's) uses the C
// library's printf/strtod instead. Both give the shortest round-trip text (the style of an
// exponent may differ: "1e+21" either way, but a large round number may come out in full).

#include <charconv>
#include <concepts>
#include <string>
#include <string_view>

namespace sensor_server {

/// Appends the shortest text of `value` that parses back to it exactly. `value` must be finite.
void append_number(std::string& out, double value);
/// Appends an integer in decimal.
template <std::integral Integer>
void append_number(std::string& out, Integer value) {
    char text[24];
    out.append(text, std::to_chars(text, text + sizeof text, value).ptr);
}

/// The same as a string.
[[nodiscard]] std::string number_text(double value);

/// Parses all of `text` as a finite decimal number (no spaces, no sign '+', no "inf"/"nan").
/// False if it is anything else.
[[nodiscard]] bool parse_number(std::string_view text, double& value);

}  // namespace sensor_server
