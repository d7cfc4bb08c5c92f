// Decoding of the packets a server sends to a client. Every read is bounds-checked against the
// packet's own remaining length; a rule broken is reported as `malformed` with the rule's text.
#include <asyncio/mqtt/packet.hpp>
#include <asyncio/mqtt/topic.hpp>

namespace asyncio::mqtt {
namespace {

/// A cursor over one packet's variable header and payload.
class Reader {
public:
    explicit Reader(std::string_view body) noexcept : m_body(body) {}

    [[nodiscard]] std::size_t left() const noexcept { return m_body.size() - m_pos; }
    [[nodiscard]] std::string_view rest() const noexcept { return m_body.substr(m_pos); }

    bool u8(std::uint8_t& value) noexcept {
        if (left() < 1) return false;
        value = static_cast<std::uint8_t>(m_body[m_pos++]);
        return true;
    }
    bool u16(std::uint16_t& value) noexcept {
        std::uint8_t high = 0;
        std::uint8_t low = 0;
        if (left() < 2) return false;
        (void)u8(high);
        (void)u8(low);
        value = static_cast<std::uint16_t>(high << 8 | low);
        return true;
    }
    /// A two-byte length and that many bytes (section 1.5.3).
    bool string(std::string_view& value) noexcept {
        std::uint16_t size = 0;
        if (!u16(size) || left() < size) return false;
        value = m_body.substr(m_pos, size);
        m_pos += size;
        return true;
    }
    bool u32(std::uint32_t& value) noexcept {
        std::uint16_t high = 0;
        std::uint16_t low = 0;
        if (left() < 4) return false;
        (void)u16(high);
        (void)u16(low);
        value = std::uint32_t{high} << 16 | low;
        return true;
    }
    /// A Variable Byte Integer (section 1.5.5): at most four bytes.
    bool varint(std::size_t& value) noexcept {
        value = 0;
        for (int shift = 0; shift < 28; shift += 7) {
            std::uint8_t byte = 0;
            if (!u8(byte)) return false;
            value |= static_cast<std::size_t>(byte & 0x7F) << shift;
            if ((byte & 0x80) == 0) return true;
        }
        return false;
    }
    /// The next `size` bytes (the caller checked left()).
    std::string_view take(std::size_t size) noexcept {
        const std::string_view taken = m_body.substr(m_pos, size);
        m_pos += size;
        return taken;
    }
    /// 5.0 section 2.2.2: a Variable Byte Integer length, then the properties, skipped here.
    bool skip_properties() noexcept {
        std::size_t size = 0;
        if (!varint(size) || left() < size) return false;
        m_pos += size;
        return true;
    }

private:
    std::string_view m_body;
    std::size_t m_pos = 0;
};

// --- 5.0 properties (section 5.0 2.2.2) of the packets other than PUBLISH ---

/// How a property's value is written (section 5.0 2.2.2.2).
enum class ValueType : std::uint8_t { byte, two_bytes, four_bytes, string, binary, string_pair };

/// Which packets may carry a property: a bit each.
enum Carrier : std::uint8_t { kConnack = 1, kAck = 2, kDisconnect = 4 };

struct PropertyRule {
    std::uint8_t id;
    ValueType type;
    std::uint8_t carriers;
};

/// Every property a server's CONNACK, acknowledgement (PUBACK to PUBCOMP, SUBACK, UNSUBACK) or
/// DISCONNECT may carry (section 5.0 2.2.2.2); any other is a malformed packet.
constexpr PropertyRule kServerProperties[] = {
    {0x11, ValueType::four_bytes, kConnack | kDisconnect},        // Session Expiry Interval
    {0x12, ValueType::string, kConnack},                          // Assigned Client Identifier
    {0x13, ValueType::two_bytes, kConnack},                       // Server Keep Alive
    {0x15, ValueType::string, kConnack},                          // Authentication Method
    {0x16, ValueType::binary, kConnack},                          // Authentication Data
    {0x1A, ValueType::string, kConnack},                          // Response Information
    {0x1C, ValueType::string, kConnack | kDisconnect},            // Server Reference
    {0x1F, ValueType::string, kConnack | kAck | kDisconnect},     // Reason String
    {0x21, ValueType::two_bytes, kConnack},                       // Receive Maximum
    {0x22, ValueType::two_bytes, kConnack},                       // Topic Alias Maximum
    {0x24, ValueType::byte, kConnack},                            // Maximum QoS
    {0x25, ValueType::byte, kConnack},                            // Retain Available
    {0x26, ValueType::string_pair, kConnack | kAck | kDisconnect},  // User Property (may repeat)
    {0x27, ValueType::four_bytes, kConnack},                      // Maximum Packet Size
    {0x28, ValueType::byte, kConnack},                            // Wildcard Subscription Available
    {0x29, ValueType::byte, kConnack},                            // Subscription Identifier Available
    {0x2A, ValueType::byte, kConnack},                            // Shared Subscription Available
};
constexpr std::size_t kUserProperty = 0x26;

const PropertyRule* find_rule(std::size_t id) noexcept {
    for (const PropertyRule& rule : kServerProperties) {
        if (rule.id == id) return &rule;
    }
    return nullptr;
}

/// Reads one value of `type`: a number into `number`, a string or binary into `text`.
bool read_value(Reader& in, ValueType type, std::uint32_t& number, std::string_view& text) noexcept {
    std::uint8_t byte = 0;
    std::uint16_t two = 0;
    std::string_view name;
    switch (type) {
    case ValueType::byte:
        if (!in.u8(byte)) return false;
        number = byte;
        return true;
    case ValueType::two_bytes:
        if (!in.u16(two)) return false;
        number = two;
        return true;
    case ValueType::four_bytes: return in.u32(number);
    case ValueType::string:
    case ValueType::binary: return in.string(text);  // both: a two-byte length, then the bytes
    case ValueType::string_pair: return in.string(name) && in.string(text);
    }
    return false;
}

/// Keeps what the client acts on; nullptr, or the rule a value breaks (section 5.0 3.2.2.3).
const char* apply_property(std::size_t id, std::uint32_t number, std::string_view text, Packet& packet) noexcept {
    ConnackProperties& connack = packet.connack;
    switch (id) {
    case 0x12: connack.assigned_client_identifier = text; return nullptr;
    case 0x13: connack.server_keep_alive = static_cast<std::uint16_t>(number); return nullptr;
    case 0x1F: packet.reason_string = text; return nullptr;
    case 0x21:
        if (number == 0) return "Receive Maximum 0 (section 5.0 3.2.2.3.3)";
        connack.receive_maximum = static_cast<std::uint16_t>(number);
        return nullptr;
    case 0x24:
        if (number > 1) return "Maximum QoS other than 0 or 1 (section 5.0 3.2.2.3.4)";
        connack.maximum_qos = static_cast<QoS>(number);
        return nullptr;
    case 0x25:
        if (number > 1) return "Retain Available other than 0 or 1 (section 5.0 3.2.2.3.5)";
        connack.retain_available = number == 1;
        return nullptr;
    case 0x27:
        if (number == 0) return "Maximum Packet Size 0 (section 5.0 3.2.2.3.6)";
        connack.maximum_packet_size = number;
        return nullptr;
    case 0x28:
    case 0x29:
    case 0x2A: return number > 1 ? "a subscription feature flag other than 0 or 1 (section 5.0 3.2.2.3)" : nullptr;
    default: return nullptr;
    }
}

/// The property block of a CONNACK, an acknowledgement or a DISCONNECT (`carrier`), into
/// `packet`; nullptr, or the rule broken.
const char* read_properties(Reader& in, Carrier carrier, Packet& packet) noexcept {
    std::size_t size = 0;
    if (!in.varint(size) || in.left() < size) return "properties overrun the packet";
    Reader block(in.take(size));
    std::uint64_t seen = 0;  // bit `id`: every identifier here is below 64
    while (block.left() > 0) {
        std::size_t id = 0;
        if (!block.varint(id)) return "a property identifier overruns its block";
        const PropertyRule* rule = find_rule(id);
        if (rule == nullptr || (rule->carriers & carrier) == 0) return "a property this packet may not carry (section 5.0 2.2.2.2)";
        if (id != kUserProperty) {
            if ((seen >> id & 1) != 0) return "a property included twice (section 5.0 2.2.2.2)";
            seen |= std::uint64_t{1} << id;
        }
        std::uint32_t number = 0;
        std::string_view text;
        if (!read_value(block, rule->type, number, text)) return "a property's value overruns its block";
        if (const char* error = apply_property(id, number, text, packet)) return error;
    }
    return nullptr;
}

DecodeResult malformed(const char* error) noexcept {
    DecodeResult result;
    result.status = DecodeStatus::malformed;
    result.error = error;
    return result;
}

bool is_v5(ProtocolVersion version) { return version == ProtocolVersion::v5; }

/// Fixed header flags (section 2.2.2): PUBREL 0010, PUBLISH its own, every other packet 0000.
bool flags_allowed(PacketType type, std::uint8_t flags) {
    if (type == PacketType::publish) return true;
    if (type == PacketType::pubrel) return flags == 0x02;
    return flags == 0;
}

const char* decode_connack(Reader& in, ProtocolVersion version, Packet& packet) {
    std::uint8_t ack_flags = 0;
    if (!in.u8(ack_flags) || !in.u8(packet.reason_code)) return "CONNACK shorter than 2 bytes";
    if ((ack_flags & 0xFE) != 0) return "CONNACK reserved flag bits set (section 3.2.2.1)";
    packet.session_present = (ack_flags & 0x01) != 0;
    if (is_v5(version) && in.left() > 0) {
        if (const char* error = read_properties(in, kConnack, packet)) return error;
    }
    if (in.left() != 0) return "CONNACK longer than its fields";
    return nullptr;
}

const char* decode_publish(Reader& in, ProtocolVersion version, std::uint8_t flags, Packet& packet) {
    const auto qos = static_cast<std::uint8_t>((flags >> 1) & 0x03);
    if (qos == 3) return "PUBLISH with QoS 3 (section 3.3.1.2)";
    packet.qos = static_cast<QoS>(qos);
    packet.dup = (flags & 0x08) != 0;
    packet.retain = (flags & 0x01) != 0;
    if (packet.dup && packet.qos == QoS::at_most_once) return "PUBLISH with DUP set at QoS 0 (section 3.3.1.1)";
    if (!in.string(packet.topic)) return "PUBLISH topic overruns the packet";
    if (!is_valid_topic_name(packet.topic)) return "PUBLISH topic name invalid: empty, bad UTF-8 or a wildcard (section 3.3.2.1)";
    if (packet.qos != QoS::at_most_once) {
        if (!in.u16(packet.packet_id)) return "PUBLISH packet identifier missing";
        if (packet.packet_id == 0) return "PUBLISH packet identifier 0 (section 2.3.1)";
    }
    if (is_v5(version) && !in.skip_properties()) return "PUBLISH properties overrun the packet";
    packet.payload = in.rest();
    return nullptr;
}

/// PUBACK, PUBREC, PUBREL, PUBCOMP, and 3.1.1's UNSUBACK: a packet identifier (and in 5.0 an
/// optional reason code and properties, section 5.0 3.4.2).
const char* decode_ack(Reader& in, ProtocolVersion version, Packet& packet) {
    if (!in.u16(packet.packet_id)) return "acknowledgement without a packet identifier";
    if (packet.packet_id == 0) return "acknowledgement of packet identifier 0 (section 2.3.1)";
    if (is_v5(version)) {
        if (in.left() > 0) (void)in.u8(packet.reason_code);
        if (in.left() > 0) {
            if (const char* error = read_properties(in, kAck, packet)) return error;
        }
    }
    if (in.left() != 0) return "acknowledgement longer than its fields";
    return nullptr;
}

bool valid_suback_code(ProtocolVersion version, std::uint8_t code) {
    if (is_v5(version)) return code <= 2 || code >= 0x80;
    return code <= 2 || code == 0x80;  // section 3.9.3
}

/// SUBACK, and 5.0's UNSUBACK: packet identifier, (5.0) properties, one code per filter.
const char* decode_codes_ack(Reader& in, ProtocolVersion version, Packet& packet) {
    if (!in.u16(packet.packet_id)) return "SUBACK/UNSUBACK without a packet identifier";
    if (packet.packet_id == 0) return "SUBACK/UNSUBACK of packet identifier 0 (section 2.3.1)";
    if (is_v5(version)) {
        if (const char* error = read_properties(in, kAck, packet)) return error;
    }
    packet.return_codes = in.rest();
    if (packet.return_codes.empty()) return "SUBACK/UNSUBACK without a return code";
    if (packet.type == PacketType::suback) {
        for (char code : packet.return_codes) {
            if (!valid_suback_code(version, static_cast<std::uint8_t>(code))) return "SUBACK return code not allowed (section 3.9.3)";
        }
    }
    return nullptr;
}

const char* decode_disconnect(Reader& in, ProtocolVersion version, Packet& packet) {
    if (!is_v5(version)) return "DISCONNECT from a 3.1.1 server (only clients send it, section 3.14)";
    if (in.left() > 0) (void)in.u8(packet.reason_code);
    if (in.left() > 0) {
        if (const char* error = read_properties(in, kDisconnect, packet)) return error;
    }
    if (in.left() != 0) return "DISCONNECT longer than its fields";
    return nullptr;
}

const char* decode_body(std::string_view body, ProtocolVersion version, std::uint8_t flags, Packet& packet) {
    Reader in(body);
    switch (packet.type) {
    case PacketType::connack: return decode_connack(in, version, packet);
    case PacketType::publish: return decode_publish(in, version, flags, packet);
    case PacketType::puback:
    case PacketType::pubrec:
    case PacketType::pubrel:
    case PacketType::pubcomp: return decode_ack(in, version, packet);
    case PacketType::suback: return decode_codes_ack(in, version, packet);
    case PacketType::unsuback: return is_v5(version) ? decode_codes_ack(in, version, packet) : decode_ack(in, version, packet);
    case PacketType::pingresp: return body.empty() ? nullptr : "PINGRESP with a body (section 3.13)";
    case PacketType::disconnect: return decode_disconnect(in, version, packet);
    case PacketType::connect:
    case PacketType::subscribe:
    case PacketType::unsubscribe:
    case PacketType::pingreq: return "a packet only clients send";
    }
    return "reserved packet type (section 2.2.1)";
}

}  // namespace

DecodeResult decode_packet(std::string_view bytes, ProtocolVersion version, std::size_t max_packet_size) noexcept {
    DecodeResult result;
    if (bytes.empty()) return result;
    const auto first = static_cast<std::uint8_t>(bytes[0]);
    const auto type_number = static_cast<std::uint8_t>(first >> 4);
    const auto flags = static_cast<std::uint8_t>(first & 0x0F);
    if (type_number == 0 || type_number == 15) return malformed("reserved or unsupported packet type (section 2.2.1)");
    const auto type = static_cast<PacketType>(type_number);
    if (!flags_allowed(type, flags)) return malformed("fixed header flags not allowed for the packet type (section 2.2.2)");

    // Remaining Length (section 2.2.3): at most four bytes.
    std::size_t remaining = 0;
    std::size_t header_size = 1;
    for (int shift = 0;; shift += 7) {
        if (header_size >= bytes.size()) return result;  // incomplete
        const auto byte = static_cast<std::uint8_t>(bytes[header_size++]);
        remaining |= static_cast<std::size_t>(byte & 0x7F) << shift;
        if ((byte & 0x80) == 0) break;
        if (header_size == 5) return malformed("Remaining Length longer than four bytes (section 2.2.3)");
    }
    const std::size_t total = header_size + remaining;
    if (total > max_packet_size) {
        result.status = DecodeStatus::too_large;
        result.size = total;
        result.header_size = header_size;
        result.error = "packet larger than max_packet_size";
        return result;
    }
    if (bytes.size() < total) return result;  // incomplete

    result.packet.type = type;
    if (const char* error = decode_body(bytes.substr(header_size, remaining), version, flags, result.packet)) {
        return malformed(error);
    }
    result.status = DecodeStatus::complete;
    result.size = total;
    return result;
}

}  // namespace asyncio::mqtt
