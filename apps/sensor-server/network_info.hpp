#pragma once
// The device's network facts the lecture reads on the ESP32 (network.WLAN().ifconfig()):
// host name, IP address, netmask, gateway and DNS server.

#include <string>

namespace sensor_server {

struct NetworkInfo {
    std::string hostname;
    std::string ip;
    std::string netmask;
    std::string gateway;
    std::string dns;
};

/// Reads them from the OS (gethostname, getifaddrs, /proc/net/route, /etc/resolv.conf). A fact
/// that cannot be found is "unknown".
[[nodiscard]] NetworkInfo read_network_info();

}  // namespace sensor_server
