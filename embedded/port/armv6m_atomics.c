/* The Cortex-M0 (ARMv6-M) has no LDREX/STREX, so GCC turns std::atomic read-modify-write
   operations into calls to __atomic_* functions, which libatomic would provide on a hosted
   system. On a single core with no OS, masking interrupts makes them atomic with respect to
   interrupt handlers, which is all the core needs (ThreadSafeFlag::set from an ISR, the loop's
   call_soon_threadsafe stack). Compiled to nothing on cores that have LDREX/STREX. */

#if defined(__ARM_ARCH_6M__)

#include <stdbool.h>
#include <stdint.h>

static inline uint32_t irq_save(void) {
    uint32_t primask;
    __asm__ volatile("mrs %0, primask\n cpsid i" : "=r"(primask)::"memory");
    return primask;
}
static inline void irq_restore(uint32_t primask) { __asm__ volatile("msr primask, %0" ::"r"(primask) : "memory"); }

#define ASYNCIO_ATOMICS(N, T)                                                                     \
    T asyncio_atomic_load_##N(const volatile void* p, int order) __asm__("__atomic_load_" #N);    \
    T asyncio_atomic_load_##N(const volatile void* p, int order) {                               \
        (void)order;                                                                              \
        return *(const volatile T*)p;                                                             \
    }                                                                                             \
    void asyncio_atomic_store_##N(volatile void* p, T v, int order) __asm__("__atomic_store_" #N); \
    void asyncio_atomic_store_##N(volatile void* p, T v, int order) {                            \
        (void)order;                                                                              \
        *(volatile T*)p = v;                                                                      \
    }                                                                                             \
    T asyncio_atomic_exchange_##N(volatile void* p, T v, int order) __asm__("__atomic_exchange_" #N); \
    T asyncio_atomic_exchange_##N(volatile void* p, T v, int order) {                            \
        (void)order;                                                                              \
        uint32_t m = irq_save();                                                                  \
        T old = *(volatile T*)p;                                                                  \
        *(volatile T*)p = v;                                                                      \
        irq_restore(m);                                                                           \
        return old;                                                                               \
    }                                                                                             \
    bool asyncio_atomic_cas_##N(volatile void* p, void* expected, T desired, bool weak, int s,     \
                                int f) __asm__("__atomic_compare_exchange_" #N);                  \
    bool asyncio_atomic_cas_##N(volatile void* p, void* expected, T desired, bool weak, int s,     \
                                int f) {                                                          \
        (void)weak, (void)s, (void)f;                                                             \
        uint32_t m = irq_save();                                                                  \
        T current = *(volatile T*)p;                                                              \
        bool equal = current == *(T*)expected;                                                    \
        if (equal) *(volatile T*)p = desired;                                                     \
        else *(T*)expected = current;                                                             \
        irq_restore(m);                                                                           \
        return equal;                                                                             \
    }                                                                                             \
    ASYNCIO_FETCH_OP(N, T, add, +)                                                                \
    ASYNCIO_FETCH_OP(N, T, sub, -)                                                                \
    ASYNCIO_FETCH_OP(N, T, and, &)                                                                \
    ASYNCIO_FETCH_OP(N, T, or, |)                                                                 \
    ASYNCIO_FETCH_OP(N, T, xor, ^)

#define ASYNCIO_FETCH_OP(N, T, NAME, OP)                                                          \
    T asyncio_atomic_fetch_##NAME##_##N(volatile void* p, T v, int order) __asm__("__atomic_fetch_" #NAME "_" #N); \
    T asyncio_atomic_fetch_##NAME##_##N(volatile void* p, T v, int order) {                      \
        (void)order;                                                                              \
        uint32_t m = irq_save();                                                                  \
        T old = *(volatile T*)p;                                                                  \
        *(volatile T*)p = (T)(old OP v);                                                          \
        irq_restore(m);                                                                           \
        return old;                                                                               \
    }                                                                                             \
    T asyncio_atomic_##NAME##_fetch_##N(volatile void* p, T v, int order) __asm__("__atomic_" #NAME "_fetch_" #N); \
    T asyncio_atomic_##NAME##_fetch_##N(volatile void* p, T v, int order) {                      \
        (void)order;                                                                              \
        uint32_t m = irq_save();                                                                  \
        T now = (T)(*(volatile T*)p OP v);                                                        \
        *(volatile T*)p = now;                                                                    \
        irq_restore(m);                                                                           \
        return now;                                                                               \
    }

ASYNCIO_ATOMICS(1, uint8_t)
ASYNCIO_ATOMICS(2, uint16_t)
ASYNCIO_ATOMICS(4, uint32_t)

#endif
