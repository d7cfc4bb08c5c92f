#pragma once
// Unix time as a UTC calendar date, computed (no gmtime_r, no time zone data): what an HTTP
// Date header and an ISO 8601 time stamp need, on any C library. A board's newlib would pull in
// its time zone parser (and scanf) for strftime/gmtime_r alone.

#include <cstdint>

namespace asyncio::http {

struct UtcTime {
    std::int64_t year = 1970;
    int month = 1;    ///< 1..12
    int day = 1;      ///< 1..31
    int hour = 0;
    int minute = 0;
    int second = 0;
    int weekday = 4;  ///< 0 = Sunday; 1970-01-01 was a Thursday
};

/// The date and time of `unix_seconds` (negative: before 1970) in UTC.
[[nodiscard]] UtcTime utc_time(std::int64_t unix_seconds) noexcept;

}  // namespace asyncio::http
