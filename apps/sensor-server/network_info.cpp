// Linux only: the network facts from the OS, read each time they are asked for.
#include "network_info.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <unistd.h>

#include <charconv>
#include <cstdint>
#include <fstream>
#include <sstream>

namespace sensor_server {

namespace {

std::string ipv4_text(const sockaddr* address) {
    char text[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(address)->sin_addr, text, sizeof text);
    return text;
}

/// The first IPv4 address of an interface that is up and not loopback.
void read_interface(NetworkInfo& info) {
    ifaddrs* interfaces = nullptr;
    if (getifaddrs(&interfaces) != 0) return;
    for (ifaddrs* entry = interfaces; entry != nullptr; entry = entry->ifa_next) {
        if (entry->ifa_addr == nullptr || entry->ifa_addr->sa_family != AF_INET) continue;
        if ((entry->ifa_flags & IFF_UP) == 0 || (entry->ifa_flags & IFF_LOOPBACK) != 0) continue;
        info.ip = ipv4_text(entry->ifa_addr);
        if (entry->ifa_netmask != nullptr) info.netmask = ipv4_text(entry->ifa_netmask);
        break;
    }
    freeifaddrs(interfaces);
}

/// The default route's gateway from /proc/net/route (hex, little-endian).
std::string read_gateway() {
    std::ifstream routes("/proc/net/route");
    std::string line;
    std::getline(routes, line);  // header
    while (std::getline(routes, line)) {
        std::istringstream fields(line);
        std::string interface, destination, gateway;
        if (!(fields >> interface >> destination >> gateway)) continue;
        if (destination != "00000000") continue;
        std::uint32_t value = 0;
        const auto [end, error] = std::from_chars(gateway.data(), gateway.data() + gateway.size(), value, 16);
        if (error != std::errc{} || end != gateway.data() + gateway.size()) continue;
        in_addr address{};
        address.s_addr = value;
        char text[INET_ADDRSTRLEN] = {};
        inet_ntop(AF_INET, &address, text, sizeof text);
        return text;
    }
    return {};
}

/// The first IPv4 name server of /etc/resolv.conf (the facts are dotted text, as on the device).
std::string read_dns() {
    std::ifstream resolv("/etc/resolv.conf");
    std::string key, value;
    while (resolv >> key) {
        in_addr address{};
        if (key == "nameserver" && resolv >> value && inet_pton(AF_INET, value.c_str(), &address) == 1) return value;
        std::getline(resolv, value);
    }
    return {};
}

}  // namespace

NetworkInfo read_network_info() {
    NetworkInfo info{{}, {}, {}, {}, {}};  // empty until found
    char name[256] = {};
    if (gethostname(name, sizeof name - 1) == 0) info.hostname = name;
    read_interface(info);
    info.gateway = read_gateway();
    info.dns = read_dns();
    for (std::string* fact : {&info.hostname, &info.ip, &info.netmask, &info.gateway, &info.dns}) {
        if (fact->empty()) *fact = "unknown";
    }
    return info;
}

}  // namespace sensor_server
