// The port's clock on the nRF51 (BBC micro:bit v1). Its Cortex-M0 has no SysTick, so TIMER0 ticks:
// 16 MHz / 2^4 = 1 MHz, 32-bit, compare 0 at 1000 us clears the counter (SHORTS) and interrupts.
// The fraction of the current tick is read by capturing the counter into CC[1].
//
// (A design for battery power would use RTC1 on the 32 kHz clock instead, which QEMU does not
// model; TIMER0 keeps the 16 MHz clock running while the core sleeps.)

#include "cortex_m.hpp"
#include "tick_platform.hpp"

namespace asyncio::port {

namespace {
constexpr std::uintptr_t kTimer0 = 0x40008000;
constexpr unsigned kTimer0Irq = 8;
constexpr std::uintptr_t kTasksStart = kTimer0 + 0x000;
constexpr std::uintptr_t kTasksClear = kTimer0 + 0x00C;
constexpr std::uintptr_t kTasksCapture1 = kTimer0 + 0x044;
constexpr std::uintptr_t kEventsCompare0 = kTimer0 + 0x140;
constexpr std::uintptr_t kShorts = kTimer0 + 0x200;
constexpr std::uintptr_t kIntenset = kTimer0 + 0x304;
constexpr std::uintptr_t kMode = kTimer0 + 0x504;
constexpr std::uintptr_t kBitmode = kTimer0 + 0x508;
constexpr std::uintptr_t kPrescaler = kTimer0 + 0x510;
constexpr std::uintptr_t kCc0 = kTimer0 + 0x540;
constexpr std::uintptr_t kCc1 = kTimer0 + 0x544;

constexpr std::uint32_t kUsPerTick = 1'000'000 / kTickHz;

bool g_started = false;

std::uint32_t capture_us() noexcept {
    reg<std::uint32_t>(kTasksCapture1) = 1;
    return reg<std::uint32_t>(kCc1);
}
}  // namespace

void detail::clock_start() noexcept {
    CriticalSection masked;
    if (g_started) return;
    g_started = true;
    reg<std::uint32_t>(kMode) = 0;       // timer
    reg<std::uint32_t>(kBitmode) = 3;    // 32 bits
    reg<std::uint32_t>(kPrescaler) = 4;  // 16 MHz / 16 = 1 MHz
    reg<std::uint32_t>(kCc0) = kUsPerTick;
    reg<std::uint32_t>(kShorts) = 1u << 0;       // COMPARE0 -> CLEAR
    reg<std::uint32_t>(kIntenset) = 1u << 16;    // COMPARE0 interrupt
    reg<std::uint32_t>(kTasksClear) = 1;
    nvic_enable(kTimer0Irq);
    reg<std::uint32_t>(kTasksStart) = 1;
}

std::uint32_t detail::clock_fraction_ns() noexcept {
    const std::uint32_t us = capture_us();
    return (us < kUsPerTick ? us : kUsPerTick - 1) * 1000u;
}

bool detail::clock_tick_pending() noexcept { return reg<std::uint32_t>(kEventsCompare0) != 0; }

}  // namespace asyncio::port

extern "C" void TIMER0_IRQHandler() {
    using namespace asyncio::port;
    reg<std::uint32_t>(kEventsCompare0) = 0;
    const std::uint32_t settle = reg<std::uint32_t>(kEventsCompare0);  // the write lands before we return
    (void)settle;
    detail::on_tick();
    // The counter is cleared by the compare itself; if it ever ran past a tick (QEMU's model stops
    // re-arming a compare whose event is still set), count the lost ticks and start over.
    const std::uint32_t us = capture_us();
    if (us >= kUsPerTick) {
        for (std::uint32_t lost = us / kUsPerTick; lost > 0; --lost) detail::on_tick();
        reg<std::uint32_t>(kTasksClear) = 1;
    }
}
