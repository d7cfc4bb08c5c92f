#include <asyncio/core/frame_allocator.hpp>
#include <asyncio/core/detail/task_state.hpp>

#include <cstdlib>
#include <new>

namespace asyncio {

namespace {
FrameAllocator* g_allocator = nullptr;
// Per thread: every loop runs on one thread, and plain counters there cost nothing (shared
// counters would be a data race between two threads running loops).
thread_local FrameStats g_stats;
}  // namespace

void set_frame_allocator(FrameAllocator* allocator) noexcept { g_allocator = allocator; }

FrameStats frame_stats() noexcept { return g_stats; }

void* detail::allocate_frame(std::size_t size) noexcept(!ASYNCIO_EXCEPTIONS) {
    void* frame = g_allocator != nullptr ? g_allocator->allocate(size) : std::malloc(size);
#if ASYNCIO_EXCEPTIONS
    if (frame == nullptr) throw std::bad_alloc();
#else
    if (frame == nullptr) return nullptr;  // the coroutine call returns an empty Task
#endif
    g_stats.live_bytes += size;
    ++g_stats.live_frames;
    ++g_stats.total_frames;
    return frame;
}

void detail::free_frame(void* frame, std::size_t size) noexcept {
    g_stats.live_bytes -= size;
    --g_stats.live_frames;
    if (g_allocator != nullptr) {
        g_allocator->deallocate(frame, size);
    } else {
        std::free(frame);
    }
}

}  // namespace asyncio
