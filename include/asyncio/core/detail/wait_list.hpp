#pragma once
// The FIFO list of tasks waiting on a primitive (Event, Lock, Semaphore, Condition, Queue).
// Each awaiter is a ListWait living in the waiting coroutine's frame: waiting allocates nothing,
// and a cancelled or destroyed waiter unlinks itself.

#include <asyncio/core/detail/intrusive_list.hpp>
#include <asyncio/core/detail/task_state.hpp>

#include <coroutine>

namespace asyncio::detail {

class ListWait : public Wait, public ListHook {
public:
    /// Wakes the waiter (already unlinked by the caller).
    void notify() noexcept { wake(); }

protected:
    ListWait() = default;
    ListWait(ListWait&&) noexcept = default;  // before it waits only (see ListHook)
    ~ListWait() = default;

    /// Suspends on `list` unless a cancellation is pending (then returns false: don't suspend).
    template <class List>
    bool suspend_on(List& list, std::coroutine_handle<> handle) noexcept {
        if (!begin_wait(handle)) return false;
        list.push_back(*this);
        return true;
    }

private:
    CancelAction cancel_wait() noexcept override {
        unlink();
        return CancelAction::wake_now;
    }
};

using WaitList = IntrusiveList<ListWait>;

/// Wakes every waiter, oldest first.
inline void notify_all(WaitList& waiters) noexcept {
    while (!waiters.empty()) waiters.pop_front().notify();
}

}  // namespace asyncio::detail
