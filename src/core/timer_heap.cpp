#include <asyncio/core/detail/timer_heap.hpp>

namespace asyncio::detail {

TimerNode::~TimerNode() { disarm(); }

void TimerNode::disarm() noexcept {
    if (m_heap != nullptr) m_heap->remove(*this);
}

void TimerHeap::push(TimerNode& node, TimePoint deadline) {
    node.disarm();
    node.m_deadline = deadline;
    node.m_sequence = m_next_sequence++;
    node.m_heap = this;
    m_nodes.push_back(&node);
    node.m_index = static_cast<std::uint32_t>(m_nodes.size() - 1);
    sift_up(node.m_index);
}

void TimerHeap::remove(TimerNode& node) noexcept {
    const std::size_t index = node.m_index;
    node.m_heap = nullptr;
    TimerNode* last = m_nodes.back();
    m_nodes.pop_back();
    if (last == &node) return;
    place(index, last);
    sift_up(index);
    sift_down(last->m_index);
}

void TimerHeap::place(std::size_t index, TimerNode* node) noexcept {
    m_nodes[index] = node;
    node->m_index = static_cast<std::uint32_t>(index);
}

void TimerHeap::sift_up(std::size_t index) noexcept {
    TimerNode* node = m_nodes[index];
    while (index > 0) {
        const std::size_t parent = (index - 1) / 2;
        if (!earlier(node, m_nodes[parent])) break;
        place(index, m_nodes[parent]);
        index = parent;
    }
    place(index, node);
}

void TimerHeap::sift_down(std::size_t index) noexcept {
    TimerNode* node = m_nodes[index];
    const std::size_t count = m_nodes.size();
    for (;;) {
        std::size_t child = 2 * index + 1;
        if (child >= count) break;
        if (child + 1 < count && earlier(m_nodes[child + 1], m_nodes[child])) ++child;
        if (!earlier(m_nodes[child], node)) break;
        place(index, m_nodes[child]);
        index = child;
    }
    place(index, node);
}

}  // namespace asyncio::detail
