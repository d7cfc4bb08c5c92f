// Topic names and filters (section 4.7) and UTF-8 well-formedness (section 1.5.3).
#include <asyncio/mqtt/topic.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace asyncio::mqtt {
namespace {

/// Length of the UTF-8 sequence a lead byte starts, 0 if it cannot start one.
std::size_t sequence_length(std::uint8_t lead) noexcept {
    if (lead < 0x80) return 1;
    if (lead >= 0xC2 && lead <= 0xDF) return 2;
    if (lead >= 0xE0 && lead <= 0xEF) return 3;
    if (lead >= 0xF0 && lead <= 0xF4) return 4;
    return 0;
}

/// The code point of the sequence at `text[i]` of `length` bytes, or -1 if ill-formed
/// (continuation bytes, overlong forms, beyond U+10FFFF).
long decode_code_point(std::string_view text, std::size_t i, std::size_t length) noexcept {
    const auto lead = static_cast<std::uint8_t>(text[i]);
    if (length == 1) return lead;
    long code = lead & (0xFF >> (length + 1));
    for (std::size_t k = 1; k < length; ++k) {
        const auto byte = static_cast<std::uint8_t>(text[i + k]);
        if ((byte & 0xC0) != 0x80) return -1;
        code = (code << 6) | (byte & 0x3F);
    }
    static constexpr long kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < kSmallest[length] || code > 0x10FFFF) return -1;
    return code;
}

bool is_wildcard_free(std::string_view text) noexcept { return text.find_first_of("+#") == std::string_view::npos; }

}  // namespace

bool is_valid_utf8(std::string_view text) noexcept {
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t length = sequence_length(static_cast<std::uint8_t>(text[i]));
        if (length == 0 || i + length > text.size()) return false;
        const long code = decode_code_point(text, i, length);
        // U+0000 [MQTT-1.5.3-2] and the surrogates U+D800..U+DFFF [MQTT-1.5.3-1] are not allowed.
        if (code <= 0 || (code >= 0xD800 && code <= 0xDFFF)) return false;
        i += length;
    }
    return true;
}

bool is_valid_topic_name(std::string_view topic) noexcept {
    return !topic.empty() && is_wildcard_free(topic) && is_valid_utf8(topic);
}

bool is_valid_topic_filter(std::string_view filter) noexcept {
    if (filter.empty() || !is_valid_utf8(filter)) return false;
    std::size_t level_start = 0;
    for (;;) {
        const std::size_t level_end = filter.find('/', level_start);
        const bool last = level_end == std::string_view::npos;
        const std::string_view level = filter.substr(level_start, last ? std::string_view::npos : level_end - level_start);
        if (level == "#") return last;                      // [MQTT-4.7.1-2]: '#' is the last level
        if (level != "+" && !is_wildcard_free(level)) return false;  // [MQTT-4.7.1-3]: a whole level
        if (last) return true;
        level_start = level_end + 1;
    }
}

bool topic_matches(std::string_view filter, std::string_view topic) noexcept {
    // [MQTT-4.7.2-1]: a filter starting with a wildcard does not match a topic starting with '$'.
    if (!topic.empty() && topic.front() == '$' && !filter.empty() && (filter.front() == '+' || filter.front() == '#')) {
        return false;
    }
    std::size_t f = 0;
    std::size_t t = 0;
    for (;;) {
        const std::size_t f_end = std::min(filter.find('/', f), filter.size());
        const std::string_view f_level = filter.substr(f, f_end - f);
        if (f_level == "#") return true;  // this level and every level below, or none: "a/#" matches "a"
        const std::size_t t_end = std::min(topic.find('/', t), topic.size());
        if (f_level != "+" && f_level != topic.substr(t, t_end - t)) return false;
        const bool filter_last = f_end == filter.size();
        const bool topic_last = t_end == topic.size();
        if (filter_last || topic_last) {
            if (filter_last && topic_last) return true;
            // Topic ended but the filter goes on: only "/#" may follow ("sport/#" matches "sport").
            return topic_last && filter.substr(f_end) == "/#";
        }
        f = f_end + 1;
        t = t_end + 1;
    }
}

}  // namespace asyncio::mqtt
