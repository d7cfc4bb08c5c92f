// The client's edges against a fake broker on 127.0.0.1 (the library's own start_server): CONNECT
// fields too long to encode are refused before anything is sent; a destroyed Subscription ends
// the get() waiting on it; a Client destroyed during connect(), or a disconnect() cancelled, ends
// in a closed client and a closed connection; a default-constructed Subscription does not crash.
#include <asyncio/mqtt/client.hpp>

#include <asyncio/core/errors.hpp>
#include <asyncio/core/event.hpp>
#include <asyncio/core/sleep.hpp>
#include <asyncio/core/timeout.hpp>
#include <asyncio/io/server.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "mqtt/mosquitto_broker.hpp"

using namespace std::chrono_literals;
using namespace asyncio::mqtt;

namespace {

/// One packet the client sent: its fixed header's first byte and its body.
struct RawPacket {
    std::uint8_t first = 0;
    std::string body;
};

/// Reads one whole packet from the client; std::nullopt at EOF.
asyncio::Task<std::optional<RawPacket>> read_packet(asyncio::Stream& stream) {
    std::string head = co_await stream.read(1);
    if (head.empty()) co_return std::nullopt;
    RawPacket packet{static_cast<std::uint8_t>(head[0]), {}};
    std::size_t length = 0;
    for (int shift = 0;; shift += 7) {
        const std::string byte = co_await stream.readexactly(1);
        length |= static_cast<std::size_t>(static_cast<std::uint8_t>(byte[0]) & 0x7F) << shift;
        if ((static_cast<std::uint8_t>(byte[0]) & 0x80) == 0) break;
    }
    packet.body = co_await stream.readexactly(length);
    co_return packet;
}

/// What the fake broker saw; lives in the test's frame.
struct BrokerLog {
    BrokerLog() { reads_after_connack.set(); }
    int connections = 0;
    /// Cleared by a test: after its CONNACK the broker reads nothing until it is set again.
    asyncio::Event reads_after_connack;
    asyncio::Event connect_received;  ///< a CONNECT arrived
    asyncio::Event answer;            ///< set by the test: send the CONNACK now
    asyncio::Event client_gone;       ///< the client's connection ended (EOF or reset)
    std::string after_suback;         ///< bytes sent right after each SUBACK
};

/// A broker that answers CONNECT with CONNACK once `log.answer` is set, SUBSCRIBE with SUBACK
/// (QoS 0 granted), ignores everything else, and records when the client goes.
asyncio::Server::Callback fake_broker(BrokerLog& log) {
    return [&log](asyncio::Stream stream) -> asyncio::Task<> {
        ++log.connections;
        try {
            for (;;) {
                const std::optional<RawPacket> packet = co_await read_packet(stream);
                if (!packet) break;
                std::string out;
                if (packet->first >> 4 == 1) {  // CONNECT
                    log.connect_received.set();
                    co_await log.answer.wait();
                    encode_connack(out, ProtocolVersion::v311, false, 0);
                    stream.write(out);
                    co_await stream.drain();
                    out.clear();
                    co_await log.reads_after_connack.wait();
                } else if (packet->first >> 4 == 8 && packet->body.size() >= 2) {  // SUBSCRIBE
                    const auto id = static_cast<std::uint16_t>(static_cast<std::uint8_t>(packet->body[0]) << 8 |
                                                               static_cast<std::uint8_t>(packet->body[1]));
                    encode_suback(out, ProtocolVersion::v311, id, 0);
                    out += log.after_suback;
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

Options options_for(std::uint16_t port) {
    Options options;
    options.port = port;
    options.reconnect.enabled = false;
    options.connect_timeout = 2s;
    return options;
}

/// Waits (bounded) until the broker saw the client's connection end.
asyncio::Task<> expect_connection_closed(BrokerLog& log, const char* what) {
    try {
        co_await asyncio::wait_for(log.client_gone.wait(), 5s);
    } catch (const asyncio::TimeoutError&) {
        ADD_FAILURE() << what << ": the connection is still open 5 s later";
    }
}

// --- CONNECT fields too long to encode ---

asyncio::Task<> overlong_connect_field(Options options) {
    BrokerLog log;
    log.answer.set();
    auto server = co_await asyncio::start_server(fake_broker(log), "127.0.0.1", 0);
    options.port = server.port();
    options.reconnect.enabled = false;
    options.connect_timeout = 2s;
    Client client(options);
    EXPECT_THROW(co_await client.connect(), LimitExceeded);
    EXPECT_FALSE(log.connect_received.is_set()) << "a CONNECT was sent";
    EXPECT_FALSE(client.is_connected());
    server.close();
}

TEST(MqttConnectFields, FieldsLongerThanTwoByteLengthsAreRefusedBeforeConnecting) {
    const std::string too_long(kMaxStringLength + 1, 'x');
    Options options;
    options.client_id = too_long;
    mqtt_test::run(overlong_connect_field(options));

    options = Options();
    options.username = too_long;
    mqtt_test::run(overlong_connect_field(options));

    options = Options();
    options.username = "user";
    options.password = too_long;
    mqtt_test::run(overlong_connect_field(options));

    options = Options();
    options.will = Will{too_long, "gone", QoS::at_most_once, false};
    mqtt_test::run(overlong_connect_field(options));

    options = Options();
    options.will = Will{"status", too_long, QoS::at_most_once, false};
    mqtt_test::run(overlong_connect_field(options));
}

asyncio::Task<> longest_fields_connect() {
    BrokerLog log;
    log.answer.set();
    auto server = co_await asyncio::start_server(fake_broker(log), "127.0.0.1", 0);
    Options options = options_for(server.port());
    options.client_id = std::string(kMaxStringLength, 'c');
    options.will = Will{"status", std::string(kMaxStringLength, 'w'), QoS::at_most_once, false};
    Client client(options);
    co_await client.connect();  // exactly 65535 bytes still fit
    EXPECT_TRUE(client.is_connected());
    co_await client.disconnect();
    server.close();
    co_await server.wait_closed();
}
TEST(MqttConnectFields, FieldsOfExactly65535BytesAreSent) { mqtt_test::run(longest_fields_connect()); }

// --- a destroyed Subscription ends its get() ---

asyncio::Task<> destroyed_subscription_ends_get() {
    BrokerLog log;
    log.answer.set();
    auto server = co_await asyncio::start_server(fake_broker(log), "127.0.0.1", 0);
    Client client(options_for(server.port()));
    co_await client.connect();
    std::optional<Subscription> subscription = co_await client.subscribe("sensors/#");
    auto waiting = asyncio::create_task(subscription->get());
    co_await asyncio::sleep(0);  // the get() waits for a message
    subscription.reset();
    try {
        (void)co_await asyncio::wait_for(std::move(waiting), 5s);
        ADD_FAILURE() << "get() returned a message";
    } catch (const ConnectionLost&) {
        // the documented end of a subscription
    } catch (const asyncio::TimeoutError&) {
        ADD_FAILURE() << "get() still waits 5 s after its Subscription was destroyed";
    }
    co_await client.disconnect();
    server.close();
    co_await server.wait_closed();
}
TEST(MqttSubscription, DestroyingItEndsAWaitingGet) { mqtt_test::run(destroyed_subscription_ends_get()); }

/// PUBLISH (QoS 0) of `payload` to `topic`, as the broker sends it.
std::string publish_packet(std::string_view topic, std::string_view payload) {
    std::string out;
    encode_publish(out, ProtocolVersion::v311, PublishFields{topic, payload, QoS::at_most_once, false, false, 0});
    return out;
}

asyncio::Task<> destroyed_backlogged_subscription_frees_the_reader() {
    BrokerLog log;
    log.answer.set();
    log.after_suback = publish_packet("t", "1") + publish_packet("t", "2") + publish_packet("t", "3");
    auto server = co_await asyncio::start_server(fake_broker(log), "127.0.0.1", 0);
    Options options = options_for(server.port());
    options.limits.max_subscription_backlog = 1;
    Client client(options);
    co_await client.connect();
    std::optional<Subscription> subscription = co_await client.subscribe("t");
    while (subscription->pending() == 0) co_await asyncio::sleep(1ms);
    // The backlog is full: the client's reader waits for room for message 2. The subscriber
    // gives up instead.
    subscription.reset();
    log.after_suback.clear();
    try {
        Subscription other = co_await asyncio::wait_for(client.subscribe("u"), 5s);
        EXPECT_EQ(other.filter(), "u");
    } catch (const asyncio::TimeoutError&) {
        ADD_FAILURE() << "the client's reader still waits for the destroyed subscription";
    }
    EXPECT_TRUE(client.is_connected()) << client.last_error();
    co_await client.disconnect();
    server.close();
    co_await server.wait_closed();
}
TEST(MqttSubscription, DestroyingOneWhoseBacklogIsFullLetsTheClientReadOn) {
    mqtt_test::run(destroyed_backlogged_subscription_frees_the_reader());
}

// --- a Client destroyed while connect() runs ---

asyncio::Task<> destroyed_during_connect() {
    BrokerLog log;
    auto server = co_await asyncio::start_server(fake_broker(log), "127.0.0.1", 0);
    std::optional<Client> client(std::in_place, options_for(server.port()));
    auto connecting = asyncio::create_task(client->connect());
    co_await asyncio::wait_for(log.connect_received.wait(), 5s);
    client.reset();  // while connect() waits for the CONNACK
    log.answer.set();
    EXPECT_THROW(co_await connecting, ConnectionLost);
    co_await expect_connection_closed(log, "a Client destroyed during connect()");
    server.close();
    co_await server.wait_closed();
}
TEST(MqttClientLifetime, DestroyedDuringConnectLeavesNoConnection) { mqtt_test::run(destroyed_during_connect()); }

asyncio::Task<> disconnected_during_connect() {
    BrokerLog log;
    auto server = co_await asyncio::start_server(fake_broker(log), "127.0.0.1", 0);
    Client client(options_for(server.port()));
    auto connecting = asyncio::create_task(client.connect());
    co_await asyncio::wait_for(log.connect_received.wait(), 5s);
    co_await client.disconnect();  // while connect() waits for the CONNACK
    log.answer.set();
    EXPECT_THROW(co_await connecting, ConnectionLost);
    EXPECT_TRUE(client.is_closed());
    EXPECT_FALSE(client.is_connected());
    co_await expect_connection_closed(log, "a client disconnected during connect()");
    server.close();
    co_await server.wait_closed();
}
TEST(MqttClientLifetime, DisconnectDuringConnectLeavesNoConnection) { mqtt_test::run(disconnected_during_connect()); }

// --- a cancelled disconnect() ---

/// A plain TCP connection whose send buffer holds little, so that a broker that stops reading
/// blocks the client's sends soon.
asyncio::Task<asyncio::Stream> small_send_buffer(std::string host, std::uint16_t port) {
    asyncio::Stream stream = co_await asyncio::open_connection(std::move(host), port);
    stream.set_send_buffer_size(4096);
    co_return stream;
}

asyncio::Task<> cancelled_disconnect() {
    BrokerLog log;
    log.answer.set();
    log.reads_after_connack.clear();  // the broker stops reading: DISCONNECT cannot go out
    auto server = co_await asyncio::start_server(fake_broker(log), "127.0.0.1", 0);
    Options options = options_for(server.port());
    options.open_stream = small_send_buffer;
    options.limits.max_packet_size = 2 * 1024 * 1024;
    Client client(options);
    co_await client.connect();
    const std::string payload(1024 * 1024, 'p');
    for (int i = 0; i < 4; ++i) co_await client.publish("bulk", payload);  // more than the sockets hold
    auto disconnecting = asyncio::create_task(client.disconnect());
    co_await asyncio::sleep(20ms);
    EXPECT_FALSE(disconnecting.done()) << "disconnect() did not wait: the test proves nothing";
    disconnecting.cancel();  // while it waits to send what is queued and DISCONNECT
    EXPECT_THROW(co_await disconnecting, asyncio::CancelledError);
    log.reads_after_connack.set();
    EXPECT_FALSE(client.is_connected());
    EXPECT_TRUE(client.is_closed());
    EXPECT_THROW(co_await client.publish("a", "b"), ConnectionLost);
    co_await expect_connection_closed(log, "a cancelled disconnect()");
    co_await client.disconnect();  // again: nothing left to do
    server.close();
    co_await server.wait_closed();
}
TEST(MqttClientLifetime, ACancelledDisconnectStillClosesTheClient) { mqtt_test::run(cancelled_disconnect()); }

}  // namespace
