#pragma once

#include <cstdint>

namespace asyncio::http {

/// Unix time as a UTC calendar date, computed (no gmtime_r, no time zone data): what an HTTP
/// Date header and an ISO 8601 time stamp need, on any C library. A board's newlib would pull in
/// its time zone parser (and scanf) for strftime/gmtime_r alone. The default is the epoch,
/// 1970-01-01 00:00:00, a Thursday.
struct UtcTime {
    std::int64_t year = 1970;  ///< the full year (2024), Gregorian calendar
    int month = 1;    ///< 1..12
    int day = 1;      ///< 1..31
    int hour = 0;     ///< 0..23
    int minute = 0;   ///< 0..59
    int second = 0;   ///< 0..59 (Unix time has no leap seconds)
    int weekday = 4;  ///< 0 = Sunday; 1970-01-01 was a Thursday
};

/// The date and time of `unix_seconds` (negative: before 1970) in UTC.
[[nodiscard]] UtcTime utc_time(std::int64_t unix_seconds) noexcept;

}  // namespace asyncio::http
