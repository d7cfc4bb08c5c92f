// What a 5.0 broker's CONNACK allows (section 5.0 3.2.2.3), and the client keeping to it: the
// decoder reads the CONNACK's properties (and the Reason String of the other packets a server
// sends) and refuses broken ones; against a fake 5.0 broker on 127.0.0.1 the client publishes
// nothing above Maximum QoS, nothing retained without Retain Available, nothing above Maximum
// Packet Size (each a LimitExceeded saying why), keeps at most Receive Maximum messages in flight,
// pings at the Server Keep Alive, and says the broker's Reason String when it is refused.
#include <asyncio/mqtt/client.hpp>
#include <asyncio/mqtt/packet.hpp>

#include <asyncio/core/errors.hpp>
#include <asyncio/core/event.hpp>
#include <asyncio/core/sleep.hpp>
#include <asyncio/core/task_group.hpp>
#include <asyncio/core/timeout.hpp>
#include <asyncio/io/server.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "mqtt/mosquitto_broker.hpp"

using namespace std::chrono_literals;
using namespace std::string_literals;
using namespace asyncio::mqtt;

namespace {

/// A packet of `first` (type and flags) around `body`, with its Remaining Length.
std::string packet_of(char first, const std::string& body) {
    std::string bytes(1, first);
    std::size_t length = body.size();
    do {
        auto byte = static_cast<char>(length % 128);
        length /= 128;
        if (length > 0) byte = static_cast<char>(byte | 0x80);
        bytes += byte;
    } while (length > 0);
    return bytes + body;
}

/// A property block: its length (one byte: the tests' blocks are short), then `properties`.
std::string block(const std::string& properties) { return std::string(1, static_cast<char>(properties.size())) + properties; }

/// A 5.0 CONNACK with `code` and these properties.
std::string connack_v5(const std::string& properties, char code = 0) {
    return packet_of('\x20', "\x00"s + code + block(properties));
}

/// The properties the fake broker sends: Receive Maximum 2, Maximum QoS 1, Retain Available 0,
/// Maximum Packet Size 100, Server Keep Alive 1 s.
const std::string kStrictBroker = "\x21\x00\x02" "\x24\x01" "\x25\x00" "\x27\x00\x00\x00\x64" "\x13\x00\x01"s;

DecodeResult decode_v5(const std::string& bytes) { return decode_packet(bytes, ProtocolVersion::v5, 1 << 20); }

// --- decoding ---

TEST(MqttConnackProperties, AreRead) {
    const std::string properties = kStrictBroker + "\x12\x00\x02x1" "\x26\x00\x01k\x00\x01v" "\x26\x00\x01k\x00\x01w"s;
    const std::string bytes = connack_v5(properties);  // the decoded views point into it
    const DecodeResult result = decode_v5(bytes);
    ASSERT_EQ(result.status, DecodeStatus::complete) << result.error;
    const ConnackProperties& connack = result.packet.connack;
    EXPECT_EQ(connack.receive_maximum, 2);
    EXPECT_EQ(connack.maximum_qos, QoS::at_least_once);
    EXPECT_FALSE(connack.retain_available);
    EXPECT_EQ(connack.maximum_packet_size, 100u);
    EXPECT_EQ(connack.server_keep_alive, std::optional<std::uint16_t>(1));
    EXPECT_EQ(connack.assigned_client_identifier, "x1");
}

TEST(MqttConnackProperties, AbsentOnesKeepTheSpecificationsDefaults) {
    const DecodeResult result = decode_v5(connack_v5(""));
    ASSERT_EQ(result.status, DecodeStatus::complete) << result.error;
    EXPECT_EQ(result.packet.connack.receive_maximum, 65535);
    EXPECT_EQ(result.packet.connack.maximum_qos, QoS::exactly_once);
    EXPECT_TRUE(result.packet.connack.retain_available);
    EXPECT_EQ(result.packet.connack.maximum_packet_size, 0u);
    EXPECT_FALSE(result.packet.connack.server_keep_alive);
}

TEST(MqttConnackProperties, BrokenOnesAreMalformed) {
    const std::string cases[] = {
        "\x21\x00\x02\x21\x00\x03"s,   // Receive Maximum twice
        "\x21\x00\x00"s,               // Receive Maximum 0
        "\x24\x02"s,                   // Maximum QoS 2
        "\x25\x02"s,                   // Retain Available 2
        "\x27\x00\x00\x00\x00"s,       // Maximum Packet Size 0
        "\x28\x05"s,                   // Wildcard Subscription Available 5
        "\x01\x01"s,                   // Payload Format Indicator: a PUBLISH property
        "\x7f\x00"s,                   // no such property
        "\x13\x00"s,                   // Server Keep Alive cut short
        "\x12\x00\x09x"s,              // a string longer than its block
    };
    for (const std::string& properties : cases) {
        const DecodeResult result = decode_v5(connack_v5(properties));
        EXPECT_EQ(result.status, DecodeStatus::malformed) << "properties of " << properties.size() << " bytes";
        EXPECT_NE(std::string(result.error), "");
    }
}

TEST(MqttReasonString, IsReadFromAcksAndDisconnect) {
    const std::string puback = packet_of('\x40', "\x00\x07\x97"s + block("\x1f\x00\x05quota"s));
    DecodeResult result = decode_v5(puback);
    ASSERT_EQ(result.status, DecodeStatus::complete) << result.error;
    EXPECT_EQ(result.packet.reason_code, 0x97);
    EXPECT_EQ(result.packet.reason_string, "quota");
    const std::string disconnect = packet_of('\xe0', "\x8d"s + block("\x1f\x00\x04idle"s));
    result = decode_v5(disconnect);
    ASSERT_EQ(result.status, DecodeStatus::complete) << result.error;
    EXPECT_EQ(result.packet.reason_string, "idle");
    // A CONNACK property in an acknowledgement:
    EXPECT_EQ(decode_v5(packet_of('\x40', "\x00\x07\x00"s + block("\x21\x00\x02"s))).status, DecodeStatus::malformed);
}

// --- the client against a strict 5.0 broker ---

/// What the fake broker saw; lives in the test's frame.
struct BrokerLog {
    std::string connack_properties = kStrictBroker;
    char connack_code = 0;
    int publishes = 0;           ///< PUBLISH packets received
    int retained = 0;            ///< of them with RETAIN
    int qos2 = 0;                ///< of them at QoS 2
    int pings = 0;
    asyncio::Event acknowledge;  ///< set by the test: PUBACK every PUBLISH, held ones first
    asyncio::Event publish_arrived;
};

/// Reads one packet: its first byte and body; std::nullopt at EOF.
asyncio::Task<std::optional<std::pair<std::uint8_t, std::string>>> read_packet(asyncio::Stream& stream) {
    const std::string first = co_await stream.read(1);
    if (first.empty()) co_return std::nullopt;
    std::size_t length = 0;
    for (int shift = 0;; shift += 7) {
        const std::string byte = co_await stream.readexactly(1);
        length |= static_cast<std::size_t>(static_cast<std::uint8_t>(byte[0]) & 0x7F) << shift;
        if ((static_cast<std::uint8_t>(byte[0]) & 0x80) == 0) break;
    }
    std::string body = co_await stream.readexactly(length);
    co_return std::pair{static_cast<std::uint8_t>(first[0]), std::move(body)};
}

/// The packet identifier of a QoS 1 PUBLISH's body: right after its topic.
std::uint16_t publish_id(const std::string& body) {
    const std::size_t topic = static_cast<std::uint8_t>(body[0]) << 8 | static_cast<std::uint8_t>(body[1]);
    return static_cast<std::uint16_t>(static_cast<std::uint8_t>(body[2 + topic]) << 8 |
                                      static_cast<std::uint8_t>(body[3 + topic]));
}

/// Once the test sets log.acknowledge: the PUBACKs held back so far (a few bytes: the socket
/// takes them at once, and the broker's own loop may be waiting in a read meanwhile).
asyncio::Task<> acknowledge_when_told(asyncio::Stream& stream, BrokerLog& log, std::vector<std::uint16_t>& held) {
    co_await log.acknowledge.wait();
    for (const std::uint16_t id : held) encode_ack(stream.output_buffer(), PacketType::puback, id);
    held.clear();
    (void)stream.try_flush();
}

asyncio::Server::Callback strict_broker(BrokerLog& log) {
    return [&log](asyncio::Stream stream) -> asyncio::Task<> {
        std::vector<std::uint16_t> held;  // QoS 1 identifiers not acknowledged yet
        std::optional<asyncio::ScheduledTask<void>> releaser;
        try {
            (void)co_await read_packet(stream);  // CONNECT
            stream.write(connack_v5(log.connack_properties, log.connack_code));
            co_await stream.drain();
            releaser.emplace(asyncio::create_task(acknowledge_when_told(stream, log, held)));
            for (;;) {
                const auto packet = co_await read_packet(stream);
                if (!packet) break;
                const auto type = static_cast<PacketType>(packet->first >> 4);
                if (type == PacketType::pingreq) {
                    ++log.pings;
                    stream.write("\xd0\x00"s);
                } else if (type == PacketType::publish) {
                    ++log.publishes;
                    log.retained += packet->first & 1;
                    log.qos2 += (packet->first >> 1 & 3) == 2 ? 1 : 0;
                    log.publish_arrived.set();
                    if (log.acknowledge.is_set()) {
                        encode_ack(stream.output_buffer(), PacketType::puback, publish_id(packet->second));
                    } else {
                        held.push_back(publish_id(packet->second));
                    }
                }
                co_await stream.drain();
            }
        } catch (const std::exception&) {
            // the client went
        }
        if (releaser) {
            releaser->cancel();
            try {
                co_await *releaser;
            } catch (const asyncio::CancelledError&) {
            }
        }
    };
}

/// client.publish() to "t" as a task of its own.
asyncio::Task<> publish(Client& client, std::string payload, QoS qos) { co_await client.publish("t", payload, qos); }

Options options_for(std::uint16_t port) {
    Options options;
    options.port = port;
    options.version = ProtocolVersion::v5;
    options.reconnect.enabled = false;
    return options;
}

asyncio::Task<> refuses_what_the_broker_does_not_allow() {
    BrokerLog log;
    log.acknowledge.set();
    auto server = co_await asyncio::start_server(strict_broker(log), "127.0.0.1", 0);
    Client client = co_await connect(options_for(server.port()));
    try {
        co_await client.publish("t", "x", QoS::exactly_once);
        ADD_FAILURE() << "a QoS 2 PUBLISH was accepted";
    } catch (const LimitExceeded& error) {
        EXPECT_NE(std::string(error.what()).find("Maximum QoS"), std::string::npos) << error.what();
    }
    EXPECT_THROW(co_await client.publish("t", "x", QoS::at_most_once, true), LimitExceeded);
    try {
        co_await client.publish("t", std::string(200, 'x'), QoS::at_least_once);
        ADD_FAILURE() << "a PUBLISH over the broker's Maximum Packet Size was accepted";
    } catch (const LimitExceeded& error) {
        EXPECT_NE(std::string(error.what()).find("Maximum Packet Size"), std::string::npos) << error.what();
    }
    co_await client.publish("t", "fits", QoS::at_least_once);
    EXPECT_EQ(log.publishes, 1) << "only the allowed one was sent";
    EXPECT_EQ(log.retained + log.qos2, 0);
    EXPECT_TRUE(client.is_connected()) << "a refused publish does not cost the connection";
    co_await client.disconnect();
    server.close();
}
TEST(MqttBrokerAllowance, PublishesAboveItsLimitsFailWithLimitExceeded) {
    mqtt_test::run(refuses_what_the_broker_does_not_allow());
}

asyncio::Task<> queued_before_the_connack() {
    BrokerLog log;
    log.acknowledge.set();
    auto server = co_await asyncio::start_server(strict_broker(log), "127.0.0.1", 0);
    Client client(options_for(server.port()));
    // Queued while offline (no connection yet): checked against the broker it goes out to.
    auto refused = asyncio::create_task(publish(client, "x", QoS::exactly_once));
    auto allowed = asyncio::create_task(publish(client, "y", QoS::at_least_once));
    co_await client.connect();
    EXPECT_THROW(co_await refused, LimitExceeded);
    co_await allowed;
    EXPECT_EQ(client.stats().messages_refused, 1u);
    EXPECT_EQ(log.publishes, 1);
    EXPECT_EQ(log.qos2, 0);
    co_await client.disconnect();
    server.close();
}
TEST(MqttBrokerAllowance, AQueuedMessageTheBrokerDoesNotAllowFailsItsPublish) {
    mqtt_test::run(queued_before_the_connack());
}

asyncio::Task<> window_of_receive_maximum() {
    BrokerLog log;  // acknowledges nothing until told
    auto server = co_await asyncio::start_server(strict_broker(log), "127.0.0.1", 0);
    Options options = options_for(server.port());
    options.limits.max_inflight = 16;
    Client client = co_await connect(options);
    co_await asyncio::task_group([&](asyncio::TaskGroup& group) -> asyncio::Task<> {
        for (int i = 0; i < 5; ++i) group.create_task(publish(client, std::to_string(i), QoS::at_least_once));
        co_await asyncio::wait_for(log.publish_arrived.wait(), 5s);
        co_await asyncio::sleep(300ms);  // room for more to arrive, if the window let them out
        EXPECT_EQ(log.publishes, 2) << "Receive Maximum 2";
        EXPECT_EQ(client.inflight(), 2u);
        log.acknowledge.set();
    });
    EXPECT_EQ(log.publishes, 5) << "the rest once acknowledgements made room";
    co_await client.disconnect();
    server.close();
}
TEST(MqttBrokerAllowance, ReceiveMaximumLimitsTheInflightWindow) { mqtt_test::run(window_of_receive_maximum()); }

asyncio::Task<> pings_at_server_keep_alive() {
    BrokerLog log;
    log.acknowledge.set();
    auto server = co_await asyncio::start_server(strict_broker(log), "127.0.0.1", 0);
    Options options = options_for(server.port());
    options.keepalive = 60s;  // the broker's Server Keep Alive (1 s) replaces it
    Client client = co_await connect(options);
    co_await asyncio::sleep(2500ms);
    EXPECT_GE(log.pings, 1) << "no PINGREQ in 2.5 s with a Server Keep Alive of 1 s";
    EXPECT_TRUE(client.is_connected());
    co_await client.disconnect();
    server.close();
}
TEST(MqttBrokerAllowance, TheClientPingsAtTheServerKeepAlive) { mqtt_test::run(pings_at_server_keep_alive()); }

asyncio::Task<> refusal_with_reason() {
    BrokerLog log;
    log.connack_code = static_cast<char>(0x87);  // Not authorized
    log.connack_properties = "\x1f\x00\x0cno such user"s;
    auto server = co_await asyncio::start_server(strict_broker(log), "127.0.0.1", 0);
    try {
        Client client = co_await connect(options_for(server.port()));
        ADD_FAILURE() << "connected";
    } catch (const ConnectionRefused& error) {
        EXPECT_NE(std::string(error.what()).find("no such user"), std::string::npos) << error.what();
    }
    server.close();
}
TEST(MqttBrokerAllowance, ARefusalCarriesTheBrokersReasonString) { mqtt_test::run(refusal_with_reason()); }

}  // namespace
