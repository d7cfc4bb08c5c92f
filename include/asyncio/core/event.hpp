#pragma once
// Event: a flag tasks can wait for, asyncio.Event.

#include <asyncio/core/detail/wait_list.hpp>

namespace asyncio {

/// Event: a flag tasks can wait for, asyncio.Event.
///
/// \code
/// asyncio::Event ready;
/// co_await ready.wait();      // in one task
/// ready.set();                // in another: wakes every waiter
/// \endcode
class Event {
public:
    Event() = default;
    Event(const Event&) = delete;
    Event& operator=(const Event&) = delete;

    /// Sets the flag and wakes every waiting task, in the order they started waiting.
    void set() noexcept;
    /// Clears the flag; later wait() calls suspend again.
    void clear() noexcept { m_set = false; }
    /// Whether the flag is set: wait() would return at once.
    [[nodiscard]] bool is_set() const noexcept { return m_set; }

    class [[nodiscard]] WaitOperation;
    /// Suspends when: the flag is clear. Resumed by: set(), FIFO (a waiter set() woke returns
    /// even if clear() came before it ran). Returns: true, as CPython's (`co_await ev.wait();`
    /// may ignore it). Cancellation: the waiter leaves the list; co_await throws CancelledError.
    /// Lifetime: the Event must outlive its waiters.
    WaitOperation wait() noexcept;

private:
    bool m_set = false;
    detail::WaitList m_waiters;
};

class Event::WaitOperation final : detail::ListWait {
public:
    explicit WaitOperation(Event& event) noexcept : m_event(event) {}
    bool await_ready() const noexcept { return m_event.m_set; }
    bool await_suspend(std::coroutine_handle<> handle) noexcept { return suspend_on(m_event.m_waiters, handle); }
    bool await_resume() const {
        end_wait();
        return true;
    }

private:
    Event& m_event;
};

inline Event::WaitOperation Event::wait() noexcept { return WaitOperation(*this); }

inline void Event::set() noexcept {
    m_set = true;
    detail::notify_all(m_waiters);
}

}  // namespace asyncio
