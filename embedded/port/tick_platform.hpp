#pragma once
// asyncio's Platform on a bare-metal Cortex-M: the loop's clock and idle wait.
//
//   now()   a 64-bit count of tick interrupts (1 kHz) plus the fraction read from the hardware
//           counter: monotonic, sub-microsecond on the MPS2 boards, 1 us on the nRF51.
//   wait()  sleeps in WFI until the next timer deadline, a wake(), or any interrupt that calls
//           wake() (ThreadSafeFlag::set() from an ISR does). Checking the wake flag and going to
//           sleep happen with interrupts masked, so a wake-up cannot slip in between.
//   wake()  sets a flag: safe from an interrupt handler and from task code.
//
// The clock source is the board's: SysTick on the MPS2 boards (port/systick_platform.cpp), TIMER0
// on the nRF51 (port/nrf51_timer_platform.cpp; the nRF51's Cortex-M0 has no SysTick).

#include <asyncio/core/platform.hpp>

#include <cstdint>

namespace asyncio::port {

class TickPlatform final : public Platform {
public:
    TickPlatform() noexcept;
    TimePoint now() noexcept override;
    void wait(std::optional<Duration> timeout) override;
    void wake() noexcept override;

private:
    volatile bool m_woken = false;
};

/// Called from the tick interrupt at every tick (tests use it to raise events from an ISR).
/// nullptr removes it.
void set_tick_hook(void (*hook)(void* argument), void* argument) noexcept;

/// What the idle loop did since reset.
struct IdleStats {
    std::uint64_t ticks = 0;       ///< tick interrupts taken
    std::uint32_t sleeps = 0;      ///< WFI instructions executed by wait()
    std::uint32_t waits = 0;       ///< calls of wait() that slept at least once
};
IdleStats idle_stats() noexcept;

/// The tick rate of the port.
inline constexpr std::uint32_t kTickHz = 1000;

namespace detail {
// Implemented by the board's clock source.
void clock_start() noexcept;               ///< starts the tick interrupt (idempotent)
std::uint32_t clock_fraction_ns() noexcept;  ///< ns since the last tick; interrupts masked
bool clock_tick_pending() noexcept;        ///< a tick happened whose interrupt has not run
// Called by the board's tick interrupt handler.
void on_tick() noexcept;
}  // namespace detail

}  // namespace asyncio::port
