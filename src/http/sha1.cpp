#include <asyncio/http/detail/sha1.hpp>

namespace asyncio::http {
namespace {

std::uint32_t rotate_left(std::uint32_t x, int n) noexcept { return (x << n) | (x >> (32 - n)); }

std::uint32_t load_be32(const std::uint8_t* p) noexcept {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

}  // namespace

/// One 64-byte block (FIPS 180-4 6.1.2), with the 80-word schedule kept as a 16-word ring so
/// the stack cost stays small on a microcontroller.
void Sha1::compress(const std::uint8_t* block) noexcept {
    std::uint32_t w[16];
    for (int i = 0; i < 16; ++i) w[i] = load_be32(block + 4 * i);
    std::uint32_t a = m_state[0], b = m_state[1], c = m_state[2], d = m_state[3], e = m_state[4];
    for (int t = 0; t < 80; ++t) {
        if (t >= 16) {
            w[t & 15] = rotate_left(w[(t + 13) & 15] ^ w[(t + 8) & 15] ^ w[(t + 2) & 15] ^ w[t & 15], 1);
        }
        std::uint32_t f = 0;
        std::uint32_t k = 0;
        if (t < 20) {
            f = (b & c) | (~b & d);
            k = 0x5A827999u;
        } else if (t < 40) {
            f = b ^ c ^ d;
            k = 0x6ED9EBA1u;
        } else if (t < 60) {
            f = (b & c) | (b & d) | (c & d);
            k = 0x8F1BBCDCu;
        } else {
            f = b ^ c ^ d;
            k = 0xCA62C1D6u;
        }
        const std::uint32_t temp = rotate_left(a, 5) + f + e + k + w[t & 15];
        e = d;
        d = c;
        c = rotate_left(b, 30);
        b = a;
        a = temp;
    }
    m_state[0] += a;
    m_state[1] += b;
    m_state[2] += c;
    m_state[3] += d;
    m_state[4] += e;
}

void Sha1::update(std::string_view data) noexcept {
    m_total_bytes += data.size();
    for (char ch : data) {
        m_block[m_block_used++] = static_cast<std::uint8_t>(ch);
        if (m_block_used == m_block.size()) {
            compress(m_block.data());
            m_block_used = 0;
        }
    }
}

Sha1::Digest Sha1::finish() noexcept {
    const std::uint64_t bit_length = m_total_bytes * 8;
    // Padding: 0x80, zeros up to 56 mod 64, then the length in bits, big-endian.
    m_block[m_block_used++] = 0x80;
    if (m_block_used > 56) {
        while (m_block_used < 64) m_block[m_block_used++] = 0;
        compress(m_block.data());
        m_block_used = 0;
    }
    while (m_block_used < 56) m_block[m_block_used++] = 0;
    for (int i = 7; i >= 0; --i) m_block[m_block_used++] = static_cast<std::uint8_t>(bit_length >> (8 * i));
    compress(m_block.data());

    Digest digest{};
    for (std::size_t i = 0; i < 5; ++i) {
        for (std::size_t j = 0; j < 4; ++j) digest[4 * i + j] = static_cast<std::uint8_t>(m_state[i] >> (24 - 8 * j));
    }
    *this = Sha1{};
    return digest;
}

Sha1::Digest sha1(std::string_view data) noexcept {
    Sha1 h;
    h.update(data);
    return h.finish();
}

}  // namespace asyncio::http
