#pragma once
// The few Cortex-M instructions the port needs (CMSIS-free, so the build has no vendor headers).

#include <cstdint>

namespace asyncio::port {

/// Masks interrupts (PRIMASK) and returns the previous mask, for irq_restore().
inline std::uint32_t irq_save() noexcept {
    std::uint32_t primask;
    asm volatile("mrs %0, primask\n cpsid i" : "=r"(primask)::"memory");
    return primask;
}

inline void irq_restore(std::uint32_t primask) noexcept { asm volatile("msr primask, %0" ::"r"(primask) : "memory"); }

/// Sleeps until an interrupt is pending. With interrupts masked the core still wakes, and the
/// handler runs once they are unmasked: the race-free way to sleep after checking a flag.
inline void wait_for_interrupt() noexcept { asm volatile("dsb\n wfi" ::: "memory"); }

/// RAII interrupt mask.
class CriticalSection {
public:
    CriticalSection() noexcept : m_primask(irq_save()) {}
    CriticalSection(const CriticalSection&) = delete;
    CriticalSection& operator=(const CriticalSection&) = delete;
    ~CriticalSection() { irq_restore(m_primask); }

private:
    std::uint32_t m_primask;
};

template <class T>
inline volatile T& reg(std::uintptr_t address) noexcept {
    return *reinterpret_cast<volatile T*>(address);
}

/// NVIC: enable external interrupt `irq`.
inline void nvic_enable(unsigned irq) noexcept { reg<std::uint32_t>(0xE000E100) = 1u << (irq & 31u); }

}  // namespace asyncio::port
