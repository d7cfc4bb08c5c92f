// The portable back-end: poll(), level-triggered, as lwIP offers it on an ESP32 (ESP-IDF builds
// poll() on select(), which never reports POLLHUP: a hang-up shows as readable, then EOF).
// Only the descriptors somebody waits on are polled. An eventfd wakes the loop from other
// threads and, on the ESP32, from interrupt handlers.
//
// This file is the same on Linux and ESP-IDF; the clock and the making of the wake-up descriptor
// are the port's (poll_port.hpp), so `ASYNCIO_POLLER=poll` on Linux tests what the ESP32 runs.
#include <asyncio/core/config.hpp>
#include <asyncio/io/poller.hpp>

#include "poll_port.hpp"

#include <sys/poll.h>  // not <poll.h>: ESP-IDF's newlib has only this one
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <system_error>
#include <vector>

namespace asyncio::detail {

namespace {

[[noreturn]] void throw_errno(const char* call) { throw std::system_error(errno, std::system_category(), call); }

int timeout_ms(std::optional<Duration> timeout) {
    if (!timeout) return -1;
    // Round up, so that a timer 0.3 ms away does not make the loop spin with timeout 0. The cap
    // (about 11.5 days) keeps ESP-IDF's conversion to 32-bit milliseconds from overflowing.
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(*timeout).count();
    return ms > 1'000'000'000 ? 1'000'000'000 : static_cast<int>(ms);
}

class PollPoller final : public Poller {
public:
    PollPoller() : m_wakeup(poll_port::open_wakeup_descriptor()) {}
    ~PollPoller() override {
        detach_all(m_registered);
        ::close(m_wakeup);
    }

    const char* name() const noexcept override { return "poll"; }

    TimePoint now() noexcept override { return poll_port::now(); }

    void wait(std::optional<Duration> timeout) override {
        collect_interest();
        const int count = ::poll(m_fds.data(), static_cast<nfds_t>(m_fds.size()), timeout_ms(timeout));
        if (count < 0) {
            if (errno == EINTR) return;
            throw_errno("poll");
        }
        if (m_fds[0].revents != 0) drain_wakeup();
        dispatch_events();
    }

    /// One 8-byte count, as an eventfd requires. Lock-free and async-signal-safe on Linux; on
    /// ESP-IDF the eventfd was made with EFD_SUPPORT_ISR, so an interrupt handler may call it
    /// (through ThreadSafeFlag::set(): in IRAM there, config.hpp).
    ASYNCIO_ISR_ATTR void wake() noexcept override {
        const std::uint64_t one = 1;
        [[maybe_unused]] auto written = ::write(m_wakeup, &one, sizeof one);
    }

    bool has_pending_io() const noexcept override { return !m_waiting.empty(); }

    void register_descriptor(IoHandle& handle) override { m_registered.push_back(handle); }

    void deregister_descriptor(IoHandle& handle) noexcept override {
        stop_waiting(handle);
        forget(handle);
    }

    void update_interest(IoHandle& handle) noexcept override { track_waiting(m_waiting, handle); }

private:
    /// The wake-up descriptor first, then every handle a task waits on, for what it waits.
    void collect_interest() {
        m_fds.clear();
        m_handles.clear();
        m_fds.push_back(pollfd{m_wakeup, POLLIN, 0});
        m_waiting.for_each([this](IoHandle& handle) {
            short events = 0;
            if (handle.wants_read()) events |= POLLIN;
            if (handle.wants_write()) events |= POLLOUT;
            m_fds.push_back(pollfd{handle.fd(), events, 0});
            m_handles.push_back(&handle);
        });
    }

    /// Handles woken here may be released by the tasks they wake only later, when the loop runs
    /// them: the pointers stay valid for this pass.
    void dispatch_events() noexcept {
        for (std::size_t i = 1; i < m_fds.size(); ++i) {
            const short revents = m_fds[i].revents;
            if (revents == 0) continue;
            const bool hung_up = (revents & POLLHUP) != 0;
            const bool failed = hung_up || (revents & (POLLERR | POLLNVAL)) != 0;
            m_handles[i - 1]->on_events(failed || (revents & POLLIN) != 0, failed || (revents & POLLOUT) != 0,
                                        hung_up, hung_up);
        }
    }

    /// One read takes the whole count and resets it: every wake() so far is consumed, and one
    /// that comes after it makes the next poll() return at once (none is lost).
    void drain_wakeup() noexcept {
        std::uint64_t count = 0;
        [[maybe_unused]] auto read = ::read(m_wakeup, &count, sizeof count);
    }

    int m_wakeup;               ///< the eventfd, polled first (m_fds[0])
    WaitingList m_waiting;      ///< handles a task waits on: the only ones polled
    RegistryList m_registered;  ///< every handle registered (told when the poller goes)
    std::vector<pollfd> m_fds;
    std::vector<IoHandle*> m_handles;  ///< m_handles[i] was polled as m_fds[i + 1]
};

}  // namespace

}  // namespace asyncio::detail

std::unique_ptr<asyncio::Platform> asyncio::make_default_platform() {
    return std::make_unique<detail::PollPoller>();
}
