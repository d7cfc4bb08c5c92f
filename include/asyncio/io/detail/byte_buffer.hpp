#pragma once
// ByteBuffer: a Stream's receive buffer. Unlike std::string it can hand its free tail to recv()
// without zero-filling it first, so received bytes land where the reader looks at them (no copy
// through a scratch buffer), and consumed bytes are dropped from the front in O(1).
//
// Layout: [0, m_start) consumed, [m_start, m_end) the bytes not consumed yet, [m_end, m_capacity)
// free. The storage is released when asked (release_if_empty) or when a consume() empties a very
// large buffer, so an idle connection keeps nothing. Storage of kReceiveBlockSize bytes comes from
// and goes back to the thread's free list (buffer_pool.hpp): taking it again costs no allocation.

#include <asyncio/io/detail/buffer_pool.hpp>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string_view>
#include <utility>

namespace asyncio::detail {

class ByteBuffer {
public:
    ByteBuffer() = default;
    ByteBuffer(const ByteBuffer&) = delete;
    ByteBuffer& operator=(const ByteBuffer&) = delete;
    ~ByteBuffer() { free_storage(); }

    [[nodiscard]] std::string_view view() const noexcept { return {m_data + m_start, m_end - m_start}; }
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
        if (m_end > m_start) std::memmove(m_data, m_data + m_start, m_end - m_start);
        m_end -= m_start;
        m_start = 0;
    }

    /// Free space after the live bytes (compact() first to have all of it).
    [[nodiscard]] std::size_t tail_room() const noexcept { return m_capacity - m_end; }
    [[nodiscard]] char* tail() noexcept { return m_data + m_end; }
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
        if (!empty() || m_data == nullptr) return;
        free_storage();
        m_data = nullptr;
        m_capacity = m_start = m_end = 0;
    }

private:
    void grow(std::size_t needed) {
        if (m_data == nullptr && needed <= kReceiveBlockSize) {
            // The common case of a connection that went idle: a block from the thread's free
            // list, no allocation.
            m_data = take_receive_block();
            m_capacity = kReceiveBlockSize;
            return;
        }
        const std::size_t capacity = std::max({needed, m_capacity * 2, std::size_t{1024}});
        char* bigger = new char[capacity];  // not zero-filled: written before read
        if (!empty()) std::memcpy(bigger, m_data + m_start, size());
        m_end -= m_start;
        m_start = 0;
        free_storage();
        m_data = bigger;
        m_capacity = capacity;
    }

    /// Storage of the pooled size goes back to the free list (whoever allocated it: every
    /// block of that size was made by new char[]); other sizes go back to the heap.
    void free_storage() noexcept {
        if (m_data == nullptr) return;
        if (m_capacity == kReceiveBlockSize) {
            give_receive_block(m_data);
        } else {
            delete[] m_data;
        }
    }

    char* m_data = nullptr;
    std::size_t m_start = 0;
    std::size_t m_end = 0;
    std::size_t m_capacity = 0;
};

}  // namespace asyncio::detail
