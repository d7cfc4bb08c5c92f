#pragma once
// The stream_readline fuzzer's input, decoded: the reader's limit, then a list of steps, each what
// the peer sends or what the reader asks the Stream for.
//
// Encoding (fuzz/make_stream_corpus.py writes it; bytes past the end of the input read as 0):
//   byte 0        the initial limit: 1 + b % 48 when b < 240, else Stream::kDefaultLimit
//   then steps    an opcode byte c: kind = (c & 0x0f) % 10, then the kind's arguments:
//     0 queue  L, L bytes      a chunk the peer sends when the reader starves for data
//     1 bulk   u, 1 + u % 8 unit bytes, r   a queued chunk of (r + 1) * 64 bytes repeating the unit
//     2 send   L, L bytes      a chunk the peer sends at once, before the next read (left out
//                              after EOF, or if 16 KiB or 32 sends would be in flight)
//     3 eof                    the peer shuts its side down at once
//     4 readline
//     5 readuntil  s, s % 5 separator bytes   (0 bytes: the empty separator, invalid_argument)
//     6 readexactly  n           (wide: n | next << 8)
//     7 read  n                  (n = 255 and not wide: read() to EOF)
//     8 consume  n               (wide as above): drops n buffered bytes, the in-place API
//     9 set_limit  n             limit = 1 + n (wide as above)
//   c & 0x10   on a read step (4-7): cancel it when it starves after (c >> 5) & 3 deliveries
//   c & 0x80   "wide": the count takes a second byte
// A script ends after kMaxSteps steps or kMaxTotalBytes bytes of chunks.

#include <asyncio/io/stream.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace stream_fuzz {

enum class StepKind { queue, send, eof, readline, readuntil, readexactly, read, consume, set_limit };

struct Step {
    StepKind kind = StepKind::readline;
    std::string bytes;         ///< queue/send: the chunk; readuntil: the separator
    std::ptrdiff_t count = 0;  ///< readexactly/read/consume: bytes (read: -1 for "to EOF"); set_limit
    int cancel_after = -1;     ///< read steps: deliveries before a starving read is cancelled; -1 never

    [[nodiscard]] bool reads() const noexcept { return kind >= StepKind::readline && kind <= StepKind::read; }
};

struct Script {
    std::size_t limit = asyncio::Stream::kDefaultLimit;
    std::vector<Step> steps;
};

/// One chunk at most this big: a single recv() (which asks for 16 KiB or more) takes all of it,
/// so what the reader receives in one go is known exactly.
inline constexpr std::size_t kMaxChunk = 16 * 1024;
/// Bounds that keep one run short whatever the input.
inline constexpr std::size_t kMaxSteps = 64;
inline constexpr std::size_t kMaxTotalBytes = 96 * 1024;  // past the default limit

namespace detail {

class ByteReader {
public:
    ByteReader(const std::uint8_t* data, std::size_t size) : m_data(data), m_size(size) {}
    [[nodiscard]] bool done() const noexcept { return m_at >= m_size; }
    std::uint8_t byte() noexcept { return m_at < m_size ? m_data[m_at++] : 0; }
    std::string bytes(std::size_t n) {
        const std::size_t available = std::min(n, m_size - std::min(m_at, m_size));
        std::string out(reinterpret_cast<const char*>(m_data) + m_at, available);
        m_at += available;
        return out;
    }

private:
    const std::uint8_t* m_data;
    std::size_t m_size;
    std::size_t m_at = 0;
};

inline std::ptrdiff_t count_argument(ByteReader& in, bool wide) {
    const std::ptrdiff_t low = in.byte();
    return wide ? low | static_cast<std::ptrdiff_t>(in.byte()) << 8 : low;
}

inline std::string bulk_chunk(ByteReader& in) {
    std::string unit = in.bytes(1 + in.byte() % 8);  // doubled until it is `size` long
    if (unit.empty()) unit = "\n";
    const std::size_t size = (static_cast<std::size_t>(in.byte()) + 1) * 64;
    std::string chunk = std::move(unit);
    while (chunk.size() < size) chunk.append(chunk, 0, std::min(chunk.size(), size - chunk.size()));
    return chunk;
}

inline Step decode_step(ByteReader& in) {
    const std::uint8_t opcode = in.byte();
    const bool wide = (opcode & 0x80) != 0;
    Step step;
    switch ((opcode & 0x0f) % 10) {
        case 0: step.kind = StepKind::queue; step.bytes = in.bytes(in.byte()); break;
        case 1: step.kind = StepKind::queue; step.bytes = bulk_chunk(in); break;
        case 2: step.kind = StepKind::send; step.bytes = in.bytes(in.byte()); break;
        case 3: step.kind = StepKind::eof; break;
        case 4: step.kind = StepKind::readline; break;
        case 5: step.kind = StepKind::readuntil; step.bytes = in.bytes(in.byte() % 5); break;
        case 6: step.kind = StepKind::readexactly; step.count = count_argument(in, wide); break;
        case 7:
            step.kind = StepKind::read;
            step.count = count_argument(in, wide);
            if (!wide && step.count == 255) step.count = -1;
            break;
        case 8: step.kind = StepKind::consume; step.count = count_argument(in, wide); break;
        default: step.kind = StepKind::set_limit; step.count = 1 + count_argument(in, wide); break;
    }
    if (step.reads() && (opcode & 0x10) != 0) step.cancel_after = (opcode >> 5) & 3;
    return step;
}

}  // namespace detail

inline Script decode_script(const std::uint8_t* data, std::size_t size) {
    detail::ByteReader in(data, size);
    Script script;
    const std::uint8_t first = in.byte();
    script.limit = first < 240 ? 1 + first % 48 : asyncio::Stream::kDefaultLimit;
    std::size_t total_bytes = 0;
    while (!in.done() && script.steps.size() < kMaxSteps) {
        Step step = detail::decode_step(in);
        if ((step.kind == StepKind::queue || step.kind == StepKind::send) && step.bytes.empty()) continue;
        total_bytes += step.bytes.size();
        if (total_bytes > kMaxTotalBytes) break;
        script.steps.push_back(std::move(step));
    }
    return script;
}

}  // namespace stream_fuzz
