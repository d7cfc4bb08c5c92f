// The client against a real broker (mosquitto on 127.0.0.1): round trips at each QoS, retained
// messages, wildcards, last will, interoperability with mosquitto_pub/mosquitto_sub, persistent
// sessions, reconnect after a broker restart, MQTT 5.0.
#include <asyncio/mqtt/client.hpp>

#include <asyncio/core/errors.hpp>
#include <asyncio/core/sleep.hpp>
#include <asyncio/core/to_thread.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <cstdio>
#include <set>
#include <string>

#include "mqtt/mosquitto_broker.hpp"

using namespace std::chrono_literals;
using namespace asyncio::mqtt;

namespace {

using MqttClientTest = mqtt_test::BrokerTest;

Options options_for(std::uint16_t port, std::string client_id = "") {
    Options options;
    options.port = port;
    options.client_id = std::move(client_id);
    options.keepalive = 5s;
    options.reconnect.initial_delay = 50ms;
    options.reconnect.max_delay = 500ms;
    return options;
}

/// Runs a shell command on a worker thread and returns its standard output.
std::string shell(std::string command) {
    std::string output;
    if (FILE* pipe = ::popen(command.c_str(), "r")) {
        char buffer[256];
        while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) output += buffer;
        ::pclose(pipe);
    }
    return output;
}

/// publish() as a task of its own (publish returns a MaybeTask, which create_task does not take).
asyncio::Task<> publish_task(Client& client, std::string topic, std::string payload, QoS qos) {
    co_await client.publish(topic, payload, qos);
}

asyncio::Task<> subscribe_into(Client& client, std::optional<Subscription>& out, std::string filter, QoS qos) {
    out.emplace(co_await client.subscribe(std::move(filter), qos));
}

asyncio::Task<> round_trip_at_each_qos(std::uint16_t port) {
    Client client(options_for(port));
    co_await client.connect();
    EXPECT_TRUE(client.is_connected());
    Subscription sub = co_await client.subscribe("rt/#", QoS::exactly_once);
    co_await client.publish("rt/0", "zero", QoS::at_most_once);
    co_await client.publish("rt/1", "one", QoS::at_least_once);
    co_await client.publish("rt/2", "two", QoS::exactly_once);
    std::set<std::string> received;
    for (int i = 0; i < 3; ++i) {
        Message message = co_await sub.get();
        received.insert(message.topic + "=" + message.payload + "@" + std::to_string(static_cast<int>(message.qos)));
    }
    EXPECT_EQ(received, (std::set<std::string>{"rt/0=zero@0", "rt/1=one@1", "rt/2=two@2"}));
    EXPECT_EQ(client.inflight(), 0u);
    co_await client.disconnect();
    EXPECT_TRUE(client.is_closed());
}
TEST_F(MqttClientTest, RoundTripAtEachQoS) { mqtt_test::run(round_trip_at_each_qos(broker.port())); }

asyncio::Task<> many_qos1_through_a_small_window(std::uint16_t port) {
    Options options = options_for(port);
    options.limits.max_inflight = 3;
    options.limits.max_queued = 5;
    Client client(options);
    co_await client.connect();
    Subscription sub = co_await client.subscribe("win", QoS::at_least_once);
    std::vector<asyncio::ScheduledTask<void>> publishers;
    for (int i = 0; i < 50; ++i) publishers.push_back(asyncio::create_task(publish_task(client, "win", std::to_string(i), QoS::at_least_once)));
    for (auto& publisher : publishers) co_await publisher;
    for (int i = 0; i < 50; ++i) EXPECT_EQ((co_await sub.get()).payload, std::to_string(i));  // in order (section 4.6)
    co_await client.disconnect();
}
TEST_F(MqttClientTest, ManyQoS1MessagesThroughASmallInflightWindowArriveInOrder) {
    mqtt_test::run(many_qos1_through_a_small_window(broker.port()));
}

asyncio::Task<> retained_message(std::uint16_t port) {
    Client publisher(options_for(port));
    co_await publisher.connect();
    co_await publisher.publish("ret/state", "on", QoS::at_least_once, true);
    co_await publisher.disconnect();

    Client subscriber(options_for(port));
    co_await subscriber.connect();
    Subscription sub = co_await subscriber.subscribe("ret/+", QoS::at_least_once);
    Message message = co_await sub.get();
    EXPECT_EQ(message.topic, "ret/state");
    EXPECT_EQ(message.payload, "on");
    EXPECT_TRUE(message.retain);
    co_await subscriber.disconnect();
}
TEST_F(MqttClientTest, RetainedMessageGoesToLaterSubscribers) { mqtt_test::run(retained_message(broker.port())); }

/// A retained message larger than the subscriber's max_packet_size: 3.1.1 drops it as it
/// arrives, 5.0 tells the broker the limit in CONNECT so that it is never sent. Either way the
/// subscriber stays connected and gets the next message (once, it closed the connection, and
/// got the same retained message again after every reconnection).
asyncio::Task<> retained_message_too_large(std::uint16_t port, ProtocolVersion version) {
    Client publisher(options_for(port));
    co_await publisher.connect();
    co_await publisher.publish("big/state", std::string(8 * 1024, 'x'), QoS::at_least_once, true);

    Options options = options_for(port);
    options.version = version;
    options.limits.max_packet_size = 4 * 1024;
    Client subscriber(options);
    co_await subscriber.connect();
    Subscription sub = co_await subscriber.subscribe("big/+", QoS::at_least_once);
    co_await publisher.publish("big/next", "small", QoS::at_least_once);
    Message message = co_await sub.get();
    EXPECT_EQ(message.topic, "big/next");
    EXPECT_TRUE(subscriber.is_connected());
    EXPECT_EQ(subscriber.stats().connections, 1u) << "no reconnection";
    if (version == ProtocolVersion::v311) {
        EXPECT_EQ(subscriber.stats().messages_too_large, 1u);
    }
    co_await publisher.publish("big/state", "", QoS::at_least_once, true);  // clears it
    co_await subscriber.disconnect();
    co_await publisher.disconnect();
}
TEST_F(MqttClientTest, RetainedMessageTooLargeIsDroppedAndTheConnectionGoesOn) {
    mqtt_test::run(retained_message_too_large(broker.port(), ProtocolVersion::v311));
    mqtt_test::run(retained_message_too_large(broker.port(), ProtocolVersion::v5));
}

asyncio::Task<> wildcards(std::uint16_t port) {
    Client client(options_for(port));
    co_await client.connect();
    Subscription plus = co_await client.subscribe("home/+/temp");
    Subscription hash = co_await client.subscribe("office/#");
    for (const char* topic : {"home/kitchen/temp", "home/kitchen/humidity", "home/a/b/temp", "office", "office/x/y", "home/hall/temp"}) {
        co_await client.publish(topic, topic);
    }
    EXPECT_EQ((co_await plus.get()).topic, "home/kitchen/temp");
    EXPECT_EQ((co_await plus.get()).topic, "home/hall/temp");
    EXPECT_EQ((co_await hash.get()).topic, "office");
    EXPECT_EQ((co_await hash.get()).topic, "office/x/y");
    co_await asyncio::sleep(100ms);
    EXPECT_EQ(plus.pending(), 0u);
    EXPECT_EQ(hash.pending(), 0u);
    co_await client.unsubscribe("office/#");
    EXPECT_THROW(co_await hash.get(), ConnectionLost);  // unsubscribed: the subscription ended
    co_await client.disconnect();
}
TEST_F(MqttClientTest, WildcardSubscriptions) { mqtt_test::run(wildcards(broker.port())); }

asyncio::Task<> last_will(std::uint16_t port) {
    Client watcher(options_for(port));
    co_await watcher.connect();
    Subscription wills = co_await watcher.subscribe("status/#", QoS::at_least_once);

    Options options = options_for(port, "will-client");
    options.will = Will{"status/will-client", "offline", QoS::at_least_once, false};
    options.reconnect.enabled = false;
    Client dying(options);
    co_await dying.connect();
    dying.drop_connection();  // the socket goes without DISCONNECT
    co_await dying.wait_closed();
    Message will = co_await wills.get();
    EXPECT_EQ(will.topic, "status/will-client");
    EXPECT_EQ(will.payload, "offline");
    co_await watcher.disconnect();
}
TEST_F(MqttClientTest, LastWillIsPublishedWhenTheConnectionDrops) { mqtt_test::run(last_will(broker.port())); }

asyncio::Task<> no_will_after_disconnect(std::uint16_t port) {
    Client watcher(options_for(port));
    co_await watcher.connect();
    Subscription wills = co_await watcher.subscribe("status/#");
    Options options = options_for(port);
    options.will = Will{"status/clean", "offline"};
    Client leaving(options);
    co_await leaving.connect();
    co_await leaving.disconnect();
    co_await watcher.publish("status/marker", "after");
    EXPECT_EQ((co_await wills.get()).topic, "status/marker");  // the will would have come first
    co_await watcher.disconnect();
}
TEST_F(MqttClientTest, NoWillAfterDisconnect) { mqtt_test::run(no_will_after_disconnect(broker.port())); }

asyncio::Task<> interop_with_mosquitto_clients(std::uint16_t port) {
    Client client(options_for(port));
    co_await client.connect();
    // Ours to mosquitto_sub: retained, so mosquitto_sub gets it whenever it subscribes.
    co_await client.publish("interop/from-asyncio", "hello mosquitto", QoS::at_least_once, true);
    const std::string p = std::to_string(port);
    const std::string got = co_await asyncio::to_thread(shell, "mosquitto_sub -h 127.0.0.1 -p " + p + " -t interop/from-asyncio -C 1 -W 10");
    EXPECT_EQ(got, "hello mosquitto\n");
    // mosquitto_pub to ours, at QoS 2.
    Subscription sub = co_await client.subscribe("interop/to-asyncio", QoS::exactly_once);
    (void)co_await asyncio::to_thread(shell, "mosquitto_pub -h 127.0.0.1 -p " + p + " -t interop/to-asyncio -q 2 -m 'hello asyncio'");
    Message message = co_await sub.get();
    EXPECT_EQ(message.payload, "hello asyncio");
    EXPECT_EQ(message.qos, QoS::exactly_once);
    co_await client.disconnect();
}
TEST_F(MqttClientTest, InteroperatesWithMosquittoPubAndSub) {
    if (mqtt_test::find_program("mosquitto_sub").empty()) GTEST_SKIP() << "mosquitto-clients is not installed";
    mqtt_test::run(interop_with_mosquitto_clients(broker.port()));
}

asyncio::Task<> persistent_session(std::uint16_t port) {
    Options options = options_for(port, "persistent-1");
    options.clean_start = false;
    {
        Client first(options);
        co_await first.connect();
        Subscription sub = co_await first.subscribe("persist/#", QoS::at_least_once);
        co_await first.disconnect();
    }
    Client other(options_for(port));
    co_await other.connect();
    co_await other.publish("persist/a", "kept for you", QoS::at_least_once);
    co_await other.disconnect();

    Client again(options);
    // The broker delivers the stored message right after CONNACK: subscribe before connecting,
    // so it has somewhere to go.
    std::optional<Subscription> sub;
    auto subscribing = asyncio::create_task(subscribe_into(again, sub, "persist/#", QoS::at_least_once));
    co_await again.connect();
    co_await subscribing;
    Message message = co_await sub->get();
    EXPECT_EQ(message.payload, "kept for you");
    co_await again.disconnect();
}
TEST_F(MqttClientTest, PersistentSessionKeepsMessagesWhileOffline) { mqtt_test::run(persistent_session(broker.port())); }

asyncio::Task<> reconnect_after_restart(mqtt_test::Mosquitto& broker) {
    Client client(options_for(broker.port(), "reconnecting"));
    co_await client.connect();
    Subscription sub = co_await client.subscribe("re/#", QoS::at_least_once);
    broker.stop();
    for (int i = 0; i < 200 && client.is_connected(); ++i) co_await asyncio::sleep(20ms);
    EXPECT_FALSE(client.is_connected());
    // Published while offline: queued, sent once the client is back.
    auto publishing = asyncio::create_task(publish_task(client, "re/queued", "while offline", QoS::at_least_once));
    co_await asyncio::sleep(200ms);
    EXPECT_FALSE(publishing.done());
    EXPECT_TRUE(broker.start());
    co_await publishing;  // PUBACK from the restarted broker
    Message message = co_await sub.get();  // the subscription was restored
    EXPECT_EQ(message.topic, "re/queued");
    EXPECT_EQ(message.payload, "while offline");
    EXPECT_GE(client.stats().connections, 2u);
    EXPECT_GE(client.stats().connection_losses, 1u);
    co_await client.disconnect();
}
TEST_F(MqttClientTest, ReconnectsAfterBrokerRestartRestoringSubscriptionsAndQueue) {
    mqtt_test::run(reconnect_after_restart(broker), 60s);
}

asyncio::Task<> drop_and_reconnect(std::uint16_t port) {
    Client client(options_for(port));
    co_await client.connect();
    Subscription sub = co_await client.subscribe("drop/#", QoS::at_least_once);
    client.drop_connection();
    co_await asyncio::sleep(10ms);
    co_await client.publish("drop/1", "after the drop", QoS::at_least_once);
    EXPECT_EQ((co_await sub.get()).payload, "after the drop");
    EXPECT_EQ(client.stats().connections, 2u);
    co_await client.disconnect();
}
TEST_F(MqttClientTest, ReconnectsAfterADroppedConnection) { mqtt_test::run(drop_and_reconnect(broker.port())); }

asyncio::Task<> version5_round_trip(std::uint16_t port) {
    Options options = options_for(port, "v5-client");
    options.version = ProtocolVersion::v5;
    options.clean_start = false;
    options.session_expiry_interval = 60;
    Client client = co_await asyncio::mqtt::connect(options);
    Subscription sub = co_await client.subscribe("v5/#", QoS::exactly_once);
    co_await client.publish("v5/a", "five", QoS::at_least_once);
    co_await client.publish("v5/b", "five again", QoS::exactly_once, true);
    EXPECT_EQ((co_await sub.get()).payload, "five");
    EXPECT_EQ((co_await sub.get()).payload, "five again");
    co_await client.unsubscribe("v5/#");
    co_await client.disconnect();
}
TEST_F(MqttClientTest, Mqtt5RoundTrip) { mqtt_test::run(version5_round_trip(broker.port())); }

asyncio::Task<> refused_connection(std::uint16_t port) {
    Options options = options_for(port);
    options.clean_start = false;  // with an empty client id: identifier rejected (section 3.1.3.1)
    Client client(options);
    try {
        co_await client.connect();
        ADD_FAILURE() << "connected";
    } catch (const ConnectionRefused& refused) {
        EXPECT_EQ(refused.code(), 2);
    }
}
TEST_F(MqttClientTest, RefusedConnectionSaysWhy) { mqtt_test::run(refused_connection(broker.port())); }

}  // namespace
