// Fuzzes the MQTT packet decoder on a stream of packets, as the client reads them: no crash, no
// over-read; a complete packet's size is within the input and the limit; every decoded PUBLISH
// re-encodes to bytes that decode back the same; every topic is a valid topic name.
// The first input byte picks the protocol version and the packet size limit.

#include <asyncio/mqtt/packet.hpp>
#include <asyncio/mqtt/topic.hpp>

#include "fuzz_check.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

using namespace asyncio::mqtt;

namespace {

void check_publish_round_trip(ProtocolVersion version, const Packet& packet) {
    FUZZ_CHECK(is_valid_topic_name(packet.topic));
    std::string wire;
    const PublishFields fields{packet.topic, packet.payload, packet.qos, packet.retain, packet.dup, packet.packet_id};
    encode_publish(wire, version, fields);
    FUZZ_CHECK(wire.size() == publish_packet_size(version, fields));
    const DecodeResult back = decode_packet(wire, version, wire.size());
    FUZZ_CHECK(back.status == DecodeStatus::complete && back.size == wire.size());
    FUZZ_CHECK(back.packet.topic == packet.topic && back.packet.payload == packet.payload);
    FUZZ_CHECK(back.packet.qos == packet.qos && back.packet.retain == packet.retain && back.packet.dup == packet.dup);
    FUZZ_CHECK(back.packet.packet_id == packet.packet_id);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const ProtocolVersion version = (data[0] & 1) != 0 ? ProtocolVersion::v5 : ProtocolVersion::v311;
    const std::size_t limit = (data[0] & 2) != 0 ? 64 : 1 << 20;
    std::string_view input(reinterpret_cast<const char*>(data + 1), size - 1);
    while (!input.empty()) {
        const DecodeResult result = decode_packet(input, version, limit);
        if (result.status != DecodeStatus::complete) {
            FUZZ_CHECK(result.status != DecodeStatus::malformed || *result.error != '\0');
            FUZZ_CHECK(result.status != DecodeStatus::too_large || result.size > limit);
            break;
        }
        FUZZ_CHECK(result.size >= 2 && result.size <= input.size() && result.size <= limit);
        if (result.packet.type == PacketType::publish) check_publish_round_trip(version, result.packet);
        input.remove_prefix(result.size);
    }
    return 0;
}
