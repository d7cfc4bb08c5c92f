#pragma once
// How a Queue keeps its items, which decides the order they leave in: Queue<T> (first in, first
// out), LifoQueue<T> (last in, first out) and PriorityQueue<T> (smallest first) are one Queue
// with different storage, as CPython's are one class whose _init/_put/_get differ.
//
// A storage has push(T), pop() (removes and returns the next item to leave; never called when
// empty), size() and clear().

#include <cstddef>
#include <deque>
#include <functional>
#include <utility>
#include <vector>

namespace asyncio::detail {

template <class T>
class FifoStorage {
public:
    void push(T item) { m_items.push_back(std::move(item)); }
    T pop() {
        T item = std::move(m_items.front());
        m_items.pop_front();
        return item;
    }
    [[nodiscard]] std::size_t size() const noexcept { return m_items.size(); }
    void clear() noexcept { m_items.clear(); }

private:
    std::deque<T> m_items;
};

template <class T>
class LifoStorage {
public:
    void push(T item) { m_items.push_back(std::move(item)); }
    T pop() {
        T item = std::move(m_items.back());
        m_items.pop_back();
        return item;
    }
    [[nodiscard]] std::size_t size() const noexcept { return m_items.size(); }
    void clear() noexcept { m_items.clear(); }

private:
    std::vector<T> m_items;
};

/// A binary min-heap ordered by `Compare` (a "less than", which must not throw), sifted exactly
/// as CPython's heapq sifts, so that items comparing equal leave in the same order as in CPython
/// (std::push_heap/pop_heap may order them differently).
template <class T, class Compare = std::less<T>>
class HeapStorage {
public:
    void push(T item) {
        m_heap.push_back(std::move(item));
        sift_towards_root(0, m_heap.size() - 1);
    }

    /// The smallest item. Its place goes to the last item, which sinks to a leaf along the
    /// smaller children and then rises back to where it belongs (heapq's heappop).
    T pop() {
        T last = std::move(m_heap.back());
        m_heap.pop_back();
        if (m_heap.empty()) return last;
        T smallest = std::move(m_heap.front());
        m_heap.front() = std::move(last);
        sift_to_leaf_then_back(0);
        return smallest;
    }

    [[nodiscard]] std::size_t size() const noexcept { return m_heap.size(); }
    void clear() noexcept { m_heap.clear(); }

private:
    /// Moves the item at `pos` up, towards `top`, while it is smaller than its parent.
    void sift_towards_root(std::size_t top, std::size_t pos) {
        T item = std::move(m_heap[pos]);
        while (pos > top) {
            const std::size_t parent = (pos - 1) / 2;
            if (!m_less(item, m_heap[parent])) break;
            m_heap[pos] = std::move(m_heap[parent]);
            pos = parent;
        }
        m_heap[pos] = std::move(item);
    }

    /// Moves the item at `pos` down to a leaf, always along the smaller child (the right one
    /// when they are equal), then up again to its place.
    void sift_to_leaf_then_back(std::size_t pos) {
        const std::size_t top = pos;
        const std::size_t end = m_heap.size();
        T item = std::move(m_heap[pos]);
        for (std::size_t child = 2 * pos + 1; child < end; child = 2 * pos + 1) {
            const std::size_t right = child + 1;
            if (right < end && !m_less(m_heap[child], m_heap[right])) child = right;
            m_heap[pos] = std::move(m_heap[child]);
            pos = child;
        }
        m_heap[pos] = std::move(item);
        sift_towards_root(top, pos);
    }

    std::vector<T> m_heap;
    [[no_unique_address]] Compare m_less;
};

}  // namespace asyncio::detail
