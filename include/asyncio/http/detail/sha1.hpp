#pragma once
// A detail of the http layer (asyncio/http/detail/), not part of its API: the WebSocket handshake
// uses it. It may change without notice.
//
// SHA-1 (FIPS 180-4), small and dependency-free so the http layer runs on a microcontroller
// without OpenSSL. Here only for the WebSocket handshake (RFC 6455 4.2.2), where SHA-1 is a
// fixed part of the protocol, not a security choice: do not use it for anything secret.
//
//   http::Sha1 h;
//   h.update("abc");
//   http::Sha1::Digest d = h.finish();   // a9993e36...

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace asyncio::http {

/// Incremental SHA-1: update() any number of times, then finish() once.
class Sha1 {
public:
    using Digest = std::array<std::uint8_t, 20>;

    /// Hashes `data` after what was hashed before.
    void update(std::string_view data) noexcept;
    /// Pads, returns the digest, and leaves the object ready to hash a new message.
    [[nodiscard]] Digest finish() noexcept;

private:
    void compress(const std::uint8_t* block) noexcept;

    std::array<std::uint32_t, 5> m_state{0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u, 0xC3D2E1F0u};
    std::array<std::uint8_t, 64> m_block{};  ///< bytes of an incomplete 64-byte block
    std::size_t m_block_used = 0;           ///< how many bytes of m_block are filled
    std::uint64_t m_total_bytes = 0;        ///< message length so far
};

/// The SHA-1 digest of `data` in one call.
[[nodiscard]] Sha1::Digest sha1(std::string_view data) noexcept;

}  // namespace asyncio::http
