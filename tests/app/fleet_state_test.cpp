// The fleet's bookkeeping: which messages it takes, its bounds and its JSON.
#include "fleet_state.hpp"

#include <gtest/gtest.h>

#include <string>

namespace sensor_server {
namespace {

std::string json(const FleetState& state) {
    std::string out;
    state.append_json(out);
    return out;
}

TEST(FleetState, ReadingsAndStatusesMakeADevice) {
    FleetState state;
    EXPECT_EQ(json(state), "{}");
    EXPECT_TRUE(state.apply("sensors/a/reading", R"({"ts":1,"temperature_c":21.5})", 1000));
    EXPECT_EQ(json(state), R"({"sensors/a":{"status":"unknown","reading":{"ts":1,"temperature_c":21.5},"last_seen_ms":1000}})");
    EXPECT_TRUE(state.apply("sensors/a/status", "online", 2000));
    EXPECT_TRUE(state.apply("sensors/b/status", "offline", 3000));
    EXPECT_EQ(json(state), R"({"sensors/a":{"status":"online","reading":{"ts":1,"temperature_c":21.5},"last_seen_ms":2000},)"
                           R"("sensors/b":{"status":"offline","reading":null,"last_seen_ms":3000}})");
    EXPECT_EQ(state.version(), 3u);
}

TEST(FleetState, WhatIsNotAReadingOrAStatusIsIgnored) {
    FleetState state;
    EXPECT_FALSE(state.apply("sensors/a/reading", "21.5", 1));
    EXPECT_FALSE(state.apply("sensors/a/reading", "{\"ts\":1", 1));
    EXPECT_FALSE(state.apply("sensors/a/reading", "{} {}", 1));
    EXPECT_FALSE(state.apply("sensors/a/status", "maybe", 1));
    EXPECT_FALSE(state.apply("sensors/a/other", "online", 1));
    EXPECT_FALSE(state.apply("sensors/a/reading", "{\"x\":\"" + std::string(FleetState::kMaxReadingBytes, 'x') + "\"}", 1));
    EXPECT_EQ(json(state), "{}");
    EXPECT_EQ(state.ignored(), 6u);
}

TEST(FleetState, DevicesAreCapped) {
    FleetState state;
    for (std::size_t i = 0; i < FleetState::kMaxDevices; ++i) {
        ASSERT_TRUE(state.apply("d/" + std::to_string(i) + "/status", "online", 1));
    }
    EXPECT_FALSE(state.apply("d/new/status", "online", 1)) << "one device too many";
    EXPECT_TRUE(state.apply("d/0/status", "offline", 2)) << "known devices still update";
    EXPECT_EQ(state.devices().size(), FleetState::kMaxDevices);
}

TEST(FleetState, PrefixesAreEscapedInJson) {
    FleetState state;
    ASSERT_TRUE(state.apply("s/\"quoted\"\\/status", "online", 1));
    EXPECT_EQ(json(state), R"({"s/\"quoted\"\\":{"status":"online","reading":null,"last_seen_ms":1}})");
}

TEST(JsonObject, ChecksStrictly) {
    for (const char* good : {"{}", " { } ", R"({"a":[1,-2.5e3,true,false,null,"x\n\u00e9"],"b":{"c":{}}})"}) {
        EXPECT_TRUE(is_json_object(good)) << good;
    }
    for (const char* bad : {"", "[]", "1", "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{a:1}", "{\"a\":01}", "{\"a\":1.}",
                            "{\"a\":\"\\x\"}", "{\"a\":tru}", "{\"a\":1}x"}) {
        EXPECT_FALSE(is_json_object(bad)) << bad;
    }
    EXPECT_FALSE(is_json_object("{\"a\":" + std::string(100, '[') + std::string(100, ']') + "}")) << "too deep";
    EXPECT_TRUE(is_json_object("{\"a\":" + std::string(20, '[') + std::string(20, ']') + "}"));
}

}  // namespace
}  // namespace sensor_server
