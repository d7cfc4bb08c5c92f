#pragma once
// FrameAllocator: where coroutine frames come from (the heap by default).

#include <cstddef>

namespace asyncio {

/// Where coroutine frames come from. By default the heap (malloc). A device that must not touch
/// the heap after start-up gives the loop a pool instead; when the pool is exhausted, creating a
/// coroutine throws std::bad_alloc (a clear error), it never corrupts memory.
class FrameAllocator {
public:
    virtual ~FrameAllocator() = default;
    /// Returns nullptr when out of memory.
    virtual void* allocate(std::size_t size) noexcept = 0;
    /// Frees a frame allocate() returned; `size` is the size it was asked for.
    virtual void deallocate(void* frame, std::size_t size) noexcept = 0;
};

/// Installs `allocator` for every coroutine frame created from now on (nullptr: back to malloc).
/// Frames must be freed by the allocator that made them: switch only while no task exists.
void set_frame_allocator(FrameAllocator* allocator) noexcept;

/// Bytes of coroutine frames allocated and not yet freed, and how many frames that is: the
/// memory tasks cost, measured rather than guessed. Counted per thread (the thread of a loop
/// and its tasks); a frame freed on another thread than the one that made it skews both.
struct FrameStats {
    std::size_t live_bytes = 0;    ///< bytes of frames not freed yet
    std::size_t live_frames = 0;   ///< frames not freed yet
    std::size_t total_frames = 0;  ///< frames ever allocated on this thread
};
/// This thread's FrameStats now.
FrameStats frame_stats() noexcept;

}  // namespace asyncio
