#pragma once
// What the fleet view knows of each device seen on the broker: its status, its last reading and
// when it was last heard from. Pure bookkeeping, fed with MQTT messages by fleet.cpp; bounded in
// devices and in the size of a reading.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace sensor_server {

struct FleetDevice {
    std::string status = "unknown";     ///< "online", "offline" or "unknown" (nothing said yet)
    std::string reading;                ///< the last reading, a JSON object; empty: none yet
    std::optional<std::int64_t> last_seen_ms;  ///< Unix ms of the last message accepted
    std::uint64_t version = 0;          ///< the fleet's change count at this device's last change
};

class FleetState {
public:
    /// Devices tracked; messages of further devices are ignored (and counted).
    static constexpr std::size_t kMaxDevices = 1000;
    /// The largest reading accepted (a reading of sensor-server is about 100 bytes).
    static constexpr std::size_t kMaxReadingBytes = 4096;

    /// Takes a message on PREFIX/reading or PREFIX/status. True if it changed a device; false
    /// if it was ignored: another topic, a reading that is not a JSON object or too large, a
    /// status other than online/offline, or a new device beyond kMaxDevices.
    bool apply(std::string_view topic, std::string_view payload, std::int64_t now_ms);

    /// {"sensors/a":{"status":"online","reading":{...},"last_seen_ms":1732550000000},...}
    void append_json(std::string& out) const;
    /// {"device":"sensors/a","status":...,"reading":...,"last_seen_ms":...}
    static void append_device_json(std::string& out, std::string_view prefix, const FleetDevice& device);

    [[nodiscard]] const std::map<std::string, FleetDevice, std::less<>>& devices() const noexcept { return m_devices; }
    /// Grows with every change: a live client sends the devices whose version is above the
    /// one it sent last.
    [[nodiscard]] std::uint64_t version() const noexcept { return m_version; }
    [[nodiscard]] std::uint64_t ignored() const noexcept { return m_ignored; }

private:
    FleetDevice* device(std::string_view prefix);
    /// "status", "reading" and "last_seen_ms" of one device, without braces.
    static void append_device_fields(std::string& out, const FleetDevice& device);

    std::map<std::string, FleetDevice, std::less<>> m_devices;
    std::uint64_t m_version = 0;
    std::uint64_t m_ignored = 0;
};

/// True if `text` is one JSON object (RFC 8259), nested at most 32 deep.
[[nodiscard]] bool is_json_object(std::string_view text) noexcept;

}  // namespace sensor_server
