#pragma once
// ByteBuffer: a Stream's receive buffer. Unlike std::string it can hand its free tail to recv()
// without zero-filling it first, so received bytes land where the reader looks at them (no copy
// through a scratch buffer), and consumed bytes are dropped from the front in O(1).
//
// Layout: [0, m_start) consumed, [m_start, m_end) the bytes not consumed yet, [m_end, m_capacity)
// free. The storage is released when asked (release_if_empty) or when a consume() empties a very
// large buffer, so an idle connection keeps nothing.

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

namespace asyncio::detail {

class ByteBuffer {
public:
    [[nodiscard]] std::string_view view() const noexcept { return {m_data.get() + m_start, m_end - m_start}; }
    [[nodiscard]] std::size_t size() const noexcept { return m_end - m_start; }
    [[nodiscard]] bool empty() const noexcept { return m_end == m_start; }
    [[nodiscard]] std::size_t capacity() const noexcept { return m_capacity; }

    /// Drops the first `n` bytes (all of them if `n` is larger).
    void consume(std::size_t n) noexcept {
        m_start += std::min(n, size());
        if (m_start == m_end) m_start = m_end = 0;
    }

    /// Moves the live bytes to the front, so the whole free space is one tail.
    void compact() noexcept {
        if (m_start == 0) return;
        if (m_end > m_start) std::memmove(m_data.get(), m_data.get() + m_start, m_end - m_start);
        m_end -= m_start;
        m_start = 0;
    }

    /// Free space after the live bytes (compact() first to have all of it).
    [[nodiscard]] std::size_t tail_room() const noexcept { return m_capacity - m_end; }
    [[nodiscard]] char* tail() noexcept { return m_data.get() + m_end; }
    /// `n` bytes were written at tail().
    void commit(std::size_t n) noexcept { m_end += n; }

    void append(const char* data, std::size_t n) {
        if (tail_room() < n) {
            compact();
            if (tail_room() < n) grow(size() + n);
        }
        std::memcpy(tail(), data, n);
        m_end += n;
    }

    /// Gives the storage back if nothing is buffered.
    void release_if_empty() noexcept {
        if (!empty() || !m_data) return;
        m_data.reset();
        m_capacity = m_start = m_end = 0;
    }

private:
    void grow(std::size_t needed) {
        const std::size_t capacity = std::max({needed, m_capacity * 2, std::size_t{1024}});
        std::unique_ptr<char[]> bigger(new char[capacity]);  // not zero-filled: written before read
        if (!empty()) std::memcpy(bigger.get(), m_data.get() + m_start, size());
        m_end -= m_start;
        m_start = 0;
        m_data = std::move(bigger);
        m_capacity = capacity;
    }

    std::unique_ptr<char[]> m_data;
    std::size_t m_start = 0;
    std::size_t m_end = 0;
    std::size_t m_capacity = 0;
};

}  // namespace asyncio::detail
