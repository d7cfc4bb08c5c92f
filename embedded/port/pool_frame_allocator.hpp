#pragma once
// A fixed pool of equal-sized blocks for coroutine frames, so that a device runs with no heap once
// it has started: set_frame_allocator(&pool) before the loop starts, and every task, every
// awaited coroutine takes a block from here.
//
//   asyncio::port::StaticFramePool<256, 32> pool;   // 32 frames of up to 256 bytes, in .bss
//   asyncio::set_frame_allocator(&pool);
//   asyncio::run(main_task());
//
// O(1) allocate and free (a free list threaded through the free blocks), no fragmentation.
// Exhaustion, and a frame larger than a block, are clear errors: allocate() returns nullptr and
// the core throws std::bad_alloc where the coroutine is called, nothing is overwritten. Freeing a
// pointer that is not one of the pool's blocks stops the program (it can only be a bug: the
// allocator was switched while tasks existed).
//
// Proposed for the core as asyncio::FramePool (see embedded/CORE_CHANGES.md); it needs nothing
// from the port.

#include <asyncio/core/frame_allocator.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

namespace asyncio::port {

class PoolFrameAllocator : public FrameAllocator {
public:
    /// Carves `bytes` of `memory` into blocks of `block_size` (rounded up to 8).
    PoolFrameAllocator(void* memory, std::size_t bytes, std::size_t block_size) noexcept
        : m_begin(static_cast<std::byte*>(memory)), m_block_size((block_size + 7) & ~std::size_t{7}) {
        m_capacity = m_block_size >= sizeof(FreeBlock) ? bytes / m_block_size : 0;
        m_end = m_begin + m_capacity * m_block_size;
        for (std::size_t i = m_capacity; i > 0; --i) push(m_begin + (i - 1) * m_block_size);
    }
    PoolFrameAllocator(const PoolFrameAllocator&) = delete;
    PoolFrameAllocator& operator=(const PoolFrameAllocator&) = delete;

    void* allocate(std::size_t size) noexcept override {
        if (size > m_largest_request) m_largest_request = size;
        if (size > m_block_size || m_free == nullptr) {
            ++m_failures;
            return nullptr;
        }
        FreeBlock* block = m_free;
        m_free = block->next;
        if (++m_in_use > m_high_water) m_high_water = m_in_use;
        return block;
    }

    void deallocate(void* frame, std::size_t) noexcept override {
        auto* p = static_cast<std::byte*>(frame);
        if (p < m_begin || p >= m_end || static_cast<std::size_t>(p - m_begin) % m_block_size != 0) std::abort();
        push(p);
        --m_in_use;
    }

    [[nodiscard]] std::size_t block_size() const noexcept { return m_block_size; }
    [[nodiscard]] std::size_t capacity() const noexcept { return m_capacity; }
    [[nodiscard]] std::size_t in_use() const noexcept { return m_in_use; }
    [[nodiscard]] std::size_t high_water() const noexcept { return m_high_water; }
    /// The largest frame ever asked for: what block_size must be at least.
    [[nodiscard]] std::size_t largest_request() const noexcept { return m_largest_request; }
    /// Allocations refused (pool empty, or a frame larger than a block).
    [[nodiscard]] std::size_t failures() const noexcept { return m_failures; }

private:
    struct FreeBlock {
        FreeBlock* next;
    };
    void push(std::byte* p) noexcept {
        auto* block = reinterpret_cast<FreeBlock*>(p);
        block->next = m_free;
        m_free = block;
    }

    std::byte* m_begin;
    std::byte* m_end = nullptr;
    std::size_t m_block_size;
    std::size_t m_capacity = 0;
    FreeBlock* m_free = nullptr;
    std::size_t m_in_use = 0;
    std::size_t m_high_water = 0;
    std::size_t m_failures = 0;
    std::size_t m_largest_request = 0;
};

/// A PoolFrameAllocator with its memory inside (a global one lands in .bss).
template <std::size_t BlockSize, std::size_t Count>
class StaticFramePool final : public PoolFrameAllocator {
public:
    StaticFramePool() noexcept : PoolFrameAllocator(m_storage, sizeof(m_storage), BlockSize) {}

private:
    alignas(8) std::byte m_storage[((BlockSize + 7) & ~std::size_t{7}) * Count];
};

}  // namespace asyncio::port
