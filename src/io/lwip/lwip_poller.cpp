// The loop's platform when lwIP is the network stack (io/lwip.hpp): the board's idle platform
// for time and sleep, lwIP driven before every sleep.
#include "socket_table.hpp"

#include <asyncio/io/lwip.hpp>
#include <asyncio/io/poller.hpp>

#include <lwip/timeouts.h>

#include <algorithm>
#include <chrono>
#include <utility>

namespace asyncio::detail {

namespace {

class LwipPoller final : public Poller {
public:
    LwipPoller(std::unique_ptr<Platform> idle, asyncio::lwip::NetworkInterface interface)
        : m_idle(std::move(idle)), m_interface(interface) {
        if (m_interface.set_interrupt_hook != nullptr) m_interface.set_interrupt_hook(&wake_from_interrupt, this);
    }
    ~LwipPoller() override {
        if (m_interface.set_interrupt_hook != nullptr) m_interface.set_interrupt_hook(nullptr, nullptr);
        detach_all(m_registered);
    }

    const char* name() const noexcept override { return "lwip"; }

    TimePoint now() noexcept override { return m_idle->now(); }

    /// Runs lwIP; sleeps only if none of its callbacks made a task ready, and no longer than
    /// until lwIP's next timer.
    void wait(std::optional<Duration> timeout) override {
        run_stack();
        if (lwip::take_activity() || (timeout && *timeout <= Duration::zero())) return;
        const u32_t lwip_ms = sys_timeouts_sleeptime();
        if (lwip_ms != SYS_TIMEOUTS_SLEEPTIME_INFINITE) {
            const Duration lwip_due = std::chrono::milliseconds(lwip_ms);
            timeout = timeout ? std::min(*timeout, lwip_due) : lwip_due;
        }
        if (m_interface.set_interrupt_hook == nullptr) {
            const Duration poll_interval = std::chrono::milliseconds(1);  // no interrupt: poll the interface
            timeout = timeout ? std::min(*timeout, poll_interval) : poll_interval;
        }
        m_idle->wait(timeout);
        run_stack();
        (void)lwip::take_activity();
    }

    void wake() noexcept override { m_idle->wake(); }

    bool has_pending_io() const noexcept override { return !m_waiting.empty(); }

    void register_descriptor(IoHandle& handle) override {
        if (lwip::Socket* socket = lwip::find(handle.fd())) socket->handle = &handle;
        m_registered.push_back(handle);
    }

    void deregister_descriptor(IoHandle& handle) noexcept override {
        if (lwip::Socket* socket = lwip::find(handle.fd()); socket != nullptr && socket->handle == &handle) {
            socket->handle = nullptr;
        }
        stop_waiting(handle);
        forget(handle);
    }

    void update_interest(IoHandle& handle) noexcept override { track_waiting(m_waiting, handle); }

private:
    /// Frames in, then lwIP's timers: its callbacks tell the sockets' handles what happened.
    void run_stack() {
        if (m_interface.receive != nullptr) m_interface.receive();
        sys_check_timeouts();
    }

    static void wake_from_interrupt(void* poller) { static_cast<LwipPoller*>(poller)->m_idle->wake(); }

    std::unique_ptr<Platform> m_idle;
    asyncio::lwip::NetworkInterface m_interface;
    WaitingList m_waiting;      ///< handles a task waits on (the loop is not idle while there are any)
    RegistryList m_registered;  ///< every handle registered (told when the poller goes)
};

}  // namespace

}  // namespace asyncio::detail

namespace asyncio::lwip {

std::unique_ptr<Platform> make_platform(std::unique_ptr<Platform> idle, NetworkInterface interface) {
    return std::make_unique<detail::LwipPoller>(std::move(idle), interface);
}

SocketCounts socket_counts() noexcept {
    return {detail::lwip::in_use_count(), detail::lwip::kMaxSockets, detail::lwip::refused_count()};
}

}  // namespace asyncio::lwip
