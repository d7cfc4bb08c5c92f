#pragma once
// ThreadSafeFlag: MicroPython's asyncio.ThreadSafeFlag, set from another thread or an interrupt.

#include <asyncio/core/detail/task_state.hpp>
#include <asyncio/core/loop.hpp>

#include <atomic>
#include <coroutine>

namespace asyncio {

/// ThreadSafeFlag: MicroPython's asyncio.ThreadSafeFlag. set() may be called from another thread
/// or an interrupt handler; one task waits for it. The loop sleeps in the OS meanwhile: set()
/// wakes it through the Platform, it never busy-waits.
///
/// \code
/// asyncio::ThreadSafeFlag data_ready;
/// void on_interrupt() { data_ready.set(); }        // ISR or std::thread
/// co_await data_ready.wait();                        // in a task; clears the flag
/// \endcode
class ThreadSafeFlag {
public:
    ThreadSafeFlag() = default;
    ThreadSafeFlag(const ThreadSafeFlag&) = delete;
    ThreadSafeFlag& operator=(const ThreadSafeFlag&) = delete;

    /// Sets the flag and wakes the waiting task. Lock-free: safe from any thread or interrupt.
    void set() noexcept;
    /// Clears the flag.
    void clear() noexcept { m_flag.store(false, std::memory_order_release); }

    class [[nodiscard]] WaitOperation;
    /// Suspends when: the flag is clear. Resumed by: set(). Returns: void, and clears the flag.
    /// One task at a time may wait (InvalidStateError otherwise), as in MicroPython.
    /// Cancellation: unregisters; co_await throws CancelledError.
    WaitOperation wait() noexcept;

private:
    std::atomic<bool> m_flag{false};
    std::atomic<EventLoop*> m_loop{nullptr};  ///< the loop of the waiting task, set while it waits
    /// set() calls that may be notifying m_loop, counted by the epoch they started in. A waiter
    /// that stops waiting starts a new epoch and waits for the old one's set() calls to finish,
    /// so set() never touches a loop that has gone meanwhile; a set() that keeps firing on
    /// another core counts in the new epoch and does not hold the waiter up.
    std::atomic<unsigned> m_epoch{0};
    std::atomic<unsigned> m_setters[2] = {0, 0};
    WaitOperation* m_waiter = nullptr;         ///< touched by the loop's thread only
};

class ThreadSafeFlag::WaitOperation final : detail::Wait, detail::ExternalWait {
public:
    explicit WaitOperation(ThreadSafeFlag& flag) noexcept : m_flag(flag) {}
    WaitOperation(WaitOperation&&) noexcept = default;  // before it waits only
    WaitOperation& operator=(const WaitOperation&) = delete;
    ~WaitOperation() { stop_waiting(); }

    bool await_ready() noexcept { return m_flag.m_flag.exchange(false, std::memory_order_acq_rel); }
    bool await_suspend(std::coroutine_handle<> handle);
    void await_resume() const { end_wait(); }

private:
    detail::CancelAction cancel_wait() noexcept override {
        stop_waiting();
        return detail::CancelAction::wake_now;
    }
    void poll() noexcept override;
    void stop_waiting() noexcept;

    ThreadSafeFlag& m_flag;
};

inline ThreadSafeFlag::WaitOperation ThreadSafeFlag::wait() noexcept { return WaitOperation(*this); }

}  // namespace asyncio
