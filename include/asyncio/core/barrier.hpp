#pragma once
// Barrier: a fixed number of tasks meet, then all go on together, asyncio.Barrier.

#include <asyncio/core/condition.hpp>
#include <asyncio/core/config.hpp>
#include <asyncio/core/task.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>

namespace asyncio {

/// A Barrier's wait() on a barrier that is aborted, or reset while the task waited
/// (asyncio.BrokenBarrierError).
class BrokenBarrierError : public std::runtime_error {
public:
    BrokenBarrierError() : std::runtime_error("the barrier is broken (aborted, or reset while waiting)") {}
};

/// Barrier: a fixed number of tasks meet, then all go on together, asyncio.Barrier (CPython
/// 3.11). Each round: `parties` tasks call wait(); the last to arrive releases them all. Built on
/// a Condition, as CPython's is, so tasks leave it in the same order as in CPython.
///
/// \code
/// asyncio::Barrier meeting(3);
/// const std::size_t index = co_await meeting.wait();   // in each of 3 tasks: 0, 1 and 2
/// \endcode
///
/// A round goes through states (CPython's repr shows them): filling while tasks arrive; draining
/// while the released tasks leave (newcomers wait for the next round meanwhile); resetting after
/// reset() until the waiting tasks have left; broken after abort(), for good.
class Barrier {
public:
    /// Where the current round is (see the class comment).
    enum class State : std::uint8_t { filling, draining, resetting, broken };

    /// std::invalid_argument if `parties` < 1 (CPython: ValueError).
    explicit Barrier(std::ptrdiff_t parties);
    Barrier(const Barrier&) = delete;
    Barrier& operator=(const Barrier&) = delete;

#if ASYNCIO_EXCEPTIONS
    /// Suspends: until `parties` tasks have called wait() (the last of them only to take the
    /// barrier's lock, and not if parties is 1). A task arriving while the previous round drains
    /// or resets first waits for that to end.
    /// Resumed by: the wait() that completes the round (or reset()/abort()), then by the
    /// release of the barrier's internal lock, which the tasks take one after the other.
    /// Returns: the arrival index, 0 to parties-1, different for each task of a round.
    /// Throws: BrokenBarrierError if the barrier is broken, or aborted or reset while waiting.
    /// Cancellation: the task leaves the round (n_waiting() drops) and co_await throws
    /// CancelledError; another waiter may wake spuriously and wait again (as in CPython).
    /// Lifetime: the Barrier must outlive its waiters.
    [[nodiscard]] Task<std::size_t> wait();
#endif
    /// wait(), reporting a broken barrier as an empty optional instead of BrokenBarrierError:
    /// the form for the profile without exceptions. Without exceptions a cancelled task is
    /// unwound; it leaves the round all the same.
    [[nodiscard]] Task<std::optional<std::size_t>> wait_or_broken();

    /// Back to filling, for a new round: tasks waiting now get BrokenBarrierError (the barrier
    /// resets once they have left). Suspends only to take the barrier's internal lock.
    [[nodiscard]] Task<> reset();
    /// Breaks the barrier for good: waiting tasks and later wait() calls get BrokenBarrierError.
    /// Suspends only to take the barrier's internal lock.
    [[nodiscard]] Task<> abort();

    /// The number of tasks a round needs.
    [[nodiscard]] std::size_t parties() const noexcept { return m_parties; }
    /// Tasks waiting in the round being filled (0 while draining, resetting or broken).
    [[nodiscard]] std::size_t n_waiting() const noexcept { return m_state == State::filling ? m_count : 0; }
    /// abort() was called: every wait() throws BrokenBarrierError.
    [[nodiscard]] bool broken() const noexcept { return m_state == State::broken; }
    /// What CPython's repr() shows ("filling", "draining", "resetting", "broken").
    [[nodiscard]] State state() const noexcept { return m_state; }

private:
    class Leave;
    /// Releases the tasks of a full round (CPython's _release).
    void release_round() noexcept;
    /// A task leaves: the last one out ends draining or resetting (CPython's _exit).
    void leave() noexcept;
    void wake_all() noexcept;

    Condition m_cond;  ///< every state change notifies all
    std::size_t m_parties;
    std::size_t m_count = 0;  ///< tasks inside wait(), past the entry check
    State m_state = State::filling;
};

}  // namespace asyncio
