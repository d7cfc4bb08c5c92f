#pragma once
// The facts GET /api/device and the dashboard's device panel show: the lecture's IP / netmask /
// gateway / DNS recap (MicroPython's network.WLAN().ifconfig()), the platform, uptime and memory.
// Portable: each main fills a DeviceInfo with what its platform knows (Linux: linux_device.cpp;
// a board: its lwIP netif and allocator), and the app reads it at request time.

#include <cstddef>
#include <functional>
#include <optional>
#include <string>

namespace sensor_server {

/// Dotted text ("192.168.1.20"), or "unknown" for a fact the platform cannot find.
struct NetworkInfo {
    std::string hostname = "unknown";
    std::string ip = "unknown";
    std::string netmask = "unknown";
    std::string gateway = "unknown";
    std::string dns = "unknown";
};

/// What the app knows about the device it runs on. Every function is called on the loop's thread
/// when a request needs it, never stored results: network facts change after start (DHCP), and
/// uptime and free heap always do. An unset function means "not known here".
///
///   DeviceInfo device;
///   device.platform = "mps2-an385 (Cortex-M3, lwIP)";
///   device.network = [] { return board_network_info(); };   // reads the netif now
///   device.free_heap_bytes = [] { return std::optional<std::size_t>(board_free_heap()); };
struct DeviceInfo {
    /// "linux", "mps2-an385 (Cortex-M3, lwIP)": shown as is.
    std::string platform = "unknown";
    /// The network facts now. Unset: every fact "unknown".
    std::function<NetworkInfo()> network;
    /// Seconds since the device (or process) started. Unset: seconds since the App was made, by
    /// the event loop's clock (which on a board is its tick counter).
    std::function<double()> uptime_s;
    /// Heap bytes still free (a board's allocator). Unset or nullopt: JSON null, no panel row.
    std::function<std::optional<std::size_t>()> free_heap_bytes;
    /// The process's resident memory, for /metrics' process_resident_memory_bytes. Unset or
    /// nullopt: that metric is left out.
    std::function<std::optional<std::size_t>()> resident_memory_bytes;
};

}  // namespace sensor_server
