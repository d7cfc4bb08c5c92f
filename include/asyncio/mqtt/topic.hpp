#pragma once
// Topic names and topic filters (section 4.7): validation and matching with the wildcards `+`
// (one level) and `#` (this level and all below). Pure functions, no allocation.

#include <string_view>

namespace asyncio::mqtt {

/// True if `text` is well-formed UTF-8 without U+0000 and without surrogates (section 1.5.3).
[[nodiscard]] bool is_valid_utf8(std::string_view text) noexcept;

/// A topic name a message is published to: non-empty, valid UTF-8, no wildcard (section 4.7.3,
/// [MQTT-3.3.2-2]).
[[nodiscard]] bool is_valid_topic_name(std::string_view topic) noexcept;

/// A topic filter: non-empty, valid UTF-8; `+` fills a whole level; `#` fills a whole level and
/// is the last one (section 4.7.1).
[[nodiscard]] bool is_valid_topic_filter(std::string_view filter) noexcept;

/// True if the topic name matches the filter. Topics starting with `$` are not matched by a
/// filter starting with a wildcard (section 4.7.2); "sport/#" also matches "sport" (4.7.1.2).
/// Both arguments are assumed valid.
[[nodiscard]] bool topic_matches(std::string_view filter, std::string_view topic) noexcept;

}  // namespace asyncio::mqtt
