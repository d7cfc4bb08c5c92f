// The client against fake brokers on 127.0.0.1 (the library's own start_server): a broker that
// never answers PINGREQ (keepalive), one that sends malformed or oversized packets; and the
// limits and the queue, which need no broker at all.
#include <asyncio/mqtt/client.hpp>

#include <asyncio/core/errors.hpp>
#include <asyncio/core/sleep.hpp>
#include <asyncio/core/timeout.hpp>
#include <asyncio/io/server.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>

#include "mqtt/mosquitto_broker.hpp"

using namespace std::chrono_literals;
using namespace std::string_literals;
using namespace asyncio::mqtt;

namespace {

/// A broker that answers CONNECT with CONNACK, then sends `after_connack` and reads (and
/// ignores) everything else until the client goes.
asyncio::Server::Callback fake_broker(std::string after_connack) {
    return [after_connack](asyncio::Stream stream) -> asyncio::Task<> {
        (void)co_await stream.read(1024);  // CONNECT
        std::string out;
        encode_connack(out, ProtocolVersion::v311, false, 0);
        stream.write(out + after_connack);
        co_await stream.drain();
        while (!(co_await stream.read(1024)).empty()) {
        }
    };
}

asyncio::Server::Callback fake_broker_never_answering() {
    return [](asyncio::Stream stream) -> asyncio::Task<> {
        while (!(co_await stream.read(1024)).empty()) {
        }
    };
}

Options options_for(std::uint16_t port) {
    Options options;
    options.port = port;
    options.reconnect.enabled = false;
    return options;
}

asyncio::Task<> silent_broker_detected(std::chrono::steady_clock::duration& took) {
    auto server = co_await asyncio::start_server(fake_broker(""), "127.0.0.1", 0);
    Options options = options_for(server.port());
    options.keepalive = 1s;
    Client client(options);
    co_await client.connect();
    const auto start = std::chrono::steady_clock::now();
    co_await client.wait_closed();
    took = std::chrono::steady_clock::now() - start;
    EXPECT_NE(client.last_error().find("keepalive"), std::string::npos) << client.last_error();
    EXPECT_THROW(co_await client.publish("a", "b"), ConnectionLost);
    server.close();
}
TEST(MqttFakeBroker, SilentBrokerIsDetectedByKeepalive) {
    std::chrono::steady_clock::duration took{};
    mqtt_test::run(silent_broker_detected(took));
    // 1.5 x 1 s; the upper bound is generous for a busy machine.
    EXPECT_GE(took, 1400ms);
    EXPECT_LT(took, 10s);
}

asyncio::Task<> malformed_packet_closes(std::string bytes, std::string expected_error) {
    auto server = co_await asyncio::start_server(fake_broker(bytes), "127.0.0.1", 0);
    Options options = options_for(server.port());
    options.limits.max_packet_size = 1024;
    Client client(options);
    co_await client.connect();
    co_await client.wait_closed();
    EXPECT_NE(client.last_error().find(expected_error), std::string::npos) << client.last_error();
    server.close();
}
TEST(MqttFakeBroker, MalformedPacketClosesTheConnectionWithAnError) {
    mqtt_test::run(malformed_packet_closes("\x36\x05\x00\x01t\x00\x01"s, "QoS 3"));
    mqtt_test::run(malformed_packet_closes("\x30\x03\x00\x01#"s, "topic name invalid"));
    mqtt_test::run(malformed_packet_closes("\xff\xff\xff\xff\xff"s, "reserved"));
    mqtt_test::run(malformed_packet_closes("\x30\xff\xff\xff\xff\x01"s, "Remaining Length"));
    mqtt_test::run(malformed_packet_closes("\x20\x02\x00\x00"s, "unexpected packet"));  // a second CONNACK
}
TEST(MqttFakeBroker, OversizedPacketOtherThanPublishIsRefusedFromItsHeader) {
    // A SUBACK announcing 1 MiB against a 1 KiB limit; the body never comes, the error does at once.
    mqtt_test::run(malformed_packet_closes("\x90\x80\x80\x40"s, "max_packet_size"));
}

/// A PUBLISH over the limit (a retained message too large, say) is dropped as it arrives and
/// acknowledged; the connection goes on and the next message is received. Closing instead would
/// bring the same retained message back after every reconnection.
asyncio::Task<> oversized_publish_is_dropped(QoS qos, std::string expected_ack) {
    std::string after_connack;
    encode_publish(after_connack, ProtocolVersion::v311,
                   PublishFields{"big/retained", std::string(100 * 1024, 'x'), qos, true, false, 7});
    encode_publish(after_connack, ProtocolVersion::v311, PublishFields{"small", "ok", QoS::at_most_once, false, false, 0});
    std::string seen_by_broker;
    auto server = co_await asyncio::start_server(
        [&](asyncio::Stream stream) -> asyncio::Task<> {
            (void)co_await stream.read(1024);  // CONNECT
            std::string out;
            encode_connack(out, ProtocolVersion::v311, false, 0);
            stream.write(out + after_connack);
            co_await stream.drain();
            for (;;) {
                const std::string got = co_await stream.read(1024);  // named: g++ 12
                if (got.empty()) break;
                seen_by_broker += got;
            }
        },
        "127.0.0.1", 0);
    Options options = options_for(server.port());
    options.limits.max_packet_size = 1024;
    Client client(options);
    co_await client.connect();
    for (int i = 0; i < 500 && client.stats().messages_received < 1 && client.is_connected(); ++i) {
        co_await asyncio::sleep(10ms);
    }
    EXPECT_TRUE(client.is_connected()) << client.last_error();
    EXPECT_EQ(client.stats().messages_too_large, 1u);
    EXPECT_EQ(client.stats().messages_received, 1u) << "the message after the large one";
    for (int i = 0; i < 500 && seen_by_broker.find(expected_ack) == std::string::npos; ++i) {
        co_await asyncio::sleep(10ms);
    }
    EXPECT_NE(seen_by_broker.find(expected_ack), std::string::npos) << "the large one is acknowledged";
    co_await client.disconnect();
    server.close();
}
TEST(MqttFakeBroker, OversizedPublishIsDroppedAndAcknowledgedAndTheConnectionGoesOn) {
    mqtt_test::run(oversized_publish_is_dropped(QoS::at_most_once, ""));
    mqtt_test::run(oversized_publish_is_dropped(QoS::at_least_once, "\x40\x02\x00\x07"s));  // PUBACK 7
    mqtt_test::run(oversized_publish_is_dropped(QoS::exactly_once, "\x50\x02\x00\x07"s));   // PUBREC 7
}

asyncio::Task<> bad_connack_fails_connect() {
    auto server = co_await asyncio::start_server(
        [](asyncio::Stream stream) -> asyncio::Task<> {
            (void)co_await stream.read(1024);
            stream.write("\x20\x03\x00\x00\x00"s);  // 3.1.1 CONNACK is exactly 2 bytes
            co_await stream.drain();
            (void)co_await stream.read(1024);
        },
        "127.0.0.1", 0);
    Client client(options_for(server.port()));
    EXPECT_THROW(co_await client.connect(), ProtocolError);
    server.close();
}
TEST(MqttFakeBroker, MalformedConnackFailsConnect) { mqtt_test::run(bad_connack_fails_connect()); }

asyncio::Task<> silent_connack_times_out() {
    auto server = co_await asyncio::start_server(fake_broker_never_answering(), "127.0.0.1", 0);
    Options options = options_for(server.port());
    options.connect_timeout = 300ms;
    Client client(options);
    EXPECT_THROW(co_await client.connect(), asyncio::TimeoutError);
    server.close();
}

TEST(MqttFakeBroker, ConnectTimesOutWithoutConnack) { mqtt_test::run(silent_connack_times_out()); }

// --- limits and the queue: no broker needed ---

asyncio::Task<> limits_enforced() {
    Options options;
    options.limits.max_topic_length = 8;
    options.limits.max_packet_size = 100;
    Client client(options);
    EXPECT_THROW(co_await client.publish("much/too/long", "x"), LimitExceeded);
    EXPECT_THROW(co_await client.publish("ok", std::string(200, 'x')), LimitExceeded);
    EXPECT_THROW(co_await client.publish("a/+", "x"), std::invalid_argument);
    EXPECT_THROW(co_await client.publish("", "x"), std::invalid_argument);
    EXPECT_THROW(co_await client.subscribe("a/#/b"), std::invalid_argument);
    EXPECT_THROW(co_await client.subscribe("much/too/long/#"), LimitExceeded);
    EXPECT_EQ(client.queued(), 0u);
}
TEST(MqttLimits, TopicLengthPacketSizeAndValidityAreEnforcedBeforeSending) { mqtt_test::run(limits_enforced()); }

asyncio::Task<> publish_waits_on_full_queue_and_is_cancellable() {
    Options options;
    options.limits.max_queued = 2;
    Client client(options);  // never connected: everything stays queued
    co_await client.publish("q", "1");
    co_await client.publish("q", "2");
    EXPECT_EQ(client.queued(), 2u);
    EXPECT_THROW(co_await asyncio::wait_for(client.publish("q", "3"), 100ms), asyncio::TimeoutError);
    EXPECT_EQ(client.queued(), 2u);  // the cancelled publish queued nothing
}
TEST(MqttQueue, PublishWaitsWhileTheQueueIsFullAndCancellationQueuesNothing) {
    mqtt_test::run(publish_waits_on_full_queue_and_is_cancellable());
}

asyncio::Task<> fail_fast_when_full() {
    Options options;
    options.limits.max_queued = 1;
    options.fail_when_queue_full = true;
    Client client(options);
    co_await client.publish("q", "1");
    EXPECT_THROW(co_await client.publish("q", "2"), asyncio::QueueFull);
}
TEST(MqttQueue, FailFastOptionThrowsQueueFull) { mqtt_test::run(fail_fast_when_full()); }

asyncio::Task<> waiting_publisher_fails_when_closed() {
    Options options;
    options.limits.max_queued = 1;
    Client client(options);
    co_await client.publish("q", "1");
    auto waiting = asyncio::create_task([](Client& c) -> asyncio::Task<> { co_await c.publish("q", "2", QoS::at_least_once); }(client));
    co_await asyncio::sleep(10ms);
    co_await client.disconnect();
    EXPECT_THROW(co_await waiting, ConnectionLost);
}
TEST(MqttQueue, WaitingPublisherGetsConnectionLostOnDisconnect) { mqtt_test::run(waiting_publisher_fails_when_closed()); }

}  // namespace
