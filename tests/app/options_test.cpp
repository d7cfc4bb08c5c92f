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
    EXPECT_NE(interval.message.find("--interval needs a number of seconds >= 0.01, got '-1'"), std::string::npos)
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

}  // namespace
}  // namespace sensor_server
