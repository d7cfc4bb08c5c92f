#include "linux_device.hpp"

#include "network_info.hpp"

#include <sys/utsname.h>

#include <fstream>
#include <string>

namespace sensor_server {

std::optional<std::size_t> read_resident_memory_bytes() {
    std::ifstream status("/proc/self/status");
    std::string key, rest;
    std::size_t kib = 0;
    while (status >> key) {
        if (key == "VmRSS:" && status >> kib) return kib * 1024;
        std::getline(status, rest);
    }
    return std::nullopt;
}

DeviceInfo linux_device_info() {
    DeviceInfo device;
    device.platform = "linux";
    utsname names{};
    if (uname(&names) == 0) device.platform.append(" (").append(names.machine).append(")");
    device.network = read_network_info;
    device.resident_memory_bytes = read_resident_memory_bytes;
    return device;
}

}  // namespace sensor_server
