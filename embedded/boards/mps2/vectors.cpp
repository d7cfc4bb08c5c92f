// Vector table of the ARM MPS2 AN385 (Cortex-M3) and AN386 (Cortex-M4F) boards: the 16 Cortex-M
// system vectors and the boards' 32 interrupt lines. Unused entries report and stop
// (Default_Handler) rather than hang.

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
ASYNCIO_WEAK_HANDLER(MemManage_Handler);
ASYNCIO_WEAK_HANDLER(BusFault_Handler);
ASYNCIO_WEAK_HANDLER(UsageFault_Handler);
ASYNCIO_WEAK_HANDLER(SVC_Handler);
ASYNCIO_WEAK_HANDLER(DebugMon_Handler);
ASYNCIO_WEAK_HANDLER(PendSV_Handler);
ASYNCIO_WEAK_HANDLER(SysTick_Handler);
ASYNCIO_WEAK_HANDLER(UART0_IRQHandler);
ASYNCIO_WEAK_HANDLER(UART1_IRQHandler);
ASYNCIO_WEAK_HANDLER(UART2_IRQHandler);
ASYNCIO_WEAK_HANDLER(UART3_IRQHandler);
ASYNCIO_WEAK_HANDLER(UART4_IRQHandler);
ASYNCIO_WEAK_HANDLER(PORT0_IRQHandler);
ASYNCIO_WEAK_HANDLER(PORT1_IRQHandler);
ASYNCIO_WEAK_HANDLER(TIMER0_IRQHandler);
ASYNCIO_WEAK_HANDLER(TIMER1_IRQHandler);
ASYNCIO_WEAK_HANDLER(DUALTIMER_IRQHandler);
ASYNCIO_WEAK_HANDLER(ETHERNET_IRQHandler);
ASYNCIO_WEAK_HANDLER(Spare_IRQHandler);
#undef ASYNCIO_WEAK_HANDLER
}

using Vector = void (*)();

__attribute__((section(".isr_vector"), used)) const Vector g_vector_table[16 + 32] = {
    reinterpret_cast<Vector>(__stack_top),
    Reset_Handler,
    NMI_Handler,
    HardFault_Handler,
    MemManage_Handler,
    BusFault_Handler,
    UsageFault_Handler,
    nullptr,
    nullptr,
    nullptr,
    nullptr,
    SVC_Handler,
    DebugMon_Handler,
    nullptr,
    PendSV_Handler,
    SysTick_Handler,
    // External interrupts 0..31 (AN385 application note, table 4-2).
    UART0_IRQHandler,      // 0: UART 0 receive/transmit (the CMSDK UARTs share 0..5)
    UART0_IRQHandler,      // 1
    UART1_IRQHandler,      // 2
    UART1_IRQHandler,      // 3
    UART2_IRQHandler,      // 4
    UART2_IRQHandler,      // 5
    PORT0_IRQHandler,      // 6: GPIO 0 combined
    PORT1_IRQHandler,      // 7: GPIO 1 combined
    TIMER0_IRQHandler,     // 8: CMSDK timer 0
    TIMER1_IRQHandler,     // 9: CMSDK timer 1
    DUALTIMER_IRQHandler,  // 10: dual timer
    Spare_IRQHandler,      // 11
    Spare_IRQHandler,      // 12: UART 0..2 overflow
    ETHERNET_IRQHandler,   // 13: Ethernet (LAN9118; embedded/net/lan9118.cpp)
    Spare_IRQHandler,      // 14
    Spare_IRQHandler,      // 15
    Spare_IRQHandler, Spare_IRQHandler, Spare_IRQHandler, Spare_IRQHandler, Spare_IRQHandler,  // 16..20
    Spare_IRQHandler, Spare_IRQHandler, Spare_IRQHandler, Spare_IRQHandler, Spare_IRQHandler,  // 21..25
    Spare_IRQHandler, Spare_IRQHandler, Spare_IRQHandler, Spare_IRQHandler, Spare_IRQHandler,  // 26..30
    Spare_IRQHandler,                                                                          // 31
};
