#include <asyncio/http/utc_time.hpp>

namespace asyncio::http {

UtcTime utc_time(std::int64_t unix_seconds) noexcept {
    std::int64_t days = unix_seconds / 86400;
    std::int64_t second_of_day = unix_seconds % 86400;
    if (second_of_day < 0) {
        second_of_day += 86400;
        --days;
    }
    UtcTime time;
    time.hour = static_cast<int>(second_of_day / 3600);
    time.minute = static_cast<int>(second_of_day / 60 % 60);
    time.second = static_cast<int>(second_of_day % 60);
    time.weekday = static_cast<int>(((days % 7) + 11) % 7);  // day 0 was a Thursday (4)
    // The civil date from days since 1970-01-01 (Howard Hinnant's civil_from_days): eras of
    // 400 years, years counted from March so that the leap day comes last.
    days += 719468;
    const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    const std::int64_t day_of_era = days - era * 146097;
    const std::int64_t year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    const std::int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    const std::int64_t month_index = (5 * day_of_year + 2) / 153;  // March = 0
    time.day = static_cast<int>(day_of_year - (153 * month_index + 2) / 5 + 1);
    time.month = static_cast<int>(month_index < 10 ? month_index + 3 : month_index - 9);
    time.year = year_of_era + era * 400 + (time.month <= 2 ? 1 : 0);
    return time;
}

}  // namespace asyncio::http
