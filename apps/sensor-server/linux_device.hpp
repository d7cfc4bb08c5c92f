#pragma once
// Linux only: the DeviceInfo the Linux main gives the app (platform, network facts read from the
// OS at each request, the process's resident memory).

#include "device_info.hpp"

#include <cstddef>
#include <optional>

namespace sensor_server {

/// platform "linux (<machine>)" (uname), network from read_network_info(), resident memory from
/// /proc/self/status; uptime is the app's own (since it started), free heap unknown.
[[nodiscard]] DeviceInfo linux_device_info();

/// VmRSS of /proc/self/status in bytes, or nullopt where there is no /proc.
[[nodiscard]] std::optional<std::size_t> read_resident_memory_bytes();

}  // namespace sensor_server
