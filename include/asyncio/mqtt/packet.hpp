#pragma once
// MQTT control packets: what they hold, how a client encodes the ones it sends and decodes the
// ones it receives. Pure functions over bytes: no I/O, no allocation when decoding (the decoded
// packet's views point into the input), and encoding appends to a caller's buffer (the Stream's
// output buffer, so a steady stream of publishes allocates nothing once it has grown).
//
// Versions: MQTT 3.1.1 (protocol level 4, OASIS standard 2014) and MQTT 5.0 (level 5, 2019).
// Section numbers in comments are the 3.1.1 specification's unless marked "5.0".

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace asyncio::mqtt {

enum class ProtocolVersion : std::uint8_t { v311 = 4, v5 = 5 };

/// Quality of service (section 4.3).
enum class QoS : std::uint8_t { at_most_once = 0, at_least_once = 1, exactly_once = 2 };

/// Control packet types (section 2.2.1).
enum class PacketType : std::uint8_t {
    connect = 1,
    connack = 2,
    publish = 3,
    puback = 4,
    pubrec = 5,
    pubrel = 6,
    pubcomp = 7,
    subscribe = 8,
    suback = 9,
    unsubscribe = 10,
    unsuback = 11,
    pingreq = 12,
    pingresp = 13,
    disconnect = 14,
};

/// The largest value the Remaining Length field can hold (section 2.2.3): 256 MiB - 1.
inline constexpr std::size_t kMaxRemainingLength = 268'435'455;
/// UTF-8 strings carry a two-byte length (section 1.5.3).
inline constexpr std::size_t kMaxStringLength = 65'535;

struct WillFields {
    std::string_view topic;
    std::string_view payload;
    QoS qos = QoS::at_most_once;
    bool retain = false;
};

struct ConnectFields {
    ProtocolVersion version = ProtocolVersion::v311;
    std::string_view client_id;
    bool clean_start = true;
    std::uint16_t keepalive_seconds = 60;
    std::optional<WillFields> will;
    std::optional<std::string_view> username;
    std::optional<std::string_view> password;
    /// 5.0 only (section 5.0 3.1.2.11.2): seconds the broker keeps the session after the
    /// connection ends; 0 (the default) ends it with the connection.
    std::uint32_t session_expiry_interval = 0;
};

struct PublishFields {
    std::string_view topic;
    std::string_view payload;
    QoS qos = QoS::at_most_once;
    bool retain = false;
    bool dup = false;
    std::uint16_t packet_id = 0;  ///< only for QoS 1 and 2
};

// --- encoding: appends one packet to `out` ---

void encode_connect(std::string& out, const ConnectFields& fields);
void encode_publish(std::string& out, ProtocolVersion version, const PublishFields& fields);
/// PUBACK, PUBREC, PUBREL or PUBCOMP: the packet identifier only (in 5.0 the reason code
/// "success" may be left out, section 5.0 3.4.2.1).
void encode_ack(std::string& out, PacketType type, std::uint16_t packet_id);
/// SUBSCRIBE with one topic filter.
void encode_subscribe(std::string& out, ProtocolVersion version, std::uint16_t packet_id, std::string_view filter,
                      QoS qos);
/// UNSUBSCRIBE with one topic filter.
void encode_unsubscribe(std::string& out, ProtocolVersion version, std::uint16_t packet_id, std::string_view filter);
void encode_pingreq(std::string& out);
void encode_disconnect(std::string& out, ProtocolVersion version);
/// The bytes a PUBLISH of these fields takes, to check max_packet_size before encoding.
[[nodiscard]] std::size_t publish_packet_size(ProtocolVersion version, const PublishFields& fields) noexcept;

// Encoders of the broker's packets, for tests and fake brokers.
void encode_connack(std::string& out, ProtocolVersion version, bool session_present, std::uint8_t code);
void encode_suback(std::string& out, ProtocolVersion version, std::uint16_t packet_id, std::uint8_t code);

// --- decoding: the packets a client receives ---

/// One decoded packet. Views point into the decoded bytes.
struct Packet {
    PacketType type = PacketType::pingresp;
    std::uint16_t packet_id = 0;
    // PUBLISH
    std::string_view topic;
    std::string_view payload;
    QoS qos = QoS::at_most_once;
    bool retain = false;
    bool dup = false;
    // CONNACK
    bool session_present = false;
    /// CONNACK return code; 5.0: the reason code of CONNACK, the acks and DISCONNECT (0 if absent).
    std::uint8_t reason_code = 0;
    /// SUBACK/UNSUBACK (5.0): one return code per filter.
    std::string_view return_codes;
};

enum class DecodeStatus : std::uint8_t {
    complete,    ///< `packet` is set, `size` bytes were used
    incomplete,  ///< more bytes are needed; nothing is wrong so far
    malformed,   ///< `error` says which rule was broken; the connection must be closed
    too_large,   ///< the packet is larger than the limit (known from its header already)
};

struct DecodeResult {
    DecodeStatus status = DecodeStatus::incomplete;
    std::size_t size = 0;
    Packet packet;
    const char* error = "";
};

/// Decodes the first packet of `bytes`, a packet a server may send to a client (CONNACK,
/// PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK, PINGRESP; in 5.0 DISCONNECT too).
/// Packets larger than `max_packet_size` (fixed header included) are refused as soon as their
/// header is in, before their body is buffered. Never reads outside `bytes`.
[[nodiscard]] DecodeResult decode_packet(std::string_view bytes, ProtocolVersion version,
                                         std::size_t max_packet_size) noexcept;

}  // namespace asyncio::mqtt
