#include "semihosting.hpp"

#include <asyncio/core/platform.hpp>

namespace asyncio::port {

namespace {
constexpr int kSysWrite0 = 0x04;
constexpr int kSysExit = 0x18;
constexpr int kSysExitExtended = 0x20;
constexpr int kAdpStoppedApplicationExit = 0x20026;

int semihost_call(int operation, const void* argument) noexcept {
    register int r0 asm("r0") = operation;
    register const void* r1 asm("r1") = argument;
    asm volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}
}  // namespace

void semihost_write(const char* text) noexcept { semihost_call(kSysWrite0, text); }

void semihost_exit(int code) noexcept {
    const int block[2] = {kAdpStoppedApplicationExit, code};
    semihost_call(kSysExitExtended, block);
    // A debugger without the extended call: the plain one (exit status 0 or 1 only).
    semihost_call(kSysExit, reinterpret_cast<const void*>(code == 0 ? kAdpStoppedApplicationExit : 0x20023));
    for (;;) asm volatile("wfi");
}

}  // namespace asyncio::port

// Where the core's diagnostics go on this port (asyncio::platform_report, platform.hpp): the
// semihosting console, without stdio.

void asyncio::platform_report(const char* message) noexcept {
    port::semihost_write("asyncio: ");
    port::semihost_write(message);
    port::semihost_write("\n");
}
