#include <asyncio/core/detail/timer_heap.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <random>
#include <utility>
#include <vector>

namespace {

struct Recorder final : asyncio::detail::TimerNode {
    explicit Recorder(int id_, std::vector<int>* fired_) : id(id_), fired(fired_) {}
    void fire() override { fired->push_back(id); }
    int id;
    std::vector<int>* fired;
};

/// Pops everything due, the way the loop does.
void drain(asyncio::detail::TimerHeap& heap) {
    while (!heap.empty()) {
        asyncio::detail::TimerNode& top = heap.top();
        top.disarm();
        top.fire();
    }
}

TEST(TimerHeap, RandomPushesAndRemovalsFireInDeadlineThenInsertionOrder) {
    std::mt19937 random(12345);
    asyncio::detail::TimerHeap heap;
    std::vector<int> fired;
    std::vector<std::unique_ptr<Recorder>> nodes;
    std::vector<std::pair<long, int>> expected;  // (deadline, id): id is the insertion order
    for (int i = 0; i < 5000; ++i) {
        nodes.push_back(std::make_unique<Recorder>(i, &fired));
        const long deadline = static_cast<long>(random() % 100);  // many equal deadlines
        heap.push(*nodes.back(), asyncio::TimePoint(asyncio::Duration(deadline)));
        expected.emplace_back(deadline, i);
    }
    for (int i = 0; i < 5000; i += 3) {  // a third are cancelled, from anywhere in the heap
        nodes[static_cast<std::size_t>(i)]->disarm();
        EXPECT_FALSE(nodes[static_cast<std::size_t>(i)]->armed());
    }
    for (int i = 1; i < 5000; i += 7) nodes[static_cast<std::size_t>(i)].reset();  // destroyed: removes itself
    std::erase_if(expected, [](const auto& e) { return e.second % 3 == 0 || e.second % 7 == 1; });
    std::stable_sort(expected.begin(), expected.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    drain(heap);
    std::vector<int> expected_ids;
    for (const auto& e : expected) expected_ids.push_back(e.second);
    EXPECT_EQ(fired, expected_ids);
}

TEST(TimerHeap, ReArmingANodeMovesItsDeadline) {
    asyncio::detail::TimerHeap heap;
    std::vector<int> fired;
    Recorder a(1, &fired);
    Recorder b(2, &fired);
    heap.push(a, asyncio::TimePoint(asyncio::Duration(10)));
    heap.push(b, asyncio::TimePoint(asyncio::Duration(20)));
    heap.push(a, asyncio::TimePoint(asyncio::Duration(30)));  // re-armed: once in the heap, later
    EXPECT_EQ(heap.size(), 2U);
    drain(heap);
    EXPECT_EQ(fired, (std::vector<int>{2, 1}));
}

TEST(TimerHeap, DeadlineAfterSaturatesInsteadOfWrapping) {
    using asyncio::Duration;
    using asyncio::TimePoint;
    EXPECT_EQ(asyncio::detail::deadline_after(TimePoint(Duration(5)), Duration(3)), TimePoint(Duration(8)));
    EXPECT_EQ(asyncio::detail::deadline_after(TimePoint(Duration(5)), Duration::max()), TimePoint::max());
    EXPECT_EQ(asyncio::detail::to_duration(std::chrono::hours::max()), Duration::max());
    EXPECT_EQ(asyncio::detail::to_duration(std::chrono::duration<double>(1e300)), Duration::max());
    EXPECT_EQ(asyncio::detail::to_duration(std::chrono::duration<double>(-1e300)), Duration::min());
    EXPECT_EQ(asyncio::detail::to_duration(std::chrono::milliseconds(1500)), Duration(1'500'000'000));
    EXPECT_EQ(asyncio::detail::to_duration(std::chrono::duration<double>(0.25)), Duration(250'000'000));
}

}  // namespace
