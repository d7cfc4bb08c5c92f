#pragma once
// Semaphore and BoundedSemaphore: a counter of free slots, asyncio.Semaphore.

#include <asyncio/core/config.hpp>
#include <asyncio/core/detail/queued_acquire.hpp>

#include <cstddef>

namespace asyncio {

/// Semaphore and BoundedSemaphore: a counter of free slots, asyncio.Semaphore, with CPython 3.13's
/// fairness: release() reserves the freed slot for the task that has waited longest and wakes it;
/// that task stays in the queue until it runs, so no newcomer can overtake it.
///
/// \code
/// asyncio::Semaphore slots(4);             // at most 4 tasks at once
/// co_await slots.acquire(); ...; slots.release();
/// \endcode
class Semaphore {
public:
    /// std::invalid_argument if `value` is negative (CPython: ValueError).
    explicit Semaphore(std::ptrdiff_t value = 1);
    Semaphore(const Semaphore&) = delete;
    Semaphore& operator=(const Semaphore&) = delete;
    virtual ~Semaphore() = default;

    using AcquireOperation = detail::QueuedAcquire<Semaphore>;
    /// Suspends when: locked(): no slot is free, or other tasks wait (FIFO).
    /// Resumed by: release(), which reserves the slot for the first waiter and wakes it; a waiter
    /// that runs wakes further waiters while slots are free.
    /// Returns: true (as CPython's; `co_await sem.acquire();` may ignore it), holding a slot.
    /// Cancellation: a waiter leaves the queue; one woken, then cancelled before it ran, gives
    /// its slot back, which goes to the next waiter. Either way co_await throws CancelledError,
    /// holding nothing.
    /// Lifetime: the Semaphore must outlive its waiters.
    AcquireOperation acquire() noexcept;
    /// Takes a slot if acquire() would not suspend; never suspends.
    bool try_acquire() noexcept;
    /// Frees a slot, reserving it for the first waiter not yet woken, if any.
    void release();
    /// True when acquire() would suspend: no free slot, or tasks queued (woken ones included).
    [[nodiscard]] bool locked() const noexcept { return m_value == 0 || !m_waiters.empty() || !m_woken.empty(); }
    /// Free slots, not counting those reserved for woken waiters (CPython's _value).
    [[nodiscard]] std::size_t value() const noexcept { return m_value; }

protected:
    /// Hook for BoundedSemaphore: called before release() adds a slot.
    virtual void check_release() const {}

private:
    friend AcquireOperation;
    /// A waiter leaves the queue: keeps the reserved slot, or (cancelled) gives it back; then
    /// wakes waiters while slots are free.
    void leave_queue(AcquireOperation& waiter, bool cancelled) noexcept;
    /// Reserves a slot for the first waiter not yet woken and wakes it; false if there is none.
    bool wake_next() noexcept;
    /// Wakes waiters while there are free slots.
    void wake_while_free() noexcept;

    std::size_t m_value;
    detail::WaitList m_waiters;  ///< FIFO, not woken yet
    /// Woken waiters that have not run yet, a slot reserved for each: they still count as
    /// queued (locked() is true), as in CPython, so no newcomer overtakes them.
    detail::WaitList m_woken;
};

inline Semaphore::AcquireOperation Semaphore::acquire() noexcept { return AcquireOperation(*this); }

/// A Semaphore that may not be released more often than acquired: release() above the initial
/// value throws InvalidStateError (CPython raises ValueError) instead of silently growing.
class BoundedSemaphore final : public Semaphore {
public:
    /// std::invalid_argument if `value` is negative (CPython: ValueError).
    explicit BoundedSemaphore(std::ptrdiff_t value = 1) : Semaphore(value), m_initial(this->value()) {}

private:
    void check_release() const override;
    std::size_t m_initial;
};

}  // namespace asyncio
