// A subscriber that falls behind: once its backlog (Limits::max_subscription_backlog) is full the
// client stops reading from the broker until it catches up, and every message still arrives,
// intact and in order.
#include <asyncio/mqtt/client.hpp>

#include <asyncio/core/sleep.hpp>

#include <gtest/gtest.h>

#include <string>

#include "mqtt/mosquitto_broker.hpp"

using namespace std::chrono_literals;
using namespace asyncio::mqtt;

namespace {

using MqttSubscriptionBacklogTest = mqtt_test::BrokerTest;

asyncio::Task<> slow_subscriber(std::uint16_t port) {
    Options options;
    options.port = port;
    options.limits.max_subscription_backlog = 2;
    Client subscriber(options);
    co_await subscriber.connect();
    Subscription sub = co_await subscriber.subscribe("backlog/#", QoS::at_least_once);

    Options publisher_options;
    publisher_options.port = port;
    Client publisher(publisher_options);
    co_await publisher.connect();
    constexpr int kMessages = 50;
    for (int i = 0; i < kMessages; ++i) co_await publisher.publish("backlog/m", "message " + std::to_string(i), QoS::at_least_once);
    co_await asyncio::sleep(200ms);  // the backlog fills, the reader waits to put the next one

    for (int i = 0; i < kMessages; ++i) {
        Message message = co_await sub.get();
        EXPECT_EQ(message.topic, "backlog/m");
        EXPECT_EQ(message.payload, "message " + std::to_string(i));
    }
    co_await publisher.disconnect();
    co_await subscriber.disconnect();
}
TEST_F(MqttSubscriptionBacklogTest, MessagesPutWhileTheBacklogIsFullArriveIntact) {
    mqtt_test::run(slow_subscriber(broker.port()));
}

}  // namespace
