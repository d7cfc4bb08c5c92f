// The Linux back-end: epoll, edge-triggered, each descriptor registered once; an eventfd wakes
// the loop from other threads.
#include "edge_triggered_poller.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <system_error>

namespace asyncio::detail {

static_assert(EPOLLIN == POLLIN && EPOLLOUT == POLLOUT && EPOLLERR == POLLERR && EPOLLHUP == POLLHUP &&
                  EPOLLRDHUP == POLLRDHUP,
              "deliver() reads epoll's event bits as poll()'s");

namespace {

[[noreturn]] void throw_errno(const char* call) { throw std::system_error(errno, std::system_category(), call); }

int timeout_ms(std::optional<Duration> timeout) {
    if (!timeout) return -1;
    // Round up, so that a timer 0.3 ms away does not make the loop spin with timeout 0.
    const auto ms = std::chrono::ceil<std::chrono::milliseconds>(*timeout).count();
    return ms > 1'000'000'000 ? 1'000'000'000 : static_cast<int>(ms);
}

class EpollPoller final : public EdgeTriggeredPoller {
public:
    EpollPoller() {
        m_epoll = epoll_create1(EPOLL_CLOEXEC);
        if (m_epoll < 0) throw_errno("epoll_create1");
        m_wakeup = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (m_wakeup < 0) {
            close(m_epoll);
            throw_errno("eventfd");
        }
        epoll_event event{};
        event.events = EPOLLIN;
        event.data.ptr = nullptr;  // nullptr marks the wake-up descriptor
        if (epoll_ctl(m_epoll, EPOLL_CTL_ADD, m_wakeup, &event) < 0) throw_errno("epoll_ctl");
    }
    ~EpollPoller() override {
        detach_all(m_registered);
        close(m_wakeup);
        close(m_epoll);
    }

    const char* name() const noexcept override { return "epoll"; }

    void wait(std::optional<Duration> timeout) override {
        std::array<epoll_event, 256> events;
        const int count = epoll_wait(m_epoll, events.data(), static_cast<int>(events.size()), timeout_ms(timeout));
        if (count < 0) {
            if (errno == EINTR) return;
            throw_errno("epoll_wait");
        }
        for (int i = 0; i < count; ++i) {
            auto* handle = static_cast<IoHandle*>(events[i].data.ptr);
            if (handle == nullptr) {
                drain_wakeup();
            } else {
                deliver(*handle, events[i].events);
            }
        }
    }

    void wake() noexcept override {
        const std::uint64_t one = 1;
        [[maybe_unused]] auto written = ::write(m_wakeup, &one, sizeof one);
    }

    void register_descriptor(IoHandle& handle) override {
        epoll_event event{};
        event.events = kWatchedEvents | EPOLLET;
        event.data.ptr = &handle;
        if (epoll_ctl(m_epoll, EPOLL_CTL_ADD, handle.fd(), &event) < 0) throw_errno("epoll_ctl");
        m_registered.push_back(handle);
    }

    void deregister_descriptor(IoHandle& handle) noexcept override {
        // Closing the descriptor would remove it too, but not while a dup() of it lives.
        epoll_event event{};
        epoll_ctl(m_epoll, EPOLL_CTL_DEL, handle.fd(), &event);
        forget_handle(handle);
    }

private:
    void drain_wakeup() noexcept {
        std::uint64_t value = 0;
        [[maybe_unused]] auto n = ::read(m_wakeup, &value, sizeof value);
    }

    int m_epoll = -1;
    int m_wakeup = -1;
};

}  // namespace

std::unique_ptr<Poller> make_epoll_poller() { return std::make_unique<EpollPoller>(); }

}  // namespace asyncio::detail
