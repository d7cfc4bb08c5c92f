// Vector table of the BBC micro:bit v1 (nRF51822, Cortex-M0): the Cortex-M0 system vectors and
// the nRF51's 32 interrupt lines (nRF51 Reference Manual, instantiation table). Unused entries
// report and stop (Default_Handler) rather than hang.

#include <cstdint>

extern "C" {
extern std::uint32_t __stack_top[];
[[noreturn]] void Reset_Handler();
void Default_Handler();
void HardFault_Handler();
// Handlers the program does not define end here (aliases must name a symbol of this file).
void Unhandled_Interrupt() { Default_Handler(); }

#define ASYNCIO_WEAK_HANDLER(name) void name() __attribute__((weak, alias("Unhandled_Interrupt")))
ASYNCIO_WEAK_HANDLER(NMI_Handler);
ASYNCIO_WEAK_HANDLER(SVC_Handler);
ASYNCIO_WEAK_HANDLER(PendSV_Handler);
ASYNCIO_WEAK_HANDLER(SysTick_Handler);
ASYNCIO_WEAK_HANDLER(POWER_CLOCK_IRQHandler);
ASYNCIO_WEAK_HANDLER(RADIO_IRQHandler);
ASYNCIO_WEAK_HANDLER(UART0_IRQHandler);
ASYNCIO_WEAK_HANDLER(SPI0_TWI0_IRQHandler);
ASYNCIO_WEAK_HANDLER(SPI1_TWI1_IRQHandler);
ASYNCIO_WEAK_HANDLER(GPIOTE_IRQHandler);
ASYNCIO_WEAK_HANDLER(ADC_IRQHandler);
ASYNCIO_WEAK_HANDLER(TIMER0_IRQHandler);
ASYNCIO_WEAK_HANDLER(TIMER1_IRQHandler);
ASYNCIO_WEAK_HANDLER(TIMER2_IRQHandler);
ASYNCIO_WEAK_HANDLER(RTC0_IRQHandler);
ASYNCIO_WEAK_HANDLER(TEMP_IRQHandler);
ASYNCIO_WEAK_HANDLER(RNG_IRQHandler);
ASYNCIO_WEAK_HANDLER(ECB_IRQHandler);
ASYNCIO_WEAK_HANDLER(CCM_AAR_IRQHandler);
ASYNCIO_WEAK_HANDLER(WDT_IRQHandler);
ASYNCIO_WEAK_HANDLER(RTC1_IRQHandler);
ASYNCIO_WEAK_HANDLER(QDEC_IRQHandler);
ASYNCIO_WEAK_HANDLER(LPCOMP_IRQHandler);
ASYNCIO_WEAK_HANDLER(SWI0_IRQHandler);
ASYNCIO_WEAK_HANDLER(SWI1_IRQHandler);
ASYNCIO_WEAK_HANDLER(SWI2_IRQHandler);
ASYNCIO_WEAK_HANDLER(SWI3_IRQHandler);
ASYNCIO_WEAK_HANDLER(SWI4_IRQHandler);
ASYNCIO_WEAK_HANDLER(SWI5_IRQHandler);
#undef ASYNCIO_WEAK_HANDLER
}

using Vector = void (*)();

__attribute__((section(".isr_vector"), used)) const Vector g_vector_table[16 + 32] = {
    reinterpret_cast<Vector>(__stack_top),
    Reset_Handler,
    NMI_Handler,
    HardFault_Handler,
    nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr,
    SVC_Handler,
    nullptr,
    nullptr,
    PendSV_Handler,
    SysTick_Handler,      // the nRF51 has no SysTick: never taken
    POWER_CLOCK_IRQHandler,  // 0
    RADIO_IRQHandler,        // 1
    UART0_IRQHandler,        // 2
    SPI0_TWI0_IRQHandler,    // 3
    SPI1_TWI1_IRQHandler,    // 4
    Default_Handler,         // 5
    GPIOTE_IRQHandler,       // 6
    ADC_IRQHandler,          // 7
    TIMER0_IRQHandler,       // 8: the port's clock (port/nrf51_timer_platform.cpp)
    TIMER1_IRQHandler,       // 9
    TIMER2_IRQHandler,       // 10
    RTC0_IRQHandler,         // 11
    TEMP_IRQHandler,         // 12
    RNG_IRQHandler,          // 13
    ECB_IRQHandler,          // 14
    CCM_AAR_IRQHandler,      // 15
    WDT_IRQHandler,          // 16
    RTC1_IRQHandler,         // 17
    QDEC_IRQHandler,         // 18
    LPCOMP_IRQHandler,       // 19
    SWI0_IRQHandler,         // 20
    SWI1_IRQHandler,         // 21
    SWI2_IRQHandler,         // 22
    SWI3_IRQHandler,         // 23
    SWI4_IRQHandler,         // 24
    SWI5_IRQHandler,         // 25
    Default_Handler, Default_Handler, Default_Handler, Default_Handler, Default_Handler, Default_Handler,  // 26..31
};
