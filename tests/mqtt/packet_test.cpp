// The packet codec, byte for byte against the examples and rules of the MQTT 3.1.1 and 5.0
// specifications.
#include <asyncio/mqtt/packet.hpp>

#include <gtest/gtest.h>

#include <string>

using namespace asyncio::mqtt;
using namespace std::string_literals;

namespace {

constexpr std::size_t kNoLimit = 1 << 20;

std::string hex(std::string_view bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string text;
    for (char c : bytes) {
        const auto byte = static_cast<unsigned char>(c);
        text += kDigits[byte >> 4];
        text += kDigits[byte & 15];
        text += ' ';
    }
    return text;
}

DecodeResult decode(std::string_view bytes, ProtocolVersion version = ProtocolVersion::v311) {
    return decode_packet(bytes, version, kNoLimit);
}

// --- encoding ---

TEST(MqttEncode, ConnectMinimal311) {
    std::string out;
    encode_connect(out, ConnectFields{ProtocolVersion::v311, "ab", true, 60, {}, {}, {}, 0});
    // Section 3.1: 10 bytes of variable header, then the client id.
    EXPECT_EQ(hex(out), hex("\x10\x0e\x00\x04MQTT\x04\x02\x00\x3c\x00\x02" "ab"s));
}

TEST(MqttEncode, ConnectWithWillUserPassword) {
    std::string out;
    ConnectFields fields;
    fields.client_id = "c";
    fields.clean_start = false;
    fields.keepalive_seconds = 10;
    fields.will = WillFields{"w", "bye", QoS::at_least_once, true};
    fields.username = "u";
    fields.password = "p";
    encode_connect(out, fields);
    // Flags (section 3.1.2.3): user 0x80 | password 0x40 | will retain 0x20 | will QoS 1 0x08 | will 0x04.
    EXPECT_EQ(hex(out), hex("\x10\x1b\x00\x04MQTT\x04\xec\x00\x0a\x00\x01" "c\x00\x01w\x00\x03" "bye\x00\x01u\x00\x01p"s));
}

TEST(MqttEncode, ConnectV5WithSessionExpiry) {
    std::string out;
    ConnectFields fields;
    fields.version = ProtocolVersion::v5;
    fields.client_id = "x";
    fields.session_expiry_interval = 300;
    encode_connect(out, fields);
    // 5.0 section 3.1.2.11: properties length 5, Session Expiry Interval (0x11) as four bytes.
    EXPECT_EQ(hex(out), hex("\x10\x13\x00\x04MQTT\x05\x02\x00\x3c\x05\x11\x00\x00\x01\x2c\x00\x01x"s));
}

TEST(MqttEncode, PublishAtEachQoS) {
    std::string out;
    encode_publish(out, ProtocolVersion::v311, PublishFields{"a/b", "hi", QoS::at_most_once, false, false, 0});
    EXPECT_EQ(hex(out), hex("\x30\x07\x00\x03" "a/bhi"s));
    out.clear();
    encode_publish(out, ProtocolVersion::v311, PublishFields{"a/b", "hi", QoS::at_least_once, true, true, 10});
    EXPECT_EQ(hex(out), hex("\x3b\x09\x00\x03" "a/b\x00\x0ahi"s));  // DUP 0x08, QoS 1 0x02, RETAIN 0x01
    out.clear();
    encode_publish(out, ProtocolVersion::v5, PublishFields{"t", "", QoS::exactly_once, false, false, 0x1234});
    EXPECT_EQ(hex(out), hex("\x34\x06\x00\x01t\x12\x34\x00"s));  // 5.0: empty properties
}

TEST(MqttEncode, RemainingLengthBoundaries) {
    // Section 2.2.3, Table 2.4: 127 in one byte, 128 in two, 16383 in two, 16384 in three.
    for (const auto& [payload_size, header] : {std::pair<std::size_t, std::string>{124, "\x30\x7f"s},
                                               {125, "\x30\x80\x01"s},
                                               {16380, "\x30\xff\x7f"s},
                                               {16381, "\x30\x80\x80\x01"s}}) {
        std::string out;
        const std::string payload(payload_size, 'x');
        encode_publish(out, ProtocolVersion::v311, PublishFields{"a", payload, QoS::at_most_once, false, false, 0});
        EXPECT_EQ(hex(out.substr(0, header.size())), hex(header)) << payload_size;
        EXPECT_EQ(out.size(), publish_packet_size(ProtocolVersion::v311, PublishFields{"a", payload}));
        const DecodeResult result = decode(out);
        ASSERT_EQ(result.status, DecodeStatus::complete);
        EXPECT_EQ(result.packet.payload.size(), payload_size);
    }
}

TEST(MqttEncode, AcksSubscribeUnsubscribePingDisconnect) {
    std::string out;
    encode_ack(out, PacketType::puback, 1);
    encode_ack(out, PacketType::pubrec, 2);
    encode_ack(out, PacketType::pubrel, 3);  // flags 0010 (section 3.6.1)
    encode_ack(out, PacketType::pubcomp, 4);
    EXPECT_EQ(hex(out), hex("\x40\x02\x00\x01\x50\x02\x00\x02\x62\x02\x00\x03\x70\x02\x00\x04"s));
    out.clear();
    encode_subscribe(out, ProtocolVersion::v311, 7, "a/#", QoS::exactly_once);
    EXPECT_EQ(hex(out), hex("\x82\x08\x00\x07\x00\x03" "a/#\x02"s));
    out.clear();
    encode_subscribe(out, ProtocolVersion::v5, 7, "a", QoS::at_least_once);
    EXPECT_EQ(hex(out), hex("\x82\x07\x00\x07\x00\x00\x01" "a\x01"s));
    out.clear();
    encode_unsubscribe(out, ProtocolVersion::v311, 8, "a/+");
    EXPECT_EQ(hex(out), hex("\xa2\x07\x00\x08\x00\x03" "a/+"s));
    out.clear();
    encode_pingreq(out);
    encode_disconnect(out, ProtocolVersion::v311);
    EXPECT_EQ(hex(out), hex("\xc0\x00\xe0\x00"s));
}

// --- decoding ---

TEST(MqttDecode, Connack) {
    DecodeResult result = decode("\x20\x02\x01\x00"s);
    ASSERT_EQ(result.status, DecodeStatus::complete);
    EXPECT_EQ(result.size, 4u);
    EXPECT_EQ(result.packet.type, PacketType::connack);
    EXPECT_TRUE(result.packet.session_present);
    EXPECT_EQ(result.packet.reason_code, 0);
    result = decode("\x20\x02\x00\x05"s);
    EXPECT_EQ(result.packet.reason_code, 5);  // not authorized
    result = decode("\x20\x03\x00\x00\x00"s, ProtocolVersion::v5);
    EXPECT_EQ(result.status, DecodeStatus::complete);
    EXPECT_EQ(decode("\x20\x02\x02\x00"s).status, DecodeStatus::malformed);  // reserved flag bits
    EXPECT_EQ(decode("\x20\x03\x00\x00\x00"s).status, DecodeStatus::malformed);  // 3.1.1: exactly 2 bytes
}

TEST(MqttDecode, PublishFields) {
    const std::string bytes = "\x3b\x09\x00\x03" "a/b\x00\x0ahi" "trailing"s;
    const DecodeResult result = decode(bytes);
    ASSERT_EQ(result.status, DecodeStatus::complete);
    EXPECT_EQ(result.size, 11u);
    EXPECT_EQ(result.packet.topic, "a/b");
    EXPECT_EQ(result.packet.payload, "hi");
    EXPECT_EQ(result.packet.qos, QoS::at_least_once);
    EXPECT_TRUE(result.packet.dup);
    EXPECT_TRUE(result.packet.retain);
    EXPECT_EQ(result.packet.packet_id, 10);
}

TEST(MqttDecode, PublishV5SkipsProperties) {
    // Properties: length 2, Payload Format Indicator (0x01) = 1.
    const std::string bytes = "\x30\x08\x00\x01t\x02\x01\x01ok"s;
    const DecodeResult result = decode(bytes, ProtocolVersion::v5);
    ASSERT_EQ(result.status, DecodeStatus::complete);
    EXPECT_EQ(result.packet.payload, "ok");
    EXPECT_EQ(decode("\x30\x05\x00\x01t\x09x"s, ProtocolVersion::v5).status, DecodeStatus::malformed);
}

TEST(MqttDecode, IncompleteUntilTheLastByte) {
    const std::string packet = "\x32\x09\x00\x03" "a/b\x00\x0ahi"s;
    for (std::size_t size = 0; size < packet.size(); ++size) {
        EXPECT_EQ(decode(packet.substr(0, size)).status, DecodeStatus::incomplete) << size;
    }
    EXPECT_EQ(decode(packet).status, DecodeStatus::complete);
}

TEST(MqttDecode, MalformedPackets) {
    const std::pair<std::string, const char*> cases[] = {
        {"\x00\x00"s, "reserved type 0"},
        {"\xf0\x00"s, "reserved type 15 (AUTH is not supported)"},
        {"\x36\x05\x00\x01t\x00\x01"s, "QoS 3"},
        {"\x38\x03\x00\x01t"s, "DUP at QoS 0"},
        {"\x30\x03\x00\x01+"s, "wildcard in a topic name"},
        {"\x30\x02\x00\x00"s, "empty topic name"},
        {"\x30\x04\x00\x02\xc3\x28"s, "bad UTF-8 in the topic"},
        {"\x30\x03\x00\x01\x00"s, "U+0000 in the topic"},
        {"\x32\x05\x00\x01t\x00\x00"s, "packet identifier 0"},
        {"\x30\x03\x00\x05t"s, "topic length beyond the packet"},
        {"\x32\x03\x00\x01t"s, "QoS 1 without packet identifier"},
        {"\x41\x02\x00\x01"s, "PUBACK with flags"},
        {"\x60\x02\x00\x01"s, "PUBREL without its 0010 flags"},
        {"\x40\x03\x00\x01\x00"s, "PUBACK longer than 2 bytes in 3.1.1"},
        {"\x40\x01\x00"s, "PUBACK shorter than 2 bytes"},
        {"\x90\x03\x00\x01\x03"s, "SUBACK code 3"},
        {"\x90\x02\x00\x01"s, "SUBACK without codes"},
        {"\xd0\x01\x00"s, "PINGRESP with a body"},
        {"\xe0\x00"s, "DISCONNECT from a 3.1.1 server"},
        {"\x10\x00"s, "CONNECT sent to a client"},
        {"\x82\x00"s, "SUBSCRIBE sent to a client"},
        {"\x30\xff\xff\xff\xff\x01"s, "Remaining Length of five bytes"},
    };
    for (const auto& [bytes, what] : cases) {
        const DecodeResult result = decode_packet(bytes, ProtocolVersion::v311, SIZE_MAX);
        EXPECT_EQ(result.status, DecodeStatus::malformed) << what;
        EXPECT_STRNE(result.error, "") << what;
    }
}

TEST(MqttDecode, TooLargeIsKnownFromTheHeader) {
    // A PUBLISH announcing 16384 bytes against a 1000-byte limit: refused with 3 bytes in hand.
    const DecodeResult result = decode_packet("\x30\x80\x80\x01"s, ProtocolVersion::v311, 1000);
    EXPECT_EQ(result.status, DecodeStatus::too_large);
    EXPECT_EQ(result.size, 16388u);
}

TEST(MqttDecode, V5AcksWithReasonCodes) {
    DecodeResult result = decode("\x40\x03\x00\x01\x10"s, ProtocolVersion::v5);  // PUBACK, no matching subscribers
    ASSERT_EQ(result.status, DecodeStatus::complete);
    EXPECT_EQ(result.packet.reason_code, 0x10);
    const std::string suback = "\x90\x04\x00\x02\x00\x87"s;
    result = decode(suback, ProtocolVersion::v5);  // SUBACK, not authorized
    ASSERT_EQ(result.status, DecodeStatus::complete);
    EXPECT_EQ(result.packet.return_codes, "\x87"s);
    result = decode("\xb0\x04\x00\x02\x00\x00"s, ProtocolVersion::v5);  // UNSUBACK
    ASSERT_EQ(result.status, DecodeStatus::complete);
    result = decode("\xe0\x01\x8e"s, ProtocolVersion::v5);  // DISCONNECT, session taken over
    ASSERT_EQ(result.status, DecodeStatus::complete);
    EXPECT_EQ(result.packet.reason_code, 0x8e);
}

TEST(MqttDecode, BrokerEncodersRoundTrip) {
    std::string out;
    encode_connack(out, ProtocolVersion::v311, true, 0);
    encode_suback(out, ProtocolVersion::v311, 9, 1);
    DecodeResult result = decode(out);
    ASSERT_EQ(result.status, DecodeStatus::complete);
    EXPECT_TRUE(result.packet.session_present);
    result = decode(std::string_view(out).substr(result.size));
    ASSERT_EQ(result.status, DecodeStatus::complete);
    EXPECT_EQ(result.packet.packet_id, 9);
    EXPECT_EQ(result.packet.return_codes, "\x01"s);
}

}  // namespace
