/* lwIP's compiler/platform header for the host test (tests/lwip): gcc or clang on Linux, glibc.
   lwip/arch.h's defaults are right for the types; what is set here is where an lwIP assertion
   goes (stderr, then abort(): the test fails loudly) and the random source. */
#ifndef ASYNCIO_TEST_LWIP_ARCH_CC_H
#define ASYNCIO_TEST_LWIP_ARCH_CC_H

#include <endian.h> /* BYTE_ORDER before lwip/arch.h would define its own */
#include <stdio.h>
#include <stdlib.h>

#define LWIP_PLATFORM_ASSERT(message)                                                              \
    do {                                                                                           \
        fprintf(stderr, "lwIP assertion failed: %s (%s:%d)\n", (message), __FILE__, __LINE__);    \
        fflush(stderr);                                                                            \
        abort();                                                                                   \
    } while (0)
#define LWIP_PLATFORM_DIAG(x) do { printf x; } while (0)
#define LWIP_RAND() ((u32_t)rand())

#endif
