// The port's clock on a Cortex-M with SysTick (the MPS2 AN385/AN386 boards): SysTick counts the
// core clock down from LOAD to 0 and interrupts at each wrap, kTickHz times a second; the
// fraction of the current tick is LOAD - VAL core cycles.

#include "cortex_m.hpp"
#include "tick_platform.hpp"

#ifndef ASYNCIO_PORT_CPU_HZ
#error "ASYNCIO_PORT_CPU_HZ (the core clock SysTick counts) must be defined by the board"
#endif

namespace asyncio::port {

namespace {
constexpr std::uint32_t kCpuHz = ASYNCIO_PORT_CPU_HZ;
constexpr std::uint32_t kCyclesPerTick = kCpuHz / kTickHz;
static_assert(kCyclesPerTick >= 1000 && kCyclesPerTick - 1 <= 0xFFFFFF, "SysTick reload out of range");

constexpr std::uintptr_t kSystCsr = 0xE000E010;  // control and status
constexpr std::uintptr_t kSystRvr = 0xE000E014;  // reload value
constexpr std::uintptr_t kSystCvr = 0xE000E018;  // current value
constexpr std::uintptr_t kScbIcsr = 0xE000ED04;  // interrupt control and state
constexpr std::uint32_t kIcsrPendstset = 1u << 26;
constexpr std::uint32_t kCsrEnable = 1u << 0, kCsrTickint = 1u << 1, kCsrClksourceCpu = 1u << 2;

bool g_started = false;
}  // namespace

void detail::clock_start() noexcept {
    CriticalSection masked;
    if (g_started) return;
    g_started = true;
    reg<std::uint32_t>(kSystRvr) = kCyclesPerTick - 1;
    reg<std::uint32_t>(kSystCvr) = 0;
    reg<std::uint32_t>(kSystCsr) = kCsrEnable | kCsrTickint | kCsrClksourceCpu;
}

std::uint32_t detail::clock_fraction_ns() noexcept {
    const std::uint32_t elapsed = (kCyclesPerTick - 1) - reg<std::uint32_t>(kSystCvr);
    if constexpr (1'000'000'000u % kCpuHz == 0) {
        return elapsed * (1'000'000'000u / kCpuHz);
    } else {
        return static_cast<std::uint32_t>(static_cast<std::uint64_t>(elapsed) * 1'000'000'000u / kCpuHz);
    }
}

bool detail::clock_tick_pending() noexcept { return (reg<std::uint32_t>(kScbIcsr) & kIcsrPendstset) != 0; }

}  // namespace asyncio::port

extern "C" void SysTick_Handler() { asyncio::port::detail::on_tick(); }
