// Numbers as the API and the page write them, and the flags' number parser. The same file runs
// twice: in app_tests (std::to_chars/from_chars) and in number_text_compact_tests, built with
// SENSOR_SERVER_COMPACT_NUMBERS=1 as on the board (printf/strtod).
#include "number_text.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>

namespace sensor_server {
namespace {

TEST(NumberText, ReadingsComeOutAsPeopleWriteThem) {
    EXPECT_EQ(number_text(21.5), "21.5");
    EXPECT_EQ(number_text(20.79), "20.79");
    EXPECT_EQ(number_text(1013.27), "1013.27");
    EXPECT_EQ(number_text(-3.25), "-3.25");
    EXPECT_EQ(number_text(0.1), "0.1");
    EXPECT_EQ(number_text(0.0), "0");
    EXPECT_EQ(number_text(1.0), "1");
    EXPECT_EQ(number_text(3600.0), "3600");
    EXPECT_EQ(number_text(0.001), "0.001");
}

TEST(NumberText, EveryDoubleReadsBackExactly) {
    std::mt19937_64 random(12345);
    std::uniform_real_distribution<double> wide(-1e6, 1e6);
    for (int i = 0; i < 20000; ++i) {
        const double value = i % 2 == 0 ? wide(random) : std::round(wide(random) * 100) / 100;
        const std::string text = number_text(value);
        EXPECT_EQ(std::strtod(text.c_str(), nullptr), value) << text;
        EXPECT_LE(text.size(), 24u) << text;
    }
    const double awkward[] = {0.1 + 0.2, 1e-300, 1.7976931348623157e308, 5e-324, 123456789012345678.0};
    for (const double value : awkward) {
        EXPECT_EQ(std::strtod(number_text(value).c_str(), nullptr), value) << number_text(value);
    }
}

TEST(NumberText, ShortestTextForRoundedValues) {
    // Values with at most 15 significant digits come out as those digits, in both builds.
    EXPECT_EQ(number_text(0.30000000000000004), "0.30000000000000004");
    EXPECT_EQ(number_text(123456.789), "123456.789");
    EXPECT_EQ(number_text(-0.5), "-0.5");
}

TEST(NumberText, IntegersAsTheyAre) {
    std::string out;
    append_number(out, std::int64_t{1796287450000});
    out.push_back(' ');
    append_number(out, std::uint64_t{18446744073709551615u});
    out.push_back(' ');
    append_number(out, -7);
    EXPECT_EQ(out, "1796287450000 18446744073709551615 -7");
}

TEST(NumberText, ParsesPlainDecimalsOnly) {
    double value = 0;
    EXPECT_TRUE(parse_number("21.5", value));
    EXPECT_EQ(value, 21.5);
    EXPECT_TRUE(parse_number("-0.25", value));
    EXPECT_EQ(value, -0.25);
    EXPECT_TRUE(parse_number("1e3", value));
    EXPECT_EQ(value, 1000.0);
    EXPECT_TRUE(parse_number("7", value));
    EXPECT_EQ(value, 7.0);
    for (const char* bad : {"", " 1", "1 ", "+1", "abc", "1.5x", "inf", "nan", "1e999", "0x10", "--1"}) {
        EXPECT_FALSE(parse_number(bad, value)) << "'" << bad << "'";
    }
}

}  // namespace
}  // namespace sensor_server
