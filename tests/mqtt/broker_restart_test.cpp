// Every message of a QoS 1 or QoS 2 stream through a broker restart. A persistent mosquitto (its
// database in a directory of the test's own) is stopped with SIGTERM and started again on the
// same port while a publisher is in the middle of N numbered messages; publisher and subscriber
// both keep their sessions (clean start off; with 5.0 a session expiry interval). The subscriber
// counts each number: at QoS 1 none may be missing (duplicates are allowed, counted and printed);
// at QoS 2 none may be missing and none may come twice.
//
// client_test.cpp already checks that a client reconnects after a restart and that one queued
// message gets through; this counts a whole stream, with messages in flight at the moment the
// broker goes away.
#include <asyncio/mqtt/client.hpp>

#include <asyncio/core/errors.hpp>
#include <asyncio/core/sleep.hpp>
#include <asyncio/core/timeout.hpp>
#include <asyncio/core/to_thread.hpp>

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "mqtt/mosquitto_broker.hpp"

using namespace std::chrono_literals;
using namespace asyncio::mqtt;

namespace {

constexpr int kMessages = 1000;   // the stream
constexpr int kPublishers = 8;    // concurrent publish() calls: several messages in flight at once
constexpr int kStopAfter = kMessages / 3;  // acknowledged messages before the broker is stopped

Options persistent_options(std::uint16_t port, std::string client_id, ProtocolVersion version,
                           std::size_t backlog = 2 * kMessages) {
    Options options;
    options.port = port;
    options.client_id = std::move(client_id);
    options.version = version;
    options.clean_start = false;
    if (version == ProtocolVersion::v5) options.session_expiry_interval = 300;
    options.keepalive = 5s;
    options.reconnect.initial_delay = 50ms;
    options.reconnect.max_delay = 300ms;
    // Room for the whole stream by default: after the restart the broker sends what it kept in
    // one burst, and the reader takes a whole buffer of it before the counting task runs; a full
    // backlog takes the reader's put() that waits, which corrupted messages here (the test with
    // the default backlog below).
    options.limits.max_subscription_backlog = backlog;
    return options;
}

struct Tally {
    int acknowledged = 0;                 // publish() calls that returned
    int acknowledged_at_stop = -1;        // how many had when the broker was stopped
    std::vector<int> received = std::vector<int>(kMessages, 0);  // times each number arrived
    int distinct = 0;
    int unexpected = 0;                   // payloads that are not a number of the stream
};

/// Publishes the numbers `first`, first + kPublishers, ... each as one message.
asyncio::Task<> publish_share(Client& client, Tally& stream, int first, QoS qos) {
    for (int i = first; i < kMessages; i += kPublishers) {
        co_await client.publish("stream/numbers", std::to_string(i), qos);
        ++stream.acknowledged;
    }
}

/// Takes messages until every number has arrived, or none came for a while (a loss).
asyncio::Task<> count_messages(Subscription& sub, Tally& stream) {
    while (stream.distinct < kMessages) {
        std::optional<Message> message;
        try {
            Message next = co_await asyncio::wait_for(sub.get(), 20s);
            message = std::move(next);
        } catch (const asyncio::TimeoutError&) {
            co_return;  // nothing for 20 s: what is missing stays missing
        }
        const int number = std::atoi(message->payload.c_str());
        if (number < 0 || number >= kMessages || std::to_string(number) != message->payload) {
            ++stream.unexpected;
            continue;
        }
        if (stream.received[static_cast<std::size_t>(number)]++ == 0) ++stream.distinct;
    }
}

/// Stops the broker once a third of the stream is acknowledged, and starts it again shortly after.
asyncio::Task<> restart_mid_stream(mqtt_test::Mosquitto& broker, Tally& stream) {
    for (int i = 0; i < 3000 && stream.acknowledged < kStopAfter; ++i) co_await asyncio::sleep(1ms);
    stream.acknowledged_at_stop = stream.acknowledged;
    co_await asyncio::to_thread([&broker] { broker.stop(); });
    co_await asyncio::sleep(300ms);  // publishes queue up meanwhile
    const bool started = co_await asyncio::to_thread([&broker] { return broker.start(); });
    EXPECT_TRUE(started) << "mosquitto did not start again on port " << broker.port();
}

asyncio::Task<> stream_through_restart(mqtt_test::Mosquitto& broker, QoS qos, ProtocolVersion version,
                                       std::size_t backlog = 2 * kMessages) {
    const std::string tag = std::string(version == ProtocolVersion::v5 ? "v5" : "v311") + "-q" + std::to_string(static_cast<int>(qos));
    Client subscriber(persistent_options(broker.port(), "restart-sub-" + tag, version, backlog));
    co_await subscriber.connect();
    Subscription sub = co_await subscriber.subscribe("stream/#", qos);
    Client publisher(persistent_options(broker.port(), "restart-pub-" + tag, version));
    co_await publisher.connect();

    Tally stream;
    auto counting = asyncio::create_task(count_messages(sub, stream));
    auto restarting = asyncio::create_task(restart_mid_stream(broker, stream));
    std::vector<asyncio::Task<>> publishers;
    for (int k = 0; k < kPublishers; ++k) publishers.push_back(asyncio::create_task(publish_share(publisher, stream, k, qos)));
    for (auto& task : publishers) co_await task;
    co_await restarting;
    co_await counting;
    // Anything still on its way (a late resend) is counted too.
    co_await asyncio::sleep(300ms);
    while (auto late = sub.get_nowait()) {
        const int number = std::atoi(late->payload.c_str());
        if (number >= 0 && number < kMessages && std::to_string(number) == late->payload) {
            if (stream.received[static_cast<std::size_t>(number)]++ == 0) ++stream.distinct;
        } else {
            ++stream.unexpected;
        }
    }

    std::vector<int> missing;
    int duplicates = 0;
    for (int i = 0; i < kMessages; ++i) {
        if (stream.received[static_cast<std::size_t>(i)] == 0) missing.push_back(i);
        if (stream.received[static_cast<std::size_t>(i)] > 1) duplicates += stream.received[static_cast<std::size_t>(i)] - 1;
    }
    std::string first_missing;
    for (std::size_t i = 0; i < missing.size() && i < 20; ++i) first_missing += std::to_string(missing[i]) + " ";
    std::printf("[ %s ] %d messages, broker stopped after %d were acknowledged: %d received, %zu missing, "
                "%d duplicates; publisher: %llu PUBLISH written, %llu connections; subscriber: %llu connections\n",
                tag.c_str(), kMessages, stream.acknowledged_at_stop, stream.distinct, missing.size(), duplicates,
                static_cast<unsigned long long>(publisher.stats().messages_sent),
                static_cast<unsigned long long>(publisher.stats().connections),
                static_cast<unsigned long long>(subscriber.stats().connections));

    // The restart happened in the middle of the stream, and both clients went through it.
    EXPECT_GT(stream.acknowledged_at_stop, 0);
    EXPECT_LT(stream.acknowledged_at_stop, kMessages);
    EXPECT_GE(publisher.stats().connection_losses, 1u);
    EXPECT_GE(subscriber.stats().connection_losses, 1u);
    EXPECT_EQ(stream.acknowledged, kMessages);

    EXPECT_TRUE(missing.empty()) << missing.size() << " lost, the first: " << first_missing;
    EXPECT_EQ(stream.unexpected, 0);
    if (qos == QoS::exactly_once) {
        EXPECT_EQ(duplicates, 0) << "QoS 2 delivered a message more than once";
    }

    co_await publisher.disconnect();
    co_await subscriber.disconnect();
}

class MqttBrokerRestartTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (!mqtt_test::Mosquitto::installed()) GTEST_SKIP() << "mosquitto is not installed (apt-get install mosquitto mosquitto-clients)";
        ASSERT_TRUE(broker.start()) << "mosquitto did not start on port " << broker.port();
    }
    mqtt_test::Mosquitto broker{"", /*persistent=*/true};
};

TEST_F(MqttBrokerRestartTest, QoS1StreamLosesNothingThroughARestart) {
    mqtt_test::run(stream_through_restart(broker, QoS::at_least_once, ProtocolVersion::v311), 120s);
}

TEST_F(MqttBrokerRestartTest, QoS2StreamLosesAndRepeatsNothingThroughARestart) {
    mqtt_test::run(stream_through_restart(broker, QoS::exactly_once, ProtocolVersion::v311), 120s);
}

TEST_F(MqttBrokerRestartTest, QoS1StreamLosesNothingThroughARestartMqtt5) {
    mqtt_test::run(stream_through_restart(broker, QoS::at_least_once, ProtocolVersion::v5), 120s);
}

TEST_F(MqttBrokerRestartTest, QoS2StreamLosesAndRepeatsNothingThroughARestartMqtt5) {
    mqtt_test::run(stream_through_restart(broker, QoS::exactly_once, ProtocolVersion::v5), 120s);
}

// The same stream through the default backlog (256), which the burst after the restart overflows:
// the reader waits in put() with the message it holds (that message once came out corrupted).
TEST_F(MqttBrokerRestartTest, QoS2StreamThroughARestartWithTheDefaultSubscriptionBacklog) {
    mqtt_test::run(stream_through_restart(broker, QoS::exactly_once, ProtocolVersion::v311, Limits{}.max_subscription_backlog), 120s);
}

}  // namespace
