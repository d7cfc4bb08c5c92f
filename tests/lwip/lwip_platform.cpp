// The platform of these tests, as a board program makes it (include/asyncio/io/lwip.hpp): an
// idle platform (here Linux's clock and a 1 ms sleep, in place of a tick counter and WFI) wrapped
// by asyncio::lwip::make_platform(), whose network interface is lwIP's loopback. Defines what the
// io layer's hosted build would otherwise: make_default_platform() and platform_report().
#include <asyncio/core/platform.hpp>
#include <asyncio/io/lwip.hpp>

#include <lwip/init.h>
#include <lwip/netif.h>
#include <lwip/priv/tcp_priv.h>
#include <lwip/tcp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>

#include "lwip_test_support.hpp"

namespace {

/// What a board's tick platform does, on Linux: a monotonic clock, and an idle wait that ends at
/// the timeout or at wake(). It sleeps 1 ms at most per call (the lwIP platform polls the
/// interface at least that often anyway, having no interrupt hook).
class HostIdlePlatform final : public asyncio::Platform {
public:
    asyncio::TimePoint now() noexcept override {
        return asyncio::TimePoint(
            std::chrono::duration_cast<asyncio::Duration>(std::chrono::steady_clock::now().time_since_epoch()));
    }
    void wait(std::optional<asyncio::Duration> timeout) override {
        if (m_woken.exchange(false)) return;
        asyncio::Duration nap = std::chrono::milliseconds(1);
        if (timeout) nap = std::max(asyncio::Duration::zero(), std::min(nap, *timeout));
        if (nap > asyncio::Duration::zero()) std::this_thread::sleep_for(nap);
        m_woken.store(false);
    }
    void wake() noexcept override { m_woken.store(true); }

private:
    std::atomic<bool> m_woken{false};
};

/// The loopback "driver": delivers the packets lwIP queued on it (netif_loop_output) since the
/// last call, as a board's receive hook moves frames from the Ethernet controller.
void poll_loopback() { netif_poll_all(); }

/// lwip_init() once per process; it adds the loopback netif (127.0.0.1/8, up).
void initialise_lwip() {
    static const bool initialised = [] {
        lwip_init();
        return true;
    }();
    (void)initialised;
}

std::size_t count_attached(const tcp_pcb* list) {
    std::size_t count = 0;
    for (const tcp_pcb* pcb = list; pcb != nullptr; pcb = pcb->next) count += pcb->callback_arg != nullptr ? 1 : 0;
    return count;
}

}  // namespace

std::unique_ptr<asyncio::Platform> asyncio::make_default_platform() {
    initialise_lwip();
    return asyncio::lwip::make_platform(std::make_unique<HostIdlePlatform>(), {&poll_loopback, nullptr});
}

void asyncio::platform_report(const char* message) noexcept {
    std::fputs("asyncio: ", stderr);
    std::fputs(message, stderr);
    std::fputc('\n', stderr);
}

std::size_t lwip_test::attached_pcbs() {
    initialise_lwip();
    return count_attached(tcp_active_pcbs) + count_attached(tcp_listen_pcbs.pcbs);
}
