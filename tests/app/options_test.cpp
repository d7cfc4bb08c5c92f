// The command line's error messages, in process: what a user reads after a bad flag.
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

TEST(Options, ASecondsLimitIsWrittenAsAPersonWritesIt) {
    const CommandLine interval = parse({"--interval", "-1"});
    EXPECT_EQ(interval.exit_code, 2);
    EXPECT_NE(interval.message.find("--interval needs a number of seconds >= 0.01, at most 86400, got '-1'"), std::string::npos)
        << interval.message;
    const CommandLine header = parse({"--header-timeout", "0"});
    EXPECT_EQ(header.exit_code, 2);
    EXPECT_NE(header.message.find(">= 0.001, got '0'"), std::string::npos) << header.message;
}

TEST(Options, ACountRangeIsWrittenInWholeNumbers) {
    const CommandLine port = parse({"--port", "70000"});
    EXPECT_EQ(port.exit_code, 2);
    EXPECT_NE(port.message.find("--port needs a whole number from 0 to 65535, got '70000'"), std::string::npos)
        << port.message;
}

TEST(Options, AllowedOriginsAreRepeatableAndChecked) {
    const CommandLine none = parse({});
    ASSERT_TRUE(none.options);
    EXPECT_TRUE(none.options->allowed_origins.empty()) << "by default only this server's own pages";
    const CommandLine two = parse({"--allow-origin", "https://dash.example:8443", "--allow-origin=*"});
    ASSERT_TRUE(two.options) << two.message;
    EXPECT_EQ(two.options->allowed_origins, (std::vector<std::string>{"https://dash.example:8443", "*"}));
    const CommandLine bad = parse({"--allow-origin", "dash.example"});
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_NE(bad.message.find("--allow-origin needs '*', 'null' or scheme://host[:port], got 'dash.example'"),
              std::string::npos)
        << bad.message;
    EXPECT_NE(usage().find("--allow-origin ORIGIN"), std::string::npos);
}

}  // namespace
}  // namespace sensor_server
