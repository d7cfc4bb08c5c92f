#pragma once
// What the two Linux back-ends (epoll and io_uring) share: both learn of readiness as edges
// (epoll with EPOLLET, io_uring with a multishot poll per descriptor), so interest never changes
// after registration; they only count the handles somebody waits on, to tell an idle loop from a
// deadlocked one, and translate the same event bits (EPOLLIN == POLLIN and so on, on Linux).
#include <asyncio/io/poller.hpp>

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <poll.h>

namespace asyncio::detail {

/// CLOCK_MONOTONIC as the loop's TimePoint.
inline TimePoint monotonic_now() noexcept {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return TimePoint(std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec));
}

class EdgeTriggeredPoller : public Poller {
public:
    TimePoint now() noexcept override { return monotonic_now(); }
    bool has_pending_io() const noexcept override { return m_waiting_handles > 0; }

    void update_interest(IoHandle& handle) noexcept override {
        const bool waits = handle.has_waiters();
        if (waits && !is_waiting(handle)) {
            m_waiting.push_back(handle);
            ++m_waiting_handles;
        } else if (!waits && is_waiting(handle)) {
            stop_counting(handle);
        }
    }

protected:
    /// The events the back-end watches for: data, room to send, the peer's FIN (errors and
    /// hang-ups are always reported).
    static constexpr std::uint32_t kWatchedEvents = POLLIN | POLLOUT | POLLRDHUP;

    /// Readiness `events` (POLL* bits) reported for `handle`: an error makes both directions
    /// ready so that the next system call reports it.
    static void deliver(IoHandle& handle, std::uint32_t events) noexcept {
        const bool failed = (events & POLLERR) != 0;
        const bool hung_up = (events & POLLHUP) != 0;
        const bool read_closed = hung_up || (events & POLLRDHUP) != 0;
        handle.on_events(failed || read_closed || (events & POLLIN) != 0, failed || hung_up || (events & POLLOUT) != 0,
                         read_closed, hung_up);
    }

    /// In deregister_descriptor(): the handle leaves both lists.
    void forget_handle(IoHandle& handle) noexcept {
        forget(handle);
        if (is_waiting(handle)) stop_counting(handle);
    }

    RegistryList m_registered;  ///< every handle registered (told when the poller goes)

private:
    void stop_counting(IoHandle& handle) noexcept {
        stop_waiting(handle);
        --m_waiting_handles;
    }

    WaitingList m_waiting;  ///< handles a task waits on
    std::size_t m_waiting_handles = 0;
};

/// The epoll back-end; the io_uring one falls back to it.
std::unique_ptr<Poller> make_epoll_poller();

#if ASYNCIO_HAVE_URING
/// The io_uring back-end. Throws std::system_error when the kernel refuses io_uring (ENOSYS,
/// EPERM under seccomp or kernel.io_uring_disabled) or lacks what it needs (Linux 5.13).
std::unique_ptr<Poller> make_uring_poller();
#endif

}  // namespace asyncio::detail
