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
    /// 5.0 section 2.2.2: a Variable Byte Integer length, then the properties, skipped here.
    bool skip_properties() noexcept {
        std::size_t size = 0;
        for (int shift = 0; shift < 28; shift += 7) {
            std::uint8_t byte = 0;
            if (!u8(byte)) return false;
            size |= static_cast<std::size_t>(byte & 0x7F) << shift;
            if ((byte & 0x80) == 0) {
                if (left() < size) return false;
                m_pos += size;
                return true;
            }
        }
        return false;
    }

private:
    std::string_view m_body;
    std::size_t m_pos = 0;
};

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
    if (is_v5(version) && in.left() > 0 && !in.skip_properties()) return "CONNACK properties overrun the packet";
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
        if (in.left() > 0 && !in.skip_properties()) return "acknowledgement properties overrun the packet";
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
    if (is_v5(version) && !in.skip_properties()) return "SUBACK/UNSUBACK properties overrun the packet";
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
    if (in.left() > 0 && !in.skip_properties()) return "DISCONNECT properties overrun the packet";
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
