// Encoding of the packets a client sends (and, for tests, CONNACK and SUBACK).
#include <asyncio/mqtt/packet.hpp>

namespace asyncio::mqtt {
namespace {

constexpr std::uint8_t kConnectFlagUsername = 0x80;  // section 3.1.2.3
constexpr std::uint8_t kConnectFlagPassword = 0x40;
constexpr std::uint8_t kConnectFlagWillRetain = 0x20;
constexpr std::uint8_t kConnectFlagWill = 0x04;
constexpr std::uint8_t kConnectFlagCleanStart = 0x02;
constexpr std::uint8_t kPropertySessionExpiry = 0x11;  // 5.0 section 2.2.2.2
constexpr std::uint8_t kPropertyMaximumPacketSize = 0x27;

std::uint8_t first_byte(PacketType type, std::uint8_t flags) {
    return static_cast<std::uint8_t>(static_cast<std::uint8_t>(type) << 4 | flags);
}

std::size_t varint_size(std::size_t value) {
    if (value < 128) return 1;
    if (value < 16'384) return 2;
    if (value < 2'097'152) return 3;
    return 4;
}

/// Variable Byte Integer (section 2.2.3): 7 bits a byte, least significant first.
void put_varint(std::string& out, std::size_t value) {
    do {
        auto byte = static_cast<std::uint8_t>(value % 128);
        value /= 128;
        if (value > 0) byte |= 0x80;
        out.push_back(static_cast<char>(byte));
    } while (value > 0);
}

void put_u8(std::string& out, std::uint8_t value) { out.push_back(static_cast<char>(value)); }

void put_u16(std::string& out, std::uint16_t value) {
    put_u8(out, static_cast<std::uint8_t>(value >> 8));
    put_u8(out, static_cast<std::uint8_t>(value & 0xFF));
}

void put_u32(std::string& out, std::uint32_t value) {
    put_u16(out, static_cast<std::uint16_t>(value >> 16));
    put_u16(out, static_cast<std::uint16_t>(value & 0xFFFF));
}

/// UTF-8 string or binary data: a two-byte length, then the bytes (sections 1.5.3, 3.1.3.3).
void put_string(std::string& out, std::string_view text) {
    put_u16(out, static_cast<std::uint16_t>(text.size()));
    out.append(text);
}

void put_header(std::string& out, PacketType type, std::uint8_t flags, std::size_t remaining) {
    put_u8(out, first_byte(type, flags));
    put_varint(out, remaining);
}

bool is_v5(ProtocolVersion version) { return version == ProtocolVersion::v5; }

std::size_t connect_properties_size(const ConnectFields& fields) {
    return (fields.session_expiry_interval != 0 ? 5 : 0) + (fields.maximum_packet_size != 0 ? 5 : 0);
}

std::size_t connect_remaining_length(const ConnectFields& fields) {
    std::size_t size = 10;  // "MQTT", level, flags, keepalive (section 3.1.2)
    if (is_v5(fields.version)) {
        const std::size_t properties = connect_properties_size(fields);
        size += varint_size(properties) + properties;
    }
    size += 2 + fields.client_id.size();
    if (fields.will) {
        if (is_v5(fields.version)) size += 1;  // empty will properties (5.0 section 3.1.3.2)
        size += 2 + fields.will->topic.size() + 2 + fields.will->payload.size();
    }
    if (fields.username) size += 2 + fields.username->size();
    if (fields.password) size += 2 + fields.password->size();
    return size;
}

std::uint8_t connect_flags(const ConnectFields& fields) {
    std::uint8_t flags = 0;
    if (fields.username) flags |= kConnectFlagUsername;
    if (fields.password) flags |= kConnectFlagPassword;
    if (fields.will) {
        flags |= kConnectFlagWill;
        flags |= static_cast<std::uint8_t>(static_cast<std::uint8_t>(fields.will->qos) << 3);
        if (fields.will->retain) flags |= kConnectFlagWillRetain;
    }
    if (fields.clean_start) flags |= kConnectFlagCleanStart;
    return flags;
}

std::size_t publish_remaining_length(ProtocolVersion version, const PublishFields& fields) {
    std::size_t size = 2 + fields.topic.size() + fields.payload.size();
    if (fields.qos != QoS::at_most_once) size += 2;
    if (is_v5(version)) size += 1;  // empty properties
    return size;
}

}  // namespace

void encode_connect(std::string& out, const ConnectFields& fields) {
    put_header(out, PacketType::connect, 0, connect_remaining_length(fields));
    put_string(out, "MQTT");
    put_u8(out, static_cast<std::uint8_t>(fields.version));
    put_u8(out, connect_flags(fields));
    put_u16(out, fields.keepalive_seconds);
    if (is_v5(fields.version)) {
        put_varint(out, connect_properties_size(fields));
        if (fields.session_expiry_interval != 0) {
            put_u8(out, kPropertySessionExpiry);
            put_u32(out, fields.session_expiry_interval);
        }
        if (fields.maximum_packet_size != 0) {
            put_u8(out, kPropertyMaximumPacketSize);
            put_u32(out, fields.maximum_packet_size);
        }
    }
    put_string(out, fields.client_id);
    if (fields.will) {
        if (is_v5(fields.version)) put_varint(out, 0);
        put_string(out, fields.will->topic);
        put_string(out, fields.will->payload);
    }
    if (fields.username) put_string(out, *fields.username);
    if (fields.password) put_string(out, *fields.password);
}

std::size_t publish_packet_size(ProtocolVersion version, const PublishFields& fields) noexcept {
    const std::size_t remaining = publish_remaining_length(version, fields);
    return 1 + varint_size(remaining) + remaining;
}

void encode_publish(std::string& out, ProtocolVersion version, const PublishFields& fields) {
    // Fixed header flags (section 3.3.1): DUP, QoS (two bits), RETAIN.
    auto flags = static_cast<std::uint8_t>(static_cast<std::uint8_t>(fields.qos) << 1);
    if (fields.dup) flags |= 0x08;
    if (fields.retain) flags |= 0x01;
    put_header(out, PacketType::publish, flags, publish_remaining_length(version, fields));
    put_string(out, fields.topic);
    if (fields.qos != QoS::at_most_once) put_u16(out, fields.packet_id);
    if (is_v5(version)) put_varint(out, 0);
    out.append(fields.payload);
}

void encode_ack(std::string& out, PacketType type, std::uint16_t packet_id) {
    // PUBREL's fixed header flags are 0010 (section 3.6.1).
    put_header(out, type, type == PacketType::pubrel ? 0x02 : 0x00, 2);
    put_u16(out, packet_id);
}

void encode_subscribe(std::string& out, ProtocolVersion version, std::uint16_t packet_id, std::string_view filter,
                      QoS qos) {
    const std::size_t remaining = 2 + (is_v5(version) ? 1 : 0) + 2 + filter.size() + 1;
    put_header(out, PacketType::subscribe, 0x02, remaining);  // flags 0010 (section 3.8.1)
    put_u16(out, packet_id);
    if (is_v5(version)) put_varint(out, 0);
    put_string(out, filter);
    // Requested QoS; in 5.0 the other option bits (no local, retain as published, retain
    // handling) stay 0: the 3.1.1 behaviour.
    put_u8(out, static_cast<std::uint8_t>(qos));
}

void encode_unsubscribe(std::string& out, ProtocolVersion version, std::uint16_t packet_id, std::string_view filter) {
    const std::size_t remaining = 2 + (is_v5(version) ? 1 : 0) + 2 + filter.size();
    put_header(out, PacketType::unsubscribe, 0x02, remaining);  // flags 0010 (section 3.10.1)
    put_u16(out, packet_id);
    if (is_v5(version)) put_varint(out, 0);
    put_string(out, filter);
}

void encode_pingreq(std::string& out) { put_header(out, PacketType::pingreq, 0, 0); }

void encode_disconnect(std::string& out, ProtocolVersion /*version*/) {
    // 5.0 section 3.14.2.1: no reason code means 0x00, normal disconnection.
    put_header(out, PacketType::disconnect, 0, 0);
}

void encode_connack(std::string& out, ProtocolVersion version, bool session_present, std::uint8_t code) {
    put_header(out, PacketType::connack, 0, is_v5(version) ? 3 : 2);
    put_u8(out, session_present ? 1 : 0);
    put_u8(out, code);
    if (is_v5(version)) put_varint(out, 0);
}

void encode_suback(std::string& out, ProtocolVersion version, std::uint16_t packet_id, std::uint8_t code) {
    put_header(out, PacketType::suback, 0, is_v5(version) ? 4 : 3);
    put_u16(out, packet_id);
    if (is_v5(version)) put_varint(out, 0);
    put_u8(out, code);
}

}  // namespace asyncio::mqtt
