#pragma once
// JSON text the API writes by hand (RFC 8259): strings escaped.

#include <string>
#include <string_view>

namespace sensor_server {

/// Appends `text` as a JSON string (quotes, backslashes and control characters escaped).
void append_json_string(std::string& out, std::string_view text);

}  // namespace sensor_server
