#include <asyncio/core/barrier.hpp>
#include <asyncio/core/fatal_error.hpp>

#include <limits>
#include <stdexcept>

namespace asyncio {

namespace {
std::size_t checked_parties(std::ptrdiff_t parties) {
    if (parties < 1) detail::fail<std::invalid_argument>("Barrier parties must be >= 1");
    return static_cast<std::size_t>(parties);
}
}  // namespace

Barrier::Barrier(std::ptrdiff_t parties) : m_parties(checked_parties(parties)) {}

/// A task inside wait(), counted in the round: leaves it however the wait ends (it returns,
/// throws, or is unwound without exceptions), as CPython's `finally` does.
class Barrier::Leave {
public:
    explicit Leave(Barrier& barrier) noexcept : m_barrier(barrier) {}
    Leave(const Leave&) = delete;
    Leave& operator=(const Leave&) = delete;
    ~Leave() { m_barrier.leave(); }

private:
    Barrier& m_barrier;
};

Task<std::optional<std::size_t>> Barrier::wait_or_broken() {
    auto guard = co_await m_cond.scoped_acquire();
    // While the previous round drains or resets, wait for it to end.
    co_await m_cond.wait_for([this] { return m_state != State::draining && m_state != State::resetting; });
    if (m_state == State::broken) co_return std::nullopt;
    const std::size_t index = m_count++;
    Leave leave(*this);  // destroyed before `guard`: the lock is held while leaving
    if (index + 1 == m_parties) {
        release_round();
        co_return index;
    }
    co_await m_cond.wait_for([this] { return m_state != State::filling; });
    if (m_state == State::broken || m_state == State::resetting) co_return std::nullopt;
    co_return index;
}

#if ASYNCIO_EXCEPTIONS
Task<std::size_t> Barrier::wait() {
    const std::optional<std::size_t> index = co_await wait_or_broken();
    if (!index) throw BrokenBarrierError();
    co_return *index;
}
#endif

Task<> Barrier::reset() {
    auto guard = co_await m_cond.scoped_acquire();
    // With tasks inside, the last one out ends the reset (leave()); they get BrokenBarrierError.
    m_state = m_count > 0 ? State::resetting : State::filling;
    wake_all();
}

Task<> Barrier::abort() {
    auto guard = co_await m_cond.scoped_acquire();
    m_state = State::broken;
    wake_all();
}

void Barrier::release_round() noexcept {
    m_state = State::draining;
    wake_all();
}

void Barrier::leave() noexcept {
    if (--m_count > 0) return;
    if (m_state == State::resetting || m_state == State::draining) m_state = State::filling;
    wake_all();
}

void Barrier::wake_all() noexcept {
    // Condition::notify_all() but without its lock check: a task unwound without exceptions
    // leaves the round without the lock (it was waiting for it, or in Condition::wait()).
    m_cond.wake_waiters(std::numeric_limits<std::size_t>::max());
}

}  // namespace asyncio
