// The portable back-end: poll(), level-triggered, as lwIP offers it on an ESP32. Only the
// descriptors somebody waits on are polled; a pipe wakes the loop from other threads (lwIP has
// no eventfd; a socket pair would serve the same purpose there).
#include <asyncio/io/poller.hpp>

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <ctime>
#include <system_error>
#include <vector>

namespace asyncio::detail {

namespace {

[[noreturn]] void throw_errno(const char* call) { throw std::system_error(errno, std::system_category(), call); }

int timeout_ms(std::optional<Duration> timeout) {
    if (!timeout) return -1;
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(*timeout).count();
    return ms > 1'000'000'000 ? 1'000'000'000 : static_cast<int>(ms);
}

class PollPoller final : public Poller {
public:
    PollPoller() {
        if (::pipe2(m_wakeup, O_NONBLOCK | O_CLOEXEC) < 0) throw_errno("pipe2");
    }
    ~PollPoller() override {
        detach_all(m_registered);
        ::close(m_wakeup[0]);
        ::close(m_wakeup[1]);
    }

    TimePoint now() noexcept override {
        timespec ts{};
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
    }

    void wait(std::optional<Duration> timeout) override {
        m_fds.clear();
        m_handles.clear();
        m_fds.push_back(pollfd{m_wakeup[0], POLLIN, 0});
        m_waiting.for_each([this](IoHandle& handle) {
            short events = 0;
            if (handle.wants_read()) events |= POLLIN;
            if (handle.wants_write()) events |= POLLOUT;
            m_fds.push_back(pollfd{handle.fd(), events, 0});
            m_handles.push_back(&handle);
        });
        const int count = ::poll(m_fds.data(), m_fds.size(), timeout_ms(timeout));
        if (count < 0) {
            if (errno == EINTR) return;
            throw_errno("poll");
        }
        if (m_fds[0].revents != 0) drain_wakeup();
        // Handles woken here may be released by the tasks they wake only later, when the loop
        // runs them: the pointers stay valid for this loop.
        for (std::size_t i = 1; i < m_fds.size(); ++i) {
            const short revents = m_fds[i].revents;
            if (revents == 0) continue;
            const bool hung_up = (revents & POLLHUP) != 0;
            const bool failed = hung_up || (revents & (POLLERR | POLLNVAL)) != 0;
            m_handles[i - 1]->on_events(failed || (revents & POLLIN) != 0, failed || (revents & POLLOUT) != 0,
                                        hung_up, hung_up);
        }
    }

    void wake() noexcept override {
        const char byte = 1;
        [[maybe_unused]] auto written = ::write(m_wakeup[1], &byte, 1);
    }

    bool has_pending_io() const noexcept override { return !m_waiting.empty(); }

    void register_descriptor(IoHandle& handle) override { m_registered.push_back(handle); }

    void deregister_descriptor(IoHandle& handle) noexcept override {
        stop_waiting(handle);
        forget(handle);
    }

    void update_interest(IoHandle& handle) noexcept override {
        if (handle.has_waiters()) {
            if (!is_waiting(handle)) m_waiting.push_back(handle);
        } else {
            stop_waiting(handle);
        }
    }

private:
    void drain_wakeup() noexcept {
        char buffer[64];
        while (::read(m_wakeup[0], buffer, sizeof buffer) > 0) {
        }
    }

    int m_wakeup[2] = {-1, -1};
    WaitingList m_waiting;      ///< handles a task waits on: the only ones polled
    RegistryList m_registered;  ///< every handle registered (told when the poller goes)
    std::vector<pollfd> m_fds;
    std::vector<IoHandle*> m_handles;
};

}  // namespace

}  // namespace asyncio::detail

std::unique_ptr<asyncio::Platform> asyncio::make_default_platform() {
    return std::make_unique<detail::PollPoller>();
}
