// Topic names, topic filters and matching (section 4.7 and its examples).
#include <asyncio/mqtt/topic.hpp>

#include <gtest/gtest.h>

#include <string>

using namespace asyncio::mqtt;
using namespace std::string_literals;

TEST(MqttTopic, MatchingExamplesOfTheSpecification) {
    // Section 4.7.1.2 and 4.7.1.3.
    EXPECT_TRUE(topic_matches("sport/tennis/player1/#", "sport/tennis/player1"));
    EXPECT_TRUE(topic_matches("sport/tennis/player1/#", "sport/tennis/player1/ranking"));
    EXPECT_TRUE(topic_matches("sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon"));
    EXPECT_TRUE(topic_matches("sport/#", "sport"));
    EXPECT_TRUE(topic_matches("#", "sport/tennis"));
    EXPECT_TRUE(topic_matches("sport/tennis/+", "sport/tennis/player1"));
    EXPECT_FALSE(topic_matches("sport/tennis/+", "sport/tennis/player1/ranking"));
    EXPECT_FALSE(topic_matches("sport/+", "sport"));
    EXPECT_TRUE(topic_matches("sport/+", "sport/"));
    EXPECT_TRUE(topic_matches("+/+", "/finance"));
    EXPECT_TRUE(topic_matches("/+", "/finance"));
    EXPECT_FALSE(topic_matches("+", "/finance"));
    EXPECT_TRUE(topic_matches("+", "finance"));
}

TEST(MqttTopic, ExactAndEmptyLevels) {
    EXPECT_TRUE(topic_matches("a/b/c", "a/b/c"));
    EXPECT_FALSE(topic_matches("a/b/c", "a/b"));
    EXPECT_FALSE(topic_matches("a/b", "a/b/c"));
    EXPECT_FALSE(topic_matches("a/b", "a/bc"));
    EXPECT_TRUE(topic_matches("a//c", "a//c"));
    EXPECT_TRUE(topic_matches("a/+/c", "a//c"));
    EXPECT_TRUE(topic_matches("+/+/+", "a/b/c"));
    EXPECT_TRUE(topic_matches("a/+/#", "a/b"));
    EXPECT_FALSE(topic_matches("a/+/#", "a"));
}

TEST(MqttTopic, DollarTopicsAreNotMatchedByLeadingWildcards) {
    // Section 4.7.2.
    EXPECT_FALSE(topic_matches("#", "$SYS/broker/uptime"));
    EXPECT_FALSE(topic_matches("+/monitor/Clients", "$SYS/monitor/Clients"));
    EXPECT_TRUE(topic_matches("$SYS/#", "$SYS/broker/uptime"));
    EXPECT_TRUE(topic_matches("$SYS/monitor/+", "$SYS/monitor/Clients"));
}

TEST(MqttTopic, ValidFilters) {
    for (const char* filter : {"#", "+", "a/#", "+/b", "a/+/c", "/", "a//b", "+/+/#", "$SYS/#"}) {
        EXPECT_TRUE(is_valid_topic_filter(filter)) << filter;
    }
    for (const char* filter : {"", "a/#/b", "a#", "a/b#", "a+", "a/+b", "#/", "##"}) {
        EXPECT_FALSE(is_valid_topic_filter(filter)) << filter;
    }
}

TEST(MqttTopic, ValidNames) {
    EXPECT_TRUE(is_valid_topic_name("a/b"));
    EXPECT_TRUE(is_valid_topic_name("/"));
    EXPECT_TRUE(is_valid_topic_name("température/ü"));
    EXPECT_FALSE(is_valid_topic_name(""));
    EXPECT_FALSE(is_valid_topic_name("a/+"));
    EXPECT_FALSE(is_valid_topic_name("a/#"));
    EXPECT_FALSE(is_valid_topic_name("a\0b"s));
}

TEST(MqttTopic, Utf8WellFormedness) {
    EXPECT_TRUE(is_valid_utf8("plain"));
    EXPECT_TRUE(is_valid_utf8("\xe2\x82\xac"));      // U+20AC
    EXPECT_TRUE(is_valid_utf8("\xf0\x9f\x98\x80"));  // U+1F600
    EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));         // overlong '/'
    EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));     // a surrogate, U+D800 [MQTT-1.5.3-1]
    EXPECT_FALSE(is_valid_utf8("\xe2\x82"));         // cut short
    EXPECT_FALSE(is_valid_utf8("\x80"));             // a lone continuation byte
    EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80")); // beyond U+10FFFF
}
