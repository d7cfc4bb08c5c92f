#pragma once
// Per-thread free lists of the buffers a Stream holds only while data passes through it: its
// receive block and its write buffer. A stream gives its empty buffers back whenever it goes
// idle and takes them again when data comes, so an idle connection holds no buffer, and a busy
// keep-alive connection allocates nothing per request (it takes back what the previous request
// gave). Each list keeps at most kMaxFreeBuffers entries; more go back to the heap.

#include <cstddef>
#include <string>

namespace asyncio::detail {

#ifndef ASYNCIO_SMALL_BUFFERS
#define ASYNCIO_SMALL_BUFFERS 0
#endif

#if ASYNCIO_SMALL_BUFFERS
// A microcontroller build (the board's CMake defines ASYNCIO_SMALL_BUFFERS=1): a connection's
// buffers stay near what one lwIP TCP segment holds, so a dozen connections fit in tens of KiB
// (larger requests still work: the receive buffer grows past a block when it must). Nothing is
// pooled: RAM is what is short there, not allocation time, and an idle board then holds exactly
// the same heap before and after any traffic (its leak test compares the two byte for byte).
inline constexpr std::size_t kReceiveBlockSize = 2 * 1024;
inline constexpr std::size_t kMaxFreeBuffers = 0;
inline constexpr std::size_t kMaxPooledWriteBuffer = 0;
#else
/// Size of a pooled receive block (allocated with new char[]): room for any request head
/// within the HTTP layer's default limits, and for what a client pipelines in one write.
inline constexpr std::size_t kReceiveBlockSize = 16 * 1024;
/// Free entries kept per list and thread: beyond what is in use at once, the rest is freed.
inline constexpr std::size_t kMaxFreeBuffers = 8;
/// A write buffer with more capacity than this is freed, not kept.
inline constexpr std::size_t kMaxPooledWriteBuffer = 16 * 1024;
#endif

/// A receive block of kReceiveBlockSize bytes, from the free list or the heap (std::bad_alloc).
[[nodiscard]] char* take_receive_block();
/// Gives back a block of kReceiveBlockSize bytes made with new char[].
void give_receive_block(char* block) noexcept;

/// Moves a pooled empty string with capacity into `buffer` (which must be empty); leaves it as
/// it is when the list is empty.
void take_write_buffer(std::string& buffer) noexcept;
/// Takes `buffer`'s storage into the list (its contents are dropped); `buffer` is left empty with
/// no heap storage either way.
void give_write_buffer(std::string& buffer) noexcept;

}  // namespace asyncio::detail
