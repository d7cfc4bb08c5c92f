#pragma once
// Semaphore and BoundedSemaphore: a counter of free slots, asyncio.Semaphore. FIFO-fair like
// Lock: release() hands its slot straight to the longest waiter.
//
//   asyncio::Semaphore slots(4);             // at most 4 tasks at once
//   co_await slots.acquire(); ...; slots.release();

#include <asyncio/core/config.hpp>
#include <asyncio/core/detail/wait_list.hpp>

#include <cstddef>

namespace asyncio {

class Semaphore {
public:
    explicit Semaphore(std::size_t value = 1) noexcept : m_value(value) {}
    Semaphore(const Semaphore&) = delete;
    Semaphore& operator=(const Semaphore&) = delete;
    virtual ~Semaphore() = default;

    class [[nodiscard]] AcquireOperation;
    /// Suspends when: no slot is free. Resumed by: release(), FIFO, holding a slot.
    /// Cancellation: a waiter leaves the queue; one cancelled after being handed a slot passes it
    /// on. Either way co_await throws CancelledError, holding nothing.
    AcquireOperation acquire() noexcept;
    bool try_acquire() noexcept;
    /// Frees a slot, or hands it to the first waiter.
    void release();
    /// True when acquire() would suspend.
    [[nodiscard]] bool locked() const noexcept { return m_value == 0; }
    [[nodiscard]] std::size_t value() const noexcept { return m_value; }

protected:
    /// Hook for BoundedSemaphore: called before a release that adds a free slot.
    virtual void check_release() const {}

private:
    std::size_t m_value;
    detail::WaitList m_waiters;
};

class Semaphore::AcquireOperation final : detail::ListWait {
public:
    explicit AcquireOperation(Semaphore& semaphore) noexcept : m_semaphore(semaphore) {}
    bool await_ready() noexcept { return m_semaphore.try_acquire(); }
    bool await_suspend(std::coroutine_handle<> handle) noexcept { return suspend_on(m_semaphore.m_waiters, handle); }
#if ASYNCIO_EXCEPTIONS
    void await_resume() {
        if (cancel_pending() && m_granted) m_semaphore.release();
        end_wait();
    }
#else
    void await_resume() noexcept {
        m_granted = false;  // taken
        end_wait();
    }
    /// Unwound after release() handed it a slot, before it ran: the slot goes to the next.
    ~AcquireOperation() {
        if (m_granted) m_semaphore.release();
    }
#endif

private:
    friend class Semaphore;
    Semaphore& m_semaphore;
    bool m_granted = false;  ///< release() handed a slot to this waiter
};

inline Semaphore::AcquireOperation Semaphore::acquire() noexcept { return AcquireOperation(*this); }

/// A Semaphore that may not be released more often than acquired: release() above the initial
/// value throws InvalidStateError (CPython raises ValueError) instead of silently growing.
class BoundedSemaphore final : public Semaphore {
public:
    explicit BoundedSemaphore(std::size_t value = 1) noexcept : Semaphore(value), m_initial(value) {}

private:
    void check_release() const override;
    std::size_t m_initial;
};

}  // namespace asyncio
