// FramePool: coroutine frames from a fixed pool. Running out is a clear error at the coroutine
// call (std::bad_alloc), never a corruption of the frames in use, and a program whose tasks run
// in a steady state allocates nothing from the heap.
#include <asyncio/core/frame_pool.hpp>

#include <asyncio/core/event.hpp>
#include <asyncio/core/lock.hpp>
#include <asyncio/core/sleep.hpp>
#include <asyncio/core/task.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <vector>

#include "core/test_support.hpp"

// Counts calls of the global operator new, so a test can show that a stretch of work allocated
// nothing. Replacing it here replaces it for the whole core_tests program; it only counts.
namespace {
std::atomic<std::size_t> g_heap_allocations{0};
}

void* operator new(std::size_t size) {
    g_heap_allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return ::operator new(size); }
// Every form that frees through the replaced operator delete must allocate with malloc too
// (AddressSanitizer checks that the two match).
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
    g_heap_allocations.fetch_add(1, std::memory_order_relaxed);
    return std::malloc(size == 0 ? 1 : size);
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept { return ::operator new(size, tag); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace {

using namespace std::chrono_literals;
using asyncio_test::run_virtual;

/// Installs a pool for the test's duration (frames must go back to the allocator that made them).
class PoolInstalled {
public:
    explicit PoolInstalled(asyncio::FrameAllocator& pool) { asyncio::set_frame_allocator(&pool); }
    PoolInstalled(const PoolInstalled&) = delete;
    PoolInstalled& operator=(const PoolInstalled&) = delete;
    ~PoolInstalled() { asyncio::set_frame_allocator(nullptr); }
};

asyncio::Task<int> sleep_then_return(int value) {
    co_await asyncio::sleep(10ms);
    co_return value;
}

TEST(FramePool, CarvesAlignedBlocksFromTheMemoryItIsGiven) {
    alignas(std::max_align_t) std::byte memory[1000];
    asyncio::FramePool pool(memory + 1, sizeof(memory) - 1, 100);  // unaligned start, odd size
    EXPECT_EQ(pool.block_size() % asyncio::FramePool::alignment, 0U);
    EXPECT_GE(pool.block_size(), 100U);
    EXPECT_GE(pool.capacity(), 7U);
    std::vector<void*> blocks;
    while (void* block = pool.allocate(100)) {
        EXPECT_EQ(reinterpret_cast<std::uintptr_t>(block) % asyncio::FramePool::alignment, 0U);
        EXPECT_GE(static_cast<std::byte*>(block), memory + 1);
        EXPECT_LE(static_cast<std::byte*>(block) + pool.block_size(), memory + sizeof(memory));
        blocks.push_back(block);
    }
    EXPECT_EQ(blocks.size(), pool.capacity());
    EXPECT_EQ(pool.in_use(), pool.capacity());
    EXPECT_EQ(pool.failures(), 1U);
    for (void* block : blocks) pool.deallocate(block, 100);
    EXPECT_EQ(pool.in_use(), 0U);
    EXPECT_EQ(pool.high_water(), pool.capacity());
}

asyncio::Task<> exhaust_the_pool(asyncio::FramePool& pool) {
    // The main task holds one block; the others take the rest and sleep.
    std::vector<asyncio::Task<int>> workers;
    while (pool.in_use() < pool.capacity()) workers.push_back(asyncio::create_task(sleep_then_return(static_cast<int>(workers.size()))));
    EXPECT_THROW((void)sleep_then_return(-1), std::bad_alloc);  // at the call, nothing started
    EXPECT_EQ(pool.failures(), 1U);
    int index = 0;
    for (auto& worker : workers) {
        const int value = co_await worker;  // every frame in use came through intact
        EXPECT_EQ(value, index++);
    }
    workers.clear();
    EXPECT_EQ(pool.in_use(), 1U);  // the blocks came back: the pool serves again
    const int again = co_await sleep_then_return(7);
    EXPECT_EQ(again, 7);
}

TEST(FramePool, RunningOutThrowsBadAllocAtTheCallAndLeavesRunningTasksIntact) {
    asyncio::StaticFramePool<512, 6> pool;
    {
        PoolInstalled installed(pool);
        run_virtual(exhaust_the_pool(pool));
    }
    EXPECT_EQ(pool.in_use(), 0U);
    EXPECT_EQ(pool.high_water(), 6U);
}

int g_sink = 0;

asyncio::Task<> big_frame() {
    volatile char scratch[2048] = {};  // lives across the await: in the frame
    co_await asyncio::sleep(1ms);
    g_sink = scratch[0];
}

TEST(FramePool, AFrameLargerThanABlockThrowsBadAllocAndIsRecorded) {
    asyncio::StaticFramePool<256, 4> pool;
    PoolInstalled installed(pool);
    EXPECT_THROW((void)big_frame(), std::bad_alloc);
    EXPECT_GT(pool.largest_request(), 2048U);
    EXPECT_EQ(pool.in_use(), 0U);
    EXPECT_EQ(pool.failures(), 1U);
}

// --- steady state: no heap ---

struct Shared {
    asyncio::Event tick;
    asyncio::Lock lock;
    int counted = 0;
};

asyncio::Task<> short_lived(Shared& shared) {
    auto guard = co_await shared.lock.scoped_acquire();
    ++shared.counted;
}

asyncio::Task<> ticker(Shared& shared, int rounds) {
    for (int i = 0; i < rounds; ++i) {
        co_await asyncio::sleep(1ms);
        shared.tick.set();
        shared.tick.clear();
        co_await asyncio::create_task(short_lived(shared));  // a frame from the pool, and back
    }
}

asyncio::Task<> listener(Shared& shared, int rounds) {
    for (int i = 0; i < rounds; ++i) {
        co_await shared.tick.wait();
        co_await asyncio::sleep(0);
    }
}

asyncio::Task<std::size_t> heap_allocations_in_steady_state() {
    Shared shared;
    asyncio::get_event_loop().reserve_timers(8);
    // Warm-up: whatever is allocated once (the loop's first pass) happens here.
    {
        auto a = asyncio::create_task(ticker(shared, 3));
        auto b = asyncio::create_task(listener(shared, 3));
        co_await a;
        co_await b;
    }
    const std::size_t before = g_heap_allocations.load();
    auto a = asyncio::create_task(ticker(shared, 200));
    auto b = asyncio::create_task(listener(shared, 200));
    co_await a;
    co_await b;
    const std::size_t after = g_heap_allocations.load();
    EXPECT_EQ(shared.counted, 203);
    co_return after - before;
}

TEST(FramePool, TasksInASteadyStateAllocateNothingFromTheHeap) {
    asyncio::StaticFramePool<1024, 16> pool;
    PoolInstalled installed(pool);
    const asyncio::FrameStats before = asyncio::frame_stats();
    const std::size_t allocations = run_virtual(heap_allocations_in_steady_state());
    EXPECT_EQ(allocations, 0U);
    EXPECT_GT(asyncio::frame_stats().total_frames - before.total_frames, 200U);  // frames did come and go
    EXPECT_GE(pool.high_water(), 4U);  // ...from the pool: the main task, two loops, a short one
    EXPECT_EQ(pool.in_use(), 0U);
    EXPECT_EQ(pool.failures(), 0U);
}

}  // namespace
