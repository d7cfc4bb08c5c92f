#include <asyncio/core/frame_pool.hpp>

#include <cstdint>
#include <cstdlib>

namespace asyncio {

FramePool::FramePool(void* memory, std::size_t bytes, std::size_t block_size) noexcept
    : m_begin(static_cast<std::byte*>(memory)), m_block_size(round_up(block_size < sizeof(FreeBlock) ? sizeof(FreeBlock) : block_size)) {
    // Memory that is not aligned loses its first bytes: every block must be.
    const auto address = reinterpret_cast<std::uintptr_t>(memory);
    const std::size_t skip = (alignment - address % alignment) % alignment;
    m_begin += skip;
    m_capacity = bytes > skip ? (bytes - skip) / m_block_size : 0;
    m_end = m_begin + m_capacity * m_block_size;
    // Pushed from the end, so the first allocations come from the start of the memory.
    for (std::size_t i = m_capacity; i > 0; --i) push(m_begin + (i - 1) * m_block_size);
}

void* FramePool::allocate(std::size_t size) noexcept {
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

void FramePool::deallocate(void* frame, std::size_t) noexcept {
    auto* block = static_cast<std::byte*>(frame);
    const bool ours = block >= m_begin && block < m_end && static_cast<std::size_t>(block - m_begin) % m_block_size == 0;
    if (!ours) std::abort();  // not one of this pool's blocks: the allocator was switched under live tasks
    push(block);
    --m_in_use;
}

void FramePool::push(std::byte* block) noexcept {
    auto* free_block = reinterpret_cast<FreeBlock*>(block);
    free_block->next = m_free;
    m_free = free_block;
}

}  // namespace asyncio
