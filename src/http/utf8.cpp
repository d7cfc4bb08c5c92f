#include <asyncio/http/detail/utf8.hpp>

namespace asyncio::http {

bool Utf8Validator::feed(std::string_view bytes) noexcept {
    if (m_failed) return false;
    for (char ch : bytes) {
        const auto b = static_cast<std::uint8_t>(ch);
        if (m_needed > 0) {
            if (b < m_lower || b > m_upper) return !(m_failed = true);
            m_lower = 0x80;
            m_upper = 0xBF;
            --m_needed;
            continue;
        }
        if (b < 0x80) continue;
        // The lead byte fixes the length and, for a few leads, a narrower range for the second
        // byte (Table 3-7 of the Unicode standard).
        if (b >= 0xC2 && b <= 0xDF) {
            m_needed = 1;
        } else if (b >= 0xE0 && b <= 0xEF) {
            m_needed = 2;
            if (b == 0xE0) m_lower = 0xA0;  // overlong
            if (b == 0xED) m_upper = 0x9F;  // UTF-16 surrogates
        } else if (b >= 0xF0 && b <= 0xF4) {
            m_needed = 3;
            if (b == 0xF0) m_lower = 0x90;  // overlong
            if (b == 0xF4) m_upper = 0x8F;  // above U+10FFFF
        } else {
            return !(m_failed = true);  // continuation byte without lead, C0, C1, F5..FF
        }
    }
    return true;
}

bool is_valid_utf8(std::string_view text) noexcept {
    Utf8Validator v;
    return v.feed(text) && v.complete();
}

}  // namespace asyncio::http
