#include <asyncio/core/frame_allocator.hpp>

#include <asyncio/core/sleep.hpp>
#include <asyncio/core/task.hpp>

#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <new>
#include <vector>

#include "core/test_support.hpp"

using asyncio_test::run_virtual;

namespace {

asyncio::Task<> sleeper() { co_await asyncio::sleep(std::chrono::seconds(1)); }

asyncio::Task<asyncio::FrameStats> many_sleepers(int count) {
    std::vector<asyncio::Task<>> tasks;
    for (int i = 0; i < count; ++i) tasks.push_back(asyncio::create_task(sleeper()));
    co_await asyncio::sleep(std::chrono::milliseconds(1));  // all are suspended in their sleep now
    const asyncio::FrameStats during = asyncio::frame_stats();
    for (auto& task : tasks) co_await task;
    co_return during;
}

TEST(FrameAllocator, FrameStatsCountWhatSuspendedTasksCost) {
    const asyncio::FrameStats before = asyncio::frame_stats();
    const asyncio::FrameStats during = run_virtual(many_sleepers(1000));
    const asyncio::FrameStats after = asyncio::frame_stats();
    EXPECT_EQ(during.live_frames - before.live_frames, 1001U);  // the sleepers and the main task
    const std::size_t per_task = (during.live_bytes - before.live_bytes) / 1001;
    EXPECT_GT(per_task, 64U);
    EXPECT_LT(per_task, 512U);
    EXPECT_EQ(after.live_frames, before.live_frames);
    EXPECT_EQ(after.live_bytes, before.live_bytes);
    EXPECT_EQ(after.total_frames - before.total_frames, 1001U);
}

/// A fixed pool of equal blocks, as a device that must not use the heap after start-up has.
class Pool final : public asyncio::FrameAllocator {
public:
    void* allocate(std::size_t size) noexcept override {
        if (size > kBlock || m_free.empty()) return nullptr;
        void* block = m_free.back();
        m_free.pop_back();
        return block;
    }
    void deallocate(void* frame, std::size_t) noexcept override { m_free.push_back(frame); }
    Pool() {
        for (auto& block : m_blocks) m_free.push_back(block.data());
    }
    [[nodiscard]] std::size_t free_blocks() const { return m_free.size(); }

private:
    static constexpr std::size_t kBlock = 1024;
    alignas(std::max_align_t) std::array<std::array<unsigned char, kBlock>, 4> m_blocks{};
    std::vector<void*> m_free;
};

asyncio::Task<int> leaf(int v) { co_return v; }

TEST(FrameAllocator, APoolThatRunsOutMakesCreatingACoroutineThrowBadAlloc) {
    Pool pool;
    asyncio::set_frame_allocator(&pool);
    {
        std::vector<asyncio::Task<int>> held;
        for (int i = 0; i < 4; ++i) held.push_back(leaf(i));
        EXPECT_EQ(pool.free_blocks(), 0U);
        EXPECT_THROW((void)leaf(5), std::bad_alloc);
        asyncio_test::CapturedReports reports;  // the four were never started: reported
        held.clear();
        EXPECT_EQ(reports.lines().size(), 4U);
    }
    EXPECT_EQ(pool.free_blocks(), 4U);
    asyncio::set_frame_allocator(nullptr);
}

}  // namespace
