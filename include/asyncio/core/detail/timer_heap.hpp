#pragma once
// The loop's timers: a binary min-heap ordered by (deadline, insertion number), so timers with
// equal deadlines fire first-in first-out on every platform. Each node records its index in the
// heap, so a cancelled or destroyed timer leaves the heap in O(log n) and nothing stale remains.

#include <asyncio/core/platform.hpp>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace asyncio::detail {

class TimerHeap;

/// `now + delay`, but a delay too long to represent (sleep(Duration::max()), sleep(1e300)) means
/// "never" instead of wrapping round into the past and firing at once.
constexpr TimePoint deadline_after(TimePoint now, Duration delay) noexcept {
    if (delay > Duration::zero() && now > TimePoint::max() - delay) return TimePoint::max();
    return now + delay;
}

/// Something that happens at a deadline. Lives in the waiter (a sleep's coroutine frame, a
/// call_later handle); removes itself from the heap when destroyed.
class TimerNode {
public:
    TimerNode() = default;
    TimerNode(const TimerNode&) = delete;
    TimerNode& operator=(const TimerNode&) = delete;
    /// Only an unarmed node may be moved (an awaiter before it is awaited); the copy is unarmed.
    TimerNode(TimerNode&& other) noexcept : m_deadline(other.m_deadline) {}
    virtual ~TimerNode();

    /// Called by the loop once the deadline has passed; the node is already out of the heap.
    virtual void fire() = 0;
    /// The loop is destroyed with this timer still armed (already out of the heap): a timer that
    /// owns itself (call_later's callback) deletes itself; one inside a frame does nothing.
    virtual void discard() noexcept {}

    [[nodiscard]] bool armed() const noexcept { return m_heap != nullptr; }
    [[nodiscard]] TimePoint deadline() const noexcept { return m_deadline; }
    void disarm() noexcept;

protected:
    /// An awaiter that knows its delay before it is armed keeps it in the deadline field, which
    /// push() overwrites (a sleeping task is 8 bytes smaller for it).
    explicit TimerNode(TimePoint initial) noexcept : m_deadline(initial) {}

private:
    friend class TimerHeap;
    TimePoint m_deadline{};
    std::uint32_t m_sequence = 0;  ///< insertion number; compared with wrap-around (see earlier())
    std::uint32_t m_index = 0;     ///< position in the heap while armed
    TimerHeap* m_heap = nullptr;   ///< the heap holding this node, or nullptr when not armed
};

class TimerHeap {
public:
    void push(TimerNode& node, TimePoint deadline);
    void remove(TimerNode& node) noexcept;
    [[nodiscard]] bool empty() const noexcept { return m_nodes.empty(); }
    [[nodiscard]] std::size_t size() const noexcept { return m_nodes.size(); }
    [[nodiscard]] TimerNode& top() const noexcept { return *m_nodes.front(); }
    void reserve(std::size_t count) { m_nodes.reserve(count); }

private:
    /// Deadline order; equal deadlines in insertion order. Sequence numbers are 32 bits and
    /// compared modulo 2^32: right as long as two armed timers with the same deadline were not
    /// set more than 2^31 timers apart.
    static bool earlier(const TimerNode* a, const TimerNode* b) noexcept {
        return a->m_deadline < b->m_deadline ||
               (a->m_deadline == b->m_deadline && static_cast<std::int32_t>(a->m_sequence - b->m_sequence) < 0);
    }
    void place(std::size_t index, TimerNode* node) noexcept;
    void sift_up(std::size_t index) noexcept;
    void sift_down(std::size_t index) noexcept;

    std::vector<TimerNode*> m_nodes;
    std::uint32_t m_next_sequence = 0;
};

}  // namespace asyncio::detail
