#pragma once
// An intrusive doubly-linked list: the node lives inside the waiter (usually in a coroutine
// frame), so waiting allocates nothing, and a waiter can unlink itself in O(1) when it is
// cancelled or destroyed. MicroPython's asyncio keeps `task.data` for the same reason.

#include <cstddef>

namespace asyncio::detail {

/// A node of an IntrusiveList. Unlinks itself on destruction, so a destroyed waiter can never
/// be left dangling in a list.
class ListHook {
public:
    ListHook() = default;
    ListHook(const ListHook&) = delete;
    ListHook& operator=(const ListHook&) = delete;
    /// Moving an object that holds a hook (an awaiter handed to wait_for, say) gives an unlinked
    /// hook: only an awaiter that is not waiting yet may be moved.
    ListHook(ListHook&&) noexcept {}
    ~ListHook() { unlink(); }

    [[nodiscard]] bool linked() const noexcept { return m_prev != nullptr; }

    void unlink() noexcept {
        if (!linked()) return;
        m_prev->m_next = m_next;
        m_next->m_prev = m_prev;
        m_prev = m_next = nullptr;
    }

private:
    template <class T, class Hook> friend class IntrusiveList;
    ListHook* m_prev = nullptr;
    ListHook* m_next = nullptr;
};

/// A ListHook with a tag, for an object that sits in two lists at once.
template <class Tag>
class TaggedHook : public ListHook {};

/// FIFO list of T, where T derives from Hook (a ListHook). Does not own its elements.
template <class T, class Hook = ListHook>
class IntrusiveList {
public:
    IntrusiveList() noexcept { m_head.m_prev = m_head.m_next = &m_head; }
    IntrusiveList(const IntrusiveList&) = delete;
    IntrusiveList& operator=(const IntrusiveList&) = delete;
    ~IntrusiveList() { clear(); }

    [[nodiscard]] bool empty() const noexcept { return m_head.m_next == &m_head; }

    void push_back(T& item) noexcept {
        ListHook& node = static_cast<Hook&>(item);
        node.unlink();
        node.m_prev = m_head.m_prev;
        node.m_next = &m_head;
        m_head.m_prev->m_next = &node;
        m_head.m_prev = &node;
    }

    [[nodiscard]] T& front() noexcept { return element(m_head.m_next); }

    T& pop_front() noexcept {
        T& item = front();
        static_cast<Hook&>(item).unlink();
        return item;
    }

    /// Moves every element of `other` to the back of this list, in order, in O(1).
    void splice_back(IntrusiveList& other) noexcept {
        if (other.empty()) return;
        ListHook* first = other.m_head.m_next;
        ListHook* last = other.m_head.m_prev;
        other.m_head.m_prev = other.m_head.m_next = &other.m_head;
        first->m_prev = m_head.m_prev;
        last->m_next = &m_head;
        m_head.m_prev->m_next = first;
        m_head.m_prev = last;
    }

    /// Unlinks every element (they are not destroyed).
    void clear() noexcept {
        while (!empty()) pop_front();
    }

    /// Calls fn(T&) for each element; fn may unlink the element it is given.
    template <class Fn>
    void for_each(Fn fn) {
        for (ListHook* node = m_head.m_next; node != &m_head;) {
            ListHook* next = node->m_next;
            fn(element(node));
            node = next;
        }
    }

    [[nodiscard]] std::size_t size() const noexcept {
        std::size_t n = 0;
        for (const ListHook* node = m_head.m_next; node != &m_head; node = node->m_next) ++n;
        return n;
    }

private:
    static T& element(ListHook* node) noexcept { return static_cast<T&>(static_cast<Hook&>(*node)); }

    // The head is a sentinel so that a linked node always has both neighbours.
    // Unlinked hooks have m_prev == nullptr; the sentinel is always "linked" to itself.
    ListHook m_head;
};

/// A node of an HList. Unlinks itself on destruction, as ListHook does.
class HListHook {
public:
    HListHook() = default;
    HListHook(const HListHook&) = delete;
    HListHook& operator=(const HListHook&) = delete;
    HListHook(HListHook&&) noexcept {}  // unlinked, as ListHook
    ~HListHook() { unlink(); }

    [[nodiscard]] bool linked() const noexcept { return m_pprev != nullptr; }

    void unlink() noexcept {
        if (!linked()) return;
        *m_pprev = m_next;
        if (m_next != nullptr) m_next->m_pprev = m_pprev;
        m_next = nullptr;
        m_pprev = nullptr;
    }

private:
    template <class T> friend class HList;
    HListHook* m_next = nullptr;
    HListHook** m_pprev = nullptr;  ///< the pointer that points at this node (head or previous)
};

/// A list whose head is a single pointer (the Linux kernel's hlist): every task has one, for the
/// callbacks run when it finishes, and most never use it, so it costs 8 bytes instead of 16.
/// Nodes still unlink themselves in O(1). Pushes at the front; must not move while not empty.
template <class T>
class HList {
public:
    HList() = default;
    HList(const HList&) = delete;
    HList& operator=(const HList&) = delete;
    ~HList() {
        while (!empty()) pop_front();
    }

    [[nodiscard]] bool empty() const noexcept { return m_first == nullptr; }

    void push_front(T& item) noexcept {
        HListHook& node = item;
        node.unlink();
        node.m_next = m_first;
        if (m_first != nullptr) m_first->m_pprev = &node.m_next;
        m_first = &node;
        node.m_pprev = &m_first;
    }

    T& pop_front() noexcept {
        T& item = static_cast<T&>(*m_first);
        static_cast<HListHook&>(item).unlink();
        return item;
    }

    /// Reverses the order (push_front then reverse: first in, first out).
    void reverse() noexcept {
        HListHook* node = m_first;
        m_first = nullptr;
        while (node != nullptr) {
            HListHook* next = node->m_next;
            node->m_pprev = nullptr;  // so that push_front's unlink() leaves it alone
            node->m_next = nullptr;
            push_front(static_cast<T&>(*node));
            node = next;
        }
    }

private:
    HListHook* m_first = nullptr;
};

}  // namespace asyncio::detail
