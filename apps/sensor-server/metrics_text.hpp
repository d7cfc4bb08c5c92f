#pragma once
// The Prometheus text format of /metrics, for the parts of the app that add figures of their own.

#include <string>
#include <string_view>

namespace sensor_server {

/// A family's "# HELP" and "# TYPE" lines, once before its samples. `help` is plain text (no
/// backslash, no line break: the format would need them escaped).
void append_metric_family(std::string& out, std::string_view name, std::string_view type, std::string_view help);
/// One sample: `name` (with its labels, if any) and the value.
void append_metric_sample(std::string& out, std::string_view name, double value);

}  // namespace sensor_server
