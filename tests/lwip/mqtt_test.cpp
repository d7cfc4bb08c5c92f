// The MQTT client on the lwIP back-end, as a board runs it: every byte through lwIP's TCP and its
// loopback interface, against a small MQTT 3.1.1 broker in the same process (start_server on lwIP
// too) that serves one client: CONNECT, SUBSCRIBE, PINGREQ, and PUBLISH at QoS 0, 1 and 2 in both
// directions with every acknowledgement. The client publishes 50 messages at each QoS to a topic
// it subscribed to at QoS 2: each comes back once, in order, with its QoS, and every exchange the
// broker started is completed (PUBACK; PUBREC, PUBREL, PUBCOMP). With a 1 s keepalive and nothing
// to send, the client pings.
#include <asyncio/mqtt/client.hpp>
#include <asyncio/mqtt/packet.hpp>

#include <asyncio/core/event.hpp>
#include <asyncio/core/sleep.hpp>
#include <asyncio/core/timeout.hpp>
#include <asyncio/io/server.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include "lwip_test_support.hpp"

using namespace std::chrono_literals;
namespace mqtt = asyncio::mqtt;

namespace {

using LwipMqttTest = lwip_test::LwipTest;

constexpr int kMessagesPerQos = 50;

/// One whole packet as the client sent it: fixed header included.
struct RawPacket {
    mqtt::PacketType type = mqtt::PacketType::pingreq;
    std::string bytes;
    std::string_view body() const { return std::string_view(bytes).substr(bytes.size() - body_size); }
    std::size_t body_size = 0;
};

/// Reads one packet from the client; std::nullopt at EOF.
asyncio::Task<std::optional<RawPacket>> read_packet(asyncio::Stream& stream) {
    std::string bytes = co_await stream.read(1);
    if (bytes.empty()) co_return std::nullopt;
    std::size_t length = 0;
    for (int shift = 0;; shift += 7) {
        const std::string byte = co_await stream.readexactly(1);
        bytes += byte;
        length |= static_cast<std::size_t>(static_cast<std::uint8_t>(byte[0]) & 0x7F) << shift;
        if ((static_cast<std::uint8_t>(byte[0]) & 0x80) == 0) break;
    }
    bytes += co_await stream.readexactly(length);
    co_return RawPacket{static_cast<mqtt::PacketType>(static_cast<std::uint8_t>(bytes[0]) >> 4), std::move(bytes),
                        length};
}

/// What the broker saw; lives in the test's frame.
struct BrokerLog {
    int pubacks = 0;   ///< the client acknowledged a QoS 1 message the broker sent
    int pubcomps = 0;  ///< the client completed a QoS 2 message the broker sent
    int pings = 0;
    asyncio::Event all_acknowledged;  ///< kMessagesPerQos of each
    asyncio::Event client_gone;       ///< DISCONNECT, EOF or a reset
};

/// The broker's answer to a PUBLISH, an acknowledgement or a PUBREL (the packets decode_packet()
/// reads), appended to `out`. A PUBLISH is acknowledged and sent back at its own QoS with the
/// broker's next packet identifier.
void answer(const mqtt::Packet& packet, std::uint16_t& next_id, BrokerLog& log, std::string& out) {
    using mqtt::PacketType;
    switch (packet.type) {
    case PacketType::publish:
        if (packet.qos == mqtt::QoS::at_least_once) mqtt::encode_ack(out, PacketType::puback, packet.packet_id);
        if (packet.qos == mqtt::QoS::exactly_once) mqtt::encode_ack(out, PacketType::pubrec, packet.packet_id);
        next_id = static_cast<std::uint16_t>(next_id % 65535 + 1);
        mqtt::encode_publish(out, mqtt::ProtocolVersion::v311,
                             {packet.topic, packet.payload, packet.qos, false, false,
                              packet.qos == mqtt::QoS::at_most_once ? std::uint16_t{0} : next_id});
        return;
    case PacketType::pubrel: mqtt::encode_ack(out, PacketType::pubcomp, packet.packet_id); return;
    case PacketType::pubrec: mqtt::encode_ack(out, PacketType::pubrel, packet.packet_id); return;
    case PacketType::puback: ++log.pubacks; break;
    case PacketType::pubcomp: ++log.pubcomps; break;
    default: ADD_FAILURE() << "the broker got packet type " << static_cast<int>(packet.type); return;
    }
    if (log.pubacks == kMessagesPerQos && log.pubcomps == kMessagesPerQos) log.all_acknowledged.set();
}

asyncio::Server::Callback broker(BrokerLog& log) {
    return [&log](asyncio::Stream stream) -> asyncio::Task<> {
        using mqtt::PacketType;
        std::uint16_t next_id = 0;
        try {
            for (;;) {
                const std::optional<RawPacket> raw = co_await read_packet(stream);
                if (!raw || raw->type == PacketType::disconnect) break;
                std::string out;
                if (raw->type == PacketType::connect) {
                    mqtt::encode_connack(out, mqtt::ProtocolVersion::v311, false, 0);
                } else if (raw->type == PacketType::subscribe) {  // one filter; its QoS is granted
                    const std::string_view body = raw->body();
                    const auto id = static_cast<std::uint16_t>(static_cast<std::uint8_t>(body[0]) << 8 |
                                                               static_cast<std::uint8_t>(body[1]));
                    mqtt::encode_suback(out, mqtt::ProtocolVersion::v311, id, static_cast<std::uint8_t>(body.back()));
                } else if (raw->type == PacketType::pingreq) {
                    ++log.pings;
                    out = std::string("\xD0\x00", 2);  // PINGRESP
                } else {
                    const mqtt::DecodeResult decoded = mqtt::decode_packet(raw->bytes, mqtt::ProtocolVersion::v311, 4096);
                    if (decoded.status != mqtt::DecodeStatus::complete) {
                        ADD_FAILURE() << "the client sent a malformed packet: " << decoded.error;
                        break;
                    }
                    answer(decoded.packet, next_id, log, out);
                }
                if (!out.empty()) {
                    stream.write(out);
                    co_await stream.drain();
                }
            }
        } catch (const std::exception&) {
            // a reset or a cut packet: the client is gone all the same
        }
        log.client_gone.set();
    };
}

mqtt::Options options_for(std::uint16_t port) {
    mqtt::Options options;
    options.host = "127.0.0.1";
    options.port = port;
    options.client_id = "board";
    options.reconnect.enabled = false;
    options.connect_timeout = 5s;
    return options;
}

asyncio::Task<> every_qos_both_ways() {
    BrokerLog log;
    asyncio::Server server = co_await asyncio::start_server(broker(log), "127.0.0.1", 0);
    mqtt::Client client = co_await mqtt::connect(options_for(server.port()));
    mqtt::Subscription subscription = co_await client.subscribe("board/#", mqtt::QoS::exactly_once);
    const mqtt::QoS levels[] = {mqtt::QoS::at_most_once, mqtt::QoS::at_least_once, mqtt::QoS::exactly_once};
    for (const mqtt::QoS qos : levels) {
        for (int i = 0; i < kMessagesPerQos; ++i) {
            co_await client.publish("board/qos" + std::to_string(static_cast<int>(qos)), std::to_string(i), qos);
        }
    }
    for (const mqtt::QoS qos : levels) {
        for (int i = 0; i < kMessagesPerQos; ++i) {
            const mqtt::Message message = co_await asyncio::wait_for(subscription.get(), 5s);
            EXPECT_EQ(message.topic, "board/qos" + std::to_string(static_cast<int>(qos)));
            EXPECT_EQ(message.payload, std::to_string(i));
            EXPECT_EQ(message.qos, qos);
            if (::testing::Test::HasFailure()) break;
        }
    }
    co_await asyncio::wait_for(log.all_acknowledged.wait(), 5s);
    EXPECT_EQ(log.pubacks, kMessagesPerQos);
    EXPECT_EQ(log.pubcomps, kMessagesPerQos);
    co_await client.disconnect();
    co_await asyncio::wait_for(log.client_gone.wait(), 5s);
    server.close();
    co_await asyncio::wait_for(server.wait_closed(), 5s);
}

TEST_F(LwipMqttTest, EveryQosBothWaysThroughLwipsTcp) { lwip_test::run(every_qos_both_ways()); }

asyncio::Task<> idle_client_pings() {
    BrokerLog log;
    asyncio::Server server = co_await asyncio::start_server(broker(log), "127.0.0.1", 0);
    mqtt::Options options = options_for(server.port());
    options.keepalive = 1s;
    mqtt::Client client = co_await mqtt::connect(options);
    co_await asyncio::sleep(2500ms);
    EXPECT_GE(log.pings, 1) << "no PINGREQ in 2.5 keepalive periods";
    EXPECT_TRUE(client.is_connected()) << "the broker answered every ping";
    co_await client.disconnect();
    co_await asyncio::wait_for(log.client_gone.wait(), 5s);
    server.close();
    co_await asyncio::wait_for(server.wait_closed(), 5s);
}

TEST_F(LwipMqttTest, AnIdleClientPingsAndStaysConnected) { lwip_test::run(idle_client_pings()); }

}  // namespace
