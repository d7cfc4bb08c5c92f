#pragma once
// VirtualClock: a Platform whose time jumps to the next deadline (instant, exact timer tests).

#include <asyncio/core/fatal_error.hpp>
#include <asyncio/core/platform.hpp>

#include <atomic>
#include <stdexcept>

namespace asyncio {

/// A Platform whose clock only moves when the loop would sleep: it jumps straight to the next
/// deadline. Timer and timeout logic then runs instantly and exactly, the same on every machine.
///
/// \code
/// asyncio::EventLoop loop(std::make_unique<asyncio::VirtualClock>());
/// loop.run_until_complete(main_task());   // a sleep(1h) inside takes no real time
/// \endcode
///
/// It has no I/O: on a loop over it, start_server(), open_connection() and every other socket
/// throw InvalidStateError ("sockets need a loop running on the OS poller"), and close the
/// socket they had opened.
class VirtualClock final : public Platform {
public:
    TimePoint now() noexcept override { return m_now; }

    void wait(std::optional<Duration> timeout) override {
        if (m_woken.exchange(false)) return;
        if (!timeout) detail::fail<std::logic_error>("VirtualClock: the loop would wait forever (deadlock)");
        m_now += *timeout;
    }

    void wake() noexcept override { m_woken = true; }

    /// Moves time forward by hand (tests of code that reads the clock).
    void advance(Duration by) noexcept { m_now += by; }

private:
    TimePoint m_now{};
    std::atomic<bool> m_woken{false};
};

}  // namespace asyncio
