#pragma once
// Linux only: the network facts read from the OS (the board reads its lwIP netif instead).

#include "device_info.hpp"

namespace sensor_server {

/// Reads them now (gethostname, getifaddrs, /proc/net/route, /etc/resolv.conf). A fact that
/// cannot be found is "unknown".
[[nodiscard]] NetworkInfo read_network_info();

}  // namespace sensor_server
