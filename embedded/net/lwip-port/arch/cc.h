/* lwIP's compiler/platform header for the bare-metal Cortex-M port (arm-none-eabi-gcc, newlib).
   lwIP includes it from every file, C and C++ alike. stdint.h, stddef.h and the little-endian
   default of lwip/arch.h are right for this target; what changes is where diagnostics go (the
   semihosting console, never printf), the random source, and byte swapping (one instruction). */
#ifndef ASYNCIO_LWIP_ARCH_CC_H
#define ASYNCIO_LWIP_ARCH_CC_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Prints "lwIP assertion failed: <message> (<file>:<line>)" on the semihosting console and ends
   the program (exit status 102). Defined in lwip-port/sys_arch.cpp. */
void lwip_port_assert(const char* message, int line, const char* file) __attribute__((noreturn));

/* A xorshift generator seeded from the MAC address and the clock (DNS query ids, the initial
   TCP ports and sequence numbers). Not cryptographic. */
uint32_t lwip_port_rand(void);
/* Mixes `entropy` (the MAC address, the boot time) into that generator's state. */
void lwip_port_seed(uint32_t entropy);

#ifdef __cplusplus
}
#endif

#define LWIP_PLATFORM_ASSERT(message) lwip_port_assert((message), __LINE__, __FILE_NAME__)
/* Only LWIP_DEBUG and the stats display print through this; neither is built. */
#define LWIP_PLATFORM_DIAG(x) do { } while (0)
#define LWIP_RAND() lwip_port_rand()
/* lwIP's own isdigit() & co. instead of newlib's ctype table. */
#define LWIP_NO_CTYPE_H 1

/* REV / REV16: one instruction each instead of lwIP's shift-and-mask functions. */
#define lwip_htons(x) ((u16_t)__builtin_bswap16((u16_t)(x)))
#define lwip_htonl(x) ((u32_t)__builtin_bswap32((u32_t)(x)))

#endif
