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

/// The protocol version, as its level byte in CONNECT: MQTT 3.1.1 (level 4, OASIS standard
/// 2014) or MQTT 5.0 (level 5, 2019).
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

/// The will of a CONNECT (section 3.1.2.5): a view of Will for encode_connect().
struct WillFields {
    std::string_view topic;       ///< the will's topic name
    std::string_view payload;     ///< the will's message
    QoS qos = QoS::at_most_once;  ///< Will QoS
    bool retain = false;          ///< Will Retain
};

/// What encode_connect() writes (section 3.1). The views must stay valid during the call only.
struct ConnectFields {
    ProtocolVersion version = ProtocolVersion::v311;  ///< the protocol level sent
    std::string_view client_id;                       ///< empty: the broker assigns one
    bool clean_start = true;                          ///< Clean Session (3.1.1) / Clean Start (5.0)
    std::uint16_t keepalive_seconds = 60;             ///< 0: no keepalive (section 3.1.2.10)
    std::optional<WillFields> will;                   ///< none: the Will Flag is 0
    std::optional<std::string_view> username;         ///< none: the User Name Flag is 0
    std::optional<std::string_view> password;         ///< none: the Password Flag is 0
    /// 5.0 only (section 5.0 3.1.2.11.2): seconds the broker keeps the session after the
    /// connection ends; 0 (the default) ends it with the connection.
    std::uint32_t session_expiry_interval = 0;
    /// 5.0 only (section 5.0 3.1.2.11.4): the largest packet the client accepts; the broker
    /// drops a message larger than this for this client instead of sending it. 0: not sent.
    std::uint32_t maximum_packet_size = 0;
};

/// What encode_publish() writes (section 3.3).
struct PublishFields {
    std::string_view topic;       ///< a topic name (not checked here)
    std::string_view payload;     ///< the message's bytes
    QoS qos = QoS::at_most_once;  ///< the QoS to publish with
    bool retain = false;          ///< the broker keeps it as the topic's retained message
    bool dup = false;             ///< a resend (section 3.3.1.1); QoS 1 and 2 only
    std::uint16_t packet_id = 0;  ///< only for QoS 1 and 2
};

// --- encoding: appends one packet to `out` ---
// Nothing is checked: each string must fit kMaxStringLength bytes and each packet
// kMaxRemainingLength (a longer string's length is written modulo 65536). Client checks topics
// and packet sizes before it encodes.

/// CONNECT (section 3.1); in 5.0 with the Session Expiry Interval property when it is not 0.
void encode_connect(std::string& out, const ConnectFields& fields);
/// PUBLISH (section 3.3); the packet identifier is written for QoS 1 and 2 only.
void encode_publish(std::string& out, ProtocolVersion version, const PublishFields& fields);
/// PUBACK, PUBREC, PUBREL or PUBCOMP: the packet identifier only (in 5.0 the reason code
/// "success" may be left out, section 5.0 3.4.2.1).
void encode_ack(std::string& out, PacketType type, std::uint16_t packet_id);
/// SUBSCRIBE with one topic filter.
void encode_subscribe(std::string& out, ProtocolVersion version, std::uint16_t packet_id, std::string_view filter,
                      QoS qos);
/// UNSUBSCRIBE with one topic filter.
void encode_unsubscribe(std::string& out, ProtocolVersion version, std::uint16_t packet_id, std::string_view filter);
/// PINGREQ (section 3.12).
void encode_pingreq(std::string& out);
/// DISCONNECT (section 3.14); in 5.0 without a reason code, which means 0x00, normal.
void encode_disconnect(std::string& out, ProtocolVersion version);
/// The bytes a PUBLISH of these fields takes, to check max_packet_size before encoding.
[[nodiscard]] std::size_t publish_packet_size(ProtocolVersion version, const PublishFields& fields) noexcept;

/// CONNACK with `code` (0: accepted), a broker's packet: for tests and fake brokers.
void encode_connack(std::string& out, ProtocolVersion version, bool session_present, std::uint8_t code);
/// SUBACK with one return code (the granted QoS, or 0x80), a broker's packet: for tests and fake
/// brokers.
void encode_suback(std::string& out, ProtocolVersion version, std::uint16_t packet_id, std::uint8_t code);

// --- decoding: the packets a client receives ---

/// What a 5.0 broker's CONNACK allows the connection (section 5.0 3.2.2.3). A property the
/// broker leaves out keeps the value the specification gives it; a 3.1.1 CONNACK has none.
struct ConnackProperties {
    std::uint16_t receive_maximum = 65535;  ///< QoS 1 and 2 PUBLISH packets it takes unacknowledged
    QoS maximum_qos = QoS::exactly_once;    ///< the highest QoS it accepts in a PUBLISH
    bool retain_available = true;           ///< false: it refuses a PUBLISH with RETAIN set
    std::uint32_t maximum_packet_size = 0;  ///< the largest packet it accepts; 0: no limit
    /// The keepalive to use instead of the one CONNECT asked for (Server Keep Alive).
    std::optional<std::uint16_t> server_keep_alive;
    /// The client identifier it assigned, when CONNECT's was empty.
    std::string_view assigned_client_identifier;
};

/// One decoded packet. Views point into the decoded bytes.
struct Packet {
    PacketType type = PacketType::pingresp;  ///< which packet; the fields below are those it has
    std::uint16_t packet_id = 0;  ///< PUBLISH at QoS 1/2, the acks, SUBACK, UNSUBACK; else 0
    // PUBLISH
    std::string_view topic;       ///< PUBLISH: the topic name (checked valid)
    std::string_view payload;     ///< PUBLISH: the message's bytes
    QoS qos = QoS::at_most_once;  ///< PUBLISH: its QoS
    bool retain = false;          ///< PUBLISH: a retained message (section 3.3.1.3)
    bool dup = false;             ///< PUBLISH: a resend (section 3.3.1.1)
    // CONNACK
    bool session_present = false;  ///< CONNACK: the broker kept the session (section 3.2.2.2)
    /// CONNACK return code; 5.0: the reason code of CONNACK, the acks and DISCONNECT (0 if absent).
    std::uint8_t reason_code = 0;
    /// SUBACK (and 5.0's UNSUBACK): one return code per filter.
    std::string_view return_codes;
    /// 5.0 CONNACK: its properties.
    ConnackProperties connack;
    /// 5.0 CONNACK, the acks, SUBACK, UNSUBACK and DISCONNECT: the broker's Reason String, if any.
    std::string_view reason_string;
};

/// What decode_packet() found at the start of its input.
enum class DecodeStatus : std::uint8_t {
    complete,    ///< `packet` is set, `size` bytes were used
    incomplete,  ///< more bytes are needed; nothing is wrong so far
    malformed,   ///< `error` says which rule was broken; the connection must be closed
    too_large,   ///< the packet is larger than the limit (known from its header already)
};

/// The outcome of decode_packet().
struct DecodeResult {
    DecodeStatus status = DecodeStatus::incomplete;  ///< see DecodeStatus
    std::size_t size = 0;  ///< complete: the packet's bytes (drop them); too_large: its announced size
    std::size_t header_size = 0;  ///< too_large: the bytes of its fixed header (type, flags, length)
    Packet packet;         ///< complete: the packet; its views point into the decoded bytes
    const char* error = "";  ///< malformed, too_large: the rule broken (static text); else ""
};

/// Decodes the first packet of `bytes`, a packet a server may send to a client (CONNACK,
/// PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK, PINGRESP; in 5.0 DISCONNECT too).
/// Packets larger than `max_packet_size` (fixed header included) are refused as soon as their
/// header is in, before their body is buffered. Never reads outside `bytes`.
[[nodiscard]] DecodeResult decode_packet(std::string_view bytes, ProtocolVersion version,
                                         std::size_t max_packet_size) noexcept;

}  // namespace asyncio::mqtt
