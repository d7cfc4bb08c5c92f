#pragma once
// Byte tests on eight bytes at a time ("SWAR": plain 64-bit arithmetic, no SIMD instructions, so
// the same code runs on a microcontroller). Each test is exact about whether *any* byte of the
// word qualifies (Bit Twiddling Hacks' hasless and hasmore), which is all a scan needs to step
// over a word of ordinary bytes; which byte it was, the caller finds byte by byte.
#include <cstdint>
#include <cstring>

namespace asyncio::http::detail {

inline constexpr std::uint64_t kEveryByte = 0x0101010101010101u;
inline constexpr std::uint64_t kHighBits = 0x8080808080808080u;

/// The eight bytes at `at` (any alignment) as one word.
[[gnu::always_inline]] inline std::uint64_t load_word(const char* at) noexcept {
    std::uint64_t word = 0;
    std::memcpy(&word, at, 8);
    return word;
}

/// Whether a byte of `word` is below `n` (n <= 128).
constexpr bool any_byte_below(std::uint64_t word, std::uint64_t n) noexcept {
    return ((word - kEveryByte * n) & ~word & kHighBits) != 0;
}

/// Whether a byte of `word` is above `n` (n <= 127).
constexpr bool any_byte_above(std::uint64_t word, std::uint64_t n) noexcept {
    return (((word + kEveryByte * (127 - n)) | word) & kHighBits) != 0;
}

/// Whether a byte of `word` is `byte`: XOR turns exactly those bytes into zero.
constexpr bool any_byte_is(std::uint64_t word, unsigned char byte) noexcept {
    return any_byte_below(word ^ (kEveryByte * byte), 1);
}

}  // namespace asyncio::http::detail
