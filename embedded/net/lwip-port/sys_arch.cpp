// The few functions lwIP needs from a NO_SYS port: sys_now() (its timers), the random source and
// the assertion handler named in arch/cc.h.

#include "lwip/arch.h"
#include "lwip/sys.h"

#include "semihosting.hpp"
#include "tick_platform.hpp"

namespace {
std::uint32_t g_random_state = 0;

void write_decimal(unsigned value) noexcept {
    char text[12];
    char* p = text + sizeof text;
    *--p = '\0';
    do {
        *--p = static_cast<char>('0' + value % 10);
        value /= 10;
    } while (value != 0);
    asyncio::port::semihost_write(p);
}
}  // namespace

/// Milliseconds on the port's tick counter (1 kHz, started by the first TickPlatform or by
/// board_net::start()); wraps after 49 days, which lwIP's timer arithmetic allows.
extern "C" u32_t sys_now(void) {
    static_assert(asyncio::port::kTickHz == 1000, "sys_now() counts ticks as milliseconds");
    return static_cast<u32_t>(asyncio::port::idle_stats().ticks);
}

extern "C" uint32_t lwip_port_rand(void) {
    std::uint32_t x = g_random_state;
    if (x == 0) {
        // First call: seed from the clock's cycle counter and tick count; board_net::start()
        // mixes in the MAC address before lwIP asks (lwip_port_seed below).
        x = 0x9E3779B9u ^ (*reinterpret_cast<volatile std::uint32_t*>(0xE000E018) << 8) ^ sys_now();
    }
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    g_random_state = x;
    return x;
}

/// Mixes `entropy` into the random state (board_net::start() passes the MAC address).
extern "C" void lwip_port_seed(uint32_t entropy) {
    g_random_state = (g_random_state ^ entropy ^ 0x9E3779B9u) * 2654435761u;
    if (g_random_state == 0) g_random_state = 1;
}

extern "C" void lwip_port_assert(const char* message, int line, const char* file) {
    asyncio::port::semihost_write("\n*** lwIP assertion failed: ");
    asyncio::port::semihost_write(message);
    asyncio::port::semihost_write(" (");
    asyncio::port::semihost_write(file);
    asyncio::port::semihost_write(":");
    write_decimal(static_cast<unsigned>(line));
    asyncio::port::semihost_write(")\n");
    asyncio::port::semihost_exit(102);
}
