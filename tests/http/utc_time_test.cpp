// Unix time to a UTC calendar date without the C library's gmtime_r (utc_time.hpp), and the HTTP
// Date header built from it.
#include <asyncio/http/response.hpp>
#include <asyncio/http/utc_time.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <ctime>
#include <random>
#include <string>

namespace asyncio::http {
namespace {

void expect_same_as_gmtime(std::int64_t seconds) {
    const auto now = static_cast<std::time_t>(seconds);
    std::tm expected{};
    ASSERT_NE(gmtime_r(&now, &expected), nullptr);
    const UtcTime actual = utc_time(seconds);
    EXPECT_EQ(actual.year, expected.tm_year + 1900) << seconds;
    EXPECT_EQ(actual.month, expected.tm_mon + 1) << seconds;
    EXPECT_EQ(actual.day, expected.tm_mday) << seconds;
    EXPECT_EQ(actual.hour, expected.tm_hour) << seconds;
    EXPECT_EQ(actual.minute, expected.tm_min) << seconds;
    EXPECT_EQ(actual.second, expected.tm_sec) << seconds;
    EXPECT_EQ(actual.weekday, expected.tm_wday) << seconds;
}

TEST(UtcTime, KnownDates) {
    const UtcTime epoch = utc_time(0);
    EXPECT_EQ(epoch.year, 1970);
    EXPECT_EQ(epoch.month, 1);
    EXPECT_EQ(epoch.day, 1);
    EXPECT_EQ(epoch.weekday, 4);  // a Thursday
    const UtcTime leap_day = utc_time(951782400);  // 2000-02-29 00:00:00
    EXPECT_EQ(leap_day.year, 2000);
    EXPECT_EQ(leap_day.month, 2);
    EXPECT_EQ(leap_day.day, 29);
    const UtcTime before = utc_time(-1);  // 1969-12-31 23:59:59, a Wednesday
    EXPECT_EQ(before.year, 1969);
    EXPECT_EQ(before.day, 31);
    EXPECT_EQ(before.second, 59);
    EXPECT_EQ(before.weekday, 3);
}

TEST(UtcTime, MatchesGmtimeAcrossCenturies) {
    std::mt19937_64 random(7);
    std::uniform_int_distribution<std::int64_t> any(-4'000'000'000LL, 8'000'000'000LL);
    for (int i = 0; i < 20000; ++i) expect_same_as_gmtime(any(random));
    for (std::int64_t day = -800; day < 800; ++day) expect_same_as_gmtime(day * 86400 + 86399);
}

TEST(UtcTime, HttpDateIsImfFixdate) {
    // The same text strftime("%a, %d %b %Y %H:%M:%S GMT") gives, for this second or the next.
    auto expected_at = [](std::time_t second) {
        std::tm utc{};
        gmtime_r(&second, &utc);
        char text[64];
        return std::string(text, std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &utc));
    };
    const std::time_t before = std::time(nullptr);
    const std::string date(http_date());
    const std::time_t after = std::time(nullptr);
    EXPECT_TRUE(date == expected_at(before) || date == expected_at(after)) << date;
    EXPECT_EQ(date.size(), 29u);
}

}  // namespace
}  // namespace asyncio::http
