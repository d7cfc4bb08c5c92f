#pragma once
// FramePool and StaticFramePool: coroutine frames from a fixed pool, no heap.

#include <asyncio/core/frame_allocator.hpp>

#include <cstddef>

namespace asyncio {

/// FramePool: a fixed pool of equal-sized blocks for coroutine frames, so that a device runs with
/// no heap once it has started. Install it before the loop starts; every task and every awaited
/// coroutine then takes a block from here.
///
/// \code
/// asyncio::StaticFramePool<256, 32> pool;   // 32 frames of up to 256 bytes (a global: in .bss)
/// asyncio::set_frame_allocator(&pool);
/// asyncio::run(main_task());
/// \endcode
///
/// O(1) allocate and free (a free list threaded through the free blocks), no fragmentation.
/// Exhaustion, and a frame larger than a block, are clear errors: allocate() returns nullptr, and
/// the coroutine call fails there, before anything is written (std::bad_alloc with exceptions, an
/// empty Task without, see config.hpp). Freeing a pointer that is not one of the pool's blocks
/// stops the program: it can only be a bug (the allocator was switched while tasks existed).
/// One loop's thread only: the pool has no lock.
class FramePool : public FrameAllocator {
public:
    /// Blocks are aligned for any object, as operator new's memory is.
    static constexpr std::size_t alignment = alignof(std::max_align_t);

    /// Carves `bytes` of `memory` into blocks of `block_size` (rounded up to `alignment`).
    FramePool(void* memory, std::size_t bytes, std::size_t block_size) noexcept;
    FramePool(const FramePool&) = delete;
    FramePool& operator=(const FramePool&) = delete;

    /// A free block, or nullptr (counted in failures()) if none is free or `size` exceeds a block.
    void* allocate(std::size_t size) noexcept override;
    /// Gives the block back to the pool.
    void deallocate(void* frame, std::size_t size) noexcept override;

    /// Bytes per block (a multiple of `alignment`).
    [[nodiscard]] std::size_t block_size() const noexcept { return m_block_size; }
    /// Blocks in the pool.
    [[nodiscard]] std::size_t capacity() const noexcept { return m_capacity; }
    /// Blocks allocated now.
    [[nodiscard]] std::size_t in_use() const noexcept { return m_in_use; }
    /// The most blocks ever in use at once: what capacity must be at least.
    [[nodiscard]] std::size_t high_water() const noexcept { return m_high_water; }
    /// The largest frame ever asked for: what block_size must be at least.
    [[nodiscard]] std::size_t largest_request() const noexcept { return m_largest_request; }
    /// Allocations refused (pool empty, or a frame larger than a block).
    [[nodiscard]] std::size_t failures() const noexcept { return m_failures; }

    /// `size` rounded up to a multiple of `alignment`: the block size a frame of `size` needs.
    static constexpr std::size_t round_up(std::size_t size) noexcept {
        return (size + alignment - 1) / alignment * alignment;
    }

private:
    struct FreeBlock {
        FreeBlock* next;
    };
    void push(std::byte* block) noexcept;

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

/// A FramePool with its memory inside: `Count` frames of up to `BlockSize` bytes.
template <std::size_t BlockSize, std::size_t Count>
class StaticFramePool final : public FramePool {
public:
    StaticFramePool() noexcept : FramePool(m_storage, sizeof(m_storage), BlockSize) {}

private:
    alignas(FramePool::alignment) std::byte m_storage[FramePool::round_up(BlockSize) * Count];
};

}  // namespace asyncio
