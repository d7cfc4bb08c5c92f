#pragma once
// Arm semihosting: the debugger (here QEMU, `-semihosting-config enable=on,target=native`)
// carries out a few system calls for the target. Used for the test programs' output and exit
// code; newlib's --specs=rdimon.specs routes stdio through the same calls.

namespace asyncio::port {

/// Writes a NUL-terminated string to the host's console (SYS_WRITE0). Needs no heap and no stdio:
/// safe from a fault handler.
void semihost_write(const char* text) noexcept;

/// Ends the emulation with `code` as QEMU's exit status (SYS_EXIT_EXTENDED).
[[noreturn]] void semihost_exit(int code) noexcept;

}  // namespace asyncio::port
