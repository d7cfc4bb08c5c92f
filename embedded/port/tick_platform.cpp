#include "tick_platform.hpp"

#include "cortex_m.hpp"

#include <memory>

namespace asyncio::port {

namespace {
constexpr std::int64_t kNsPerTick = 1'000'000'000 / kTickHz;

volatile std::uint64_t g_ticks = 0;  // written by the tick ISR only
IdleStats g_idle;
void (*volatile g_hook)(void*) = nullptr;
void* volatile g_hook_argument = nullptr;

/// The clock, with interrupts masked.
TimePoint now_locked() noexcept {
    std::uint64_t ticks = g_ticks;
    std::uint32_t fraction = detail::clock_fraction_ns();
    if (detail::clock_tick_pending()) {
        // The counter wrapped but the ISR has not counted it yet (we mask it): count it here, and
        // read the fraction again, which now belongs to the new tick.
        ++ticks;
        fraction = detail::clock_fraction_ns();
    }
    return TimePoint(Duration(static_cast<std::int64_t>(ticks) * kNsPerTick + fraction));
}
}  // namespace

void detail::on_tick() noexcept {
    g_ticks = g_ticks + 1;
    if (auto hook = g_hook) hook(g_hook_argument);
}

TickPlatform::TickPlatform() noexcept { detail::clock_start(); }

TimePoint TickPlatform::now() noexcept {
    CriticalSection masked;
    return now_locked();
}

void TickPlatform::wait(std::optional<Duration> timeout) {
    const TimePoint deadline = timeout ? now() + *timeout : TimePoint::max();
    bool slept = false;
    for (;;) {
        const std::uint32_t primask = irq_save();
        if (m_woken) {
            m_woken = false;
            irq_restore(primask);
            return;
        }
        if (now_locked() >= deadline) {
            irq_restore(primask);
            return;
        }
        if (!slept) {
            slept = true;
            ++g_idle.waits;
        }
        ++g_idle.sleeps;
        wait_for_interrupt();  // returns at the next tick or any other interrupt
        irq_restore(primask);  // the pending handler runs here
    }
}

void TickPlatform::wake() noexcept { m_woken = true; }

void set_tick_hook(void (*hook)(void*), void* argument) noexcept {
    CriticalSection masked;
    g_hook_argument = argument;
    g_hook = hook;
}

IdleStats idle_stats() noexcept {
    CriticalSection masked;
    IdleStats stats = g_idle;
    stats.ticks = g_ticks;
    return stats;
}

}  // namespace asyncio::port

// Weak: a network program defines its own, the lwIP platform wrapping this one (io/lwip.hpp).
__attribute__((weak)) std::unique_ptr<asyncio::Platform> asyncio::make_default_platform() {
    return std::make_unique<port::TickPlatform>();
}
