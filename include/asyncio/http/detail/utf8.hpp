#pragma once
// A detail of the http layer (asyncio/http/detail/), not part of its API: the WebSocket code uses
// it, and it is installed only because a public header includes it. It may change without notice.
//
// UTF-8 validation (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF), for
// WebSocket text messages (RFC 6455 8.1). Incremental, so a fragmented message fails as soon
// as its first bad byte arrives rather than after it was all buffered.
//
//   http::Utf8Validator v;
//   bool ok = v.feed(fragment1) && v.feed(fragment2) && v.complete();

#include <cstdint>
#include <string_view>

namespace asyncio::http {

class Utf8Validator {
public:
    /// Checks the next bytes of the text. False once any byte so far is invalid (and ever after).
    [[nodiscard]] bool feed(std::string_view bytes) noexcept;
    /// True when no byte was invalid and no multi-byte sequence is left unfinished.
    [[nodiscard]] bool complete() const noexcept { return !m_failed && m_needed == 0; }
    void reset() noexcept { *this = Utf8Validator{}; }

private:
    std::uint8_t m_needed = 0;     ///< continuation bytes still expected in the current sequence
    std::uint8_t m_lower = 0x80;   ///< smallest byte allowed next (excludes overlongs, surrogates)
    std::uint8_t m_upper = 0xBF;   ///< largest byte allowed next
    bool m_failed = false;
};

/// Whether `text` is entirely valid UTF-8.
[[nodiscard]] bool is_valid_utf8(std::string_view text) noexcept;

}  // namespace asyncio::http
