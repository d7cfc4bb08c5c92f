// A broker that stops answering without closing anything (SIGSTOP: its sockets stay open, the
// kernel still acknowledges what the client sends) is found out by keepalive alone: nothing comes
// back within 1.5 times the keepalive (section 3.1.2.10), and the client drops the connection.
// After SIGCONT the client reconnects and works again; a message published while the broker was
// frozen is delivered.
//
// Only detection is asserted (within a bounded wait); how long it took is printed with its ratio
// to the keepalive (the goal: at most 1.5).
#include <asyncio/mqtt/client.hpp>

#include <asyncio/core/errors.hpp>
#include <asyncio/core/sleep.hpp>
#include <asyncio/core/timeout.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

#include "mqtt/mosquitto_broker.hpp"

using namespace std::chrono_literals;
using namespace asyncio::mqtt;

namespace {

asyncio::Task<> publish_task(Client& client, std::string topic, std::string payload, QoS qos) {
    co_await client.publish(topic, payload, qos);
}

asyncio::Task<> frozen_broker(mqtt_test::Mosquitto& broker, ProtocolVersion version) {
    Options options;
    options.port = broker.port();
    options.client_id = version == ProtocolVersion::v5 ? "frozen-v5" : "frozen-v311";
    options.version = version;
    options.keepalive = 1s;
    options.connect_timeout = 1s;  // attempts on the frozen broker (TCP accepted, no CONNACK) end soon
    options.reconnect.initial_delay = 50ms;
    options.reconnect.max_delay = 300ms;
    Client client(options);
    co_await client.connect();
    Subscription sub = co_await client.subscribe("frozen/#", QoS::at_least_once);
    // A keepalive exchange or two first: detection then runs from a PINGRESP, the longest case.
    co_await asyncio::sleep(1200ms);
    EXPECT_TRUE(client.is_connected());
    if (!client.is_connected()) co_return;

    using Clock = std::chrono::steady_clock;
    broker.freeze();
    const auto frozen_at = Clock::now();
    std::optional<double> detected_after;  // seconds
    for (int i = 0; i < 2000; ++i) {       // at most ~10 s
        if (!client.is_connected()) {
            detected_after = std::chrono::duration<double>(Clock::now() - frozen_at).count();
            break;
        }
        co_await asyncio::sleep(5ms);
    }
    const double keepalive = std::chrono::duration<double>(options.keepalive).count();
    if (detected_after) {
        std::printf("[ frozen broker ] %s: keepalive %.1f s, dead connection noticed after %.3f s (%.2fx keepalive; goal <= 1.5x): %s\n",
                    options.client_id.c_str(), keepalive, *detected_after, *detected_after / keepalive,
                    client.last_error().c_str());
    }
    EXPECT_TRUE(detected_after.has_value()) << "the client still thinks it is connected 10 s after SIGSTOP";
    EXPECT_NE(client.last_error().find("keepalive"), std::string::npos) << client.last_error();

    // Published while the broker is frozen: queued (or in flight), delivered after the thaw.
    auto publishing = asyncio::create_task(publish_task(client, "frozen/queued", "while frozen", QoS::at_least_once));
    co_await asyncio::sleep(300ms);  // a reconnect attempt or two against the frozen broker
    broker.thaw();
    const auto thawed_at = Clock::now();
    bool reconnected = false;
    try {
        co_await asyncio::wait_for(client.wait_connected(), 20s);
        reconnected = true;
    } catch (const asyncio::TimeoutError&) {
    }
    EXPECT_TRUE(reconnected) << "no reconnection 20 s after SIGCONT: " << client.last_error();
    if (!reconnected) co_return;
    std::printf("[ frozen broker ] %s: reconnected %.3f s after SIGCONT\n", options.client_id.c_str(),
                std::chrono::duration<double>(Clock::now() - thawed_at).count());
    co_await asyncio::wait_for(std::move(publishing), 20s);
    Message message = co_await asyncio::wait_for(sub.get(), 20s);
    EXPECT_EQ(message.topic, "frozen/queued");
    EXPECT_EQ(message.payload, "while frozen");
    EXPECT_GE(client.stats().connection_losses, 1u);
    EXPECT_GE(client.stats().connections, 2u);
    co_await client.disconnect();
}

class MqttFrozenBrokerTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (!mqtt_test::Mosquitto::installed()) GTEST_SKIP() << "mosquitto is not installed (apt-get install mosquitto mosquitto-clients)";
        ASSERT_TRUE(broker.start()) << "mosquitto did not start on port " << broker.port();
    }
    mqtt_test::Mosquitto broker;
};

TEST_F(MqttFrozenBrokerTest, KeepaliveNoticesAFrozenBrokerAndTheClientReconnectsAfterItThaws) {
    mqtt_test::run(frozen_broker(broker, ProtocolVersion::v311), 60s);
}

TEST_F(MqttFrozenBrokerTest, KeepaliveNoticesAFrozenBrokerMqtt5) {
    mqtt_test::run(frozen_broker(broker, ProtocolVersion::v5), 60s);
}

}  // namespace
