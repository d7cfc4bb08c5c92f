// --mqtt, --mqtt-topic, --fleet, --fleet-topic and the interval command received over MQTT.
#include "options.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sensor_server {
namespace {

CommandLine parse(std::vector<const char*> args) {
    args.insert(args.begin(), "sensor-server");
    return parse_command_line(static_cast<int>(args.size()), args.data());
}

std::string refusal(std::string_view url) {
    try {
        (void)parse_broker_url("--mqtt", url);
    } catch (const std::invalid_argument& error) {
        return error.what();
    }
    return "accepted";
}

TEST(BrokerUrl, HostAndPort) {
    EXPECT_EQ(parse_broker_url("--mqtt", "mqtt://127.0.0.1:1884"), (BrokerAddress{"127.0.0.1", 1884}));
    EXPECT_EQ(parse_broker_url("--mqtt", "mqtt://broker.lan"), (BrokerAddress{"broker.lan", 1883}));
    EXPECT_EQ(parse_broker_url("--mqtt", "mqtt://broker.lan/"), (BrokerAddress{"broker.lan", 1883}));
    EXPECT_EQ(parse_broker_url("--mqtt", "mqtt://[::1]:1999"), (BrokerAddress{"::1", 1999}));
    EXPECT_EQ(parse_broker_url("--mqtt", "mqtt://[fe80::1]"), (BrokerAddress{"fe80::1", 1883}));
}

TEST(BrokerUrl, MqttsIsTlsOnPort8883ByDefault) {
    EXPECT_EQ(parse_broker_url("--mqtt", "mqtts://broker.lan"), (BrokerAddress{"broker.lan", 8883, true}));
    EXPECT_EQ(parse_broker_url("--mqtt", "mqtts://broker.lan:8884/"), (BrokerAddress{"broker.lan", 8884, true}));
    EXPECT_EQ(parse_broker_url("--mqtt", "mqtts://[::1]"), (BrokerAddress{"::1", 8883, true}));
    EXPECT_FALSE(parse_broker_url("--mqtt", "mqtt://broker.lan").tls);
    EXPECT_NE(refusal("mqtts://"), "accepted");
    EXPECT_NE(refusal("mqtts://host:0"), "accepted");
}

TEST(BrokerUrl, MqttsNeedsACaFileAndACaFileNeedsMqtts) {
    const CommandLine without_ca = parse({"--mqtt", "mqtts://broker"});
    EXPECT_EQ(without_ca.exit_code, 2);
    EXPECT_NE(without_ca.message.find("mqtts:// needs --mqtt-cafile FILE"), std::string::npos) << without_ca.message;
    const CommandLine fleet_without_ca = parse({"--fleet", "mqtts://broker"});
    EXPECT_EQ(fleet_without_ca.exit_code, 2);
    const CommandLine unused_ca = parse({"--mqtt", "mqtt://broker", "--mqtt-cafile", "ca.pem"});
    EXPECT_EQ(unused_ca.exit_code, 2);
    EXPECT_NE(unused_ca.message.find("--mqtt-cafile is for an mqtts:// broker"), std::string::npos) << unused_ca.message;
    const CommandLine both = parse({"--mqtt", "mqtt://a", "--fleet", "mqtts://b", "--mqtt-cafile", "ca.pem"});
    ASSERT_TRUE(both.options) << both.message;
    EXPECT_EQ(both.options->mqtt_cafile, "ca.pem");
    EXPECT_TRUE(both.options->fleet->tls);
}

TEST(BrokerUrl, MalformedUrlsAreRefused) {
    for (const char* url : {"broker:1883", "http://broker", "mqtt://", "mqtt://:1883", "mqtt://host:0",
                            "mqtt://host:65536", "mqtt://host:port", "mqtt://host:1883/path", "mqtt://user@host",
                            "mqtt://[::1", "mqtt://[]:1883", "mqtt://[::1]x", "mqtt://host:"}) {
        EXPECT_NE(refusal(url), "accepted") << url;
        EXPECT_NE(refusal(url).find("--mqtt"), std::string::npos) << "the message names the flag: " << refusal(url);
    }
}

TEST(BrokerUrl, ABadFlagExitsTwoWithOneMessage) {
    const CommandLine bad = parse({"--mqtt", "tcp://broker"});
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_FALSE(bad.options);
    EXPECT_NE(bad.message.find("--mqtt needs mqtt://HOST[:PORT] or mqtts://HOST[:PORT]"), std::string::npos) << bad.message;
    const CommandLine fleet = parse({"--fleet", "tcp://broker"});
    EXPECT_EQ(fleet.exit_code, 2);
    EXPECT_NE(fleet.message.find("--fleet needs mqtt://HOST[:PORT]"), std::string::npos) << fleet.message;
}

TEST(MqttOptions, DefaultsAndValues) {
    const CommandLine none = parse({});
    ASSERT_TRUE(none.options);
    EXPECT_FALSE(none.options->mqtt) << "no MQTT unless asked for";
    EXPECT_FALSE(none.options->fleet);
    EXPECT_EQ(none.options->mqtt_topic, "") << "main fills in sensors/<hostname>";
    EXPECT_EQ(none.options->fleet_topic, "sensors/+");
    const CommandLine all = parse({"--mqtt=mqtt://b:1", "--mqtt-topic", "home/kitchen", "--fleet", "mqtt://c",
                                   "--fleet-topic", "home/+"});
    ASSERT_TRUE(all.options) << all.message;
    EXPECT_EQ(all.options->mqtt, (BrokerAddress{"b", 1}));
    EXPECT_EQ(all.options->mqtt_topic, "home/kitchen");
    EXPECT_EQ(all.options->fleet, (BrokerAddress{"c", 1883}));
    EXPECT_EQ(all.options->fleet_topic, "home/+");
}

TEST(MqttOptions, TopicsAreChecked) {
    EXPECT_TRUE(is_valid_topic_prefix("sensors/kitchen"));
    EXPECT_FALSE(is_valid_topic_prefix("sensors/+"));
    EXPECT_FALSE(is_valid_topic_prefix("sensors/#"));
    EXPECT_FALSE(is_valid_topic_prefix("sensors/"));
    EXPECT_FALSE(is_valid_topic_prefix(""));
    EXPECT_TRUE(is_valid_prefix_filter("sensors/+"));
    EXPECT_TRUE(is_valid_prefix_filter("+/+"));
    EXPECT_FALSE(is_valid_prefix_filter("sensors/#"));
    EXPECT_FALSE(is_valid_prefix_filter("sensors/a+"));
    EXPECT_EQ(parse({"--mqtt-topic", "a/+"}).exit_code, 2);
    EXPECT_EQ(parse({"--fleet-topic", "a/#"}).exit_code, 2);
    EXPECT_EQ(topic_level("host/with+odd#chars"), "host_with_odd_chars");
}

TEST(IntervalCommand, AcceptsWhatIntervalAccepts) {
    EXPECT_EQ(parse_interval_command("2"), 2.0);
    EXPECT_EQ(parse_interval_command("0.25"), 0.25);
    EXPECT_EQ(parse_interval_command(" 0.5\n"), 0.5) << "a trailing newline from a shell is fine";
    EXPECT_EQ(parse_interval_command("0.01"), 0.01);
    EXPECT_EQ(parse_interval_command("86400"), 86400.0);
}

TEST(IntervalCommand, RefusesAnythingElse) {
    for (const char* payload : {"", " ", "abc", "1s", "0", "-1", "0.009", "86401", "nan", "inf", "1e999", "+2", "2 3",
                                "{\"interval\":2}"}) {
        EXPECT_FALSE(parse_interval_command(payload)) << payload;
    }
}

TEST(IntervalCommand, TheFlagHasTheSameRange) {
    EXPECT_EQ(parse({"--interval", "86401"}).exit_code, 2);
    const CommandLine low = parse({"--interval", "0.001"});
    EXPECT_EQ(low.exit_code, 2);
    EXPECT_NE(low.message.find(">= 0.01, at most 86400"), std::string::npos) << low.message;
}

}  // namespace
}  // namespace sensor_server
