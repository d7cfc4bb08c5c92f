// Start-up code shared by every Cortex-M board: the reset handler, fault reporting, the bounded
// heap behind malloc, and the thread pointer behind `thread_local`. The vector table is the
// board's (boards/<board>/vectors.cpp).
//
// Reset: copy .data/.tdata from flash, zero .tbss/.bss, paint the stack (to measure its
// high-water mark), turn the FPU on where there is one, open the semihosting console, run the
// static constructors, run main(), exit through semihosting with main's return value.

#include "board.hpp"

#include "../../port/semihosting.hpp"

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>

extern "C" {
// From the linker script (boards/common/cortex-m.ld).
extern std::uint32_t __data_start[], __data_end[], __data_load[];
extern std::uint32_t __bss_start[], __bss_end[];
extern char __heap_start[], __heap_end[];
extern std::uint32_t __stack_limit[], __stack_top[];
extern char __arm_thread_pointer[];
extern char __ram_size[];

void __libc_init_array();
// newlib rdimon: stdin/stdout/stderr over semihosting. Weak: a program that uses no stdio (blink)
// does not link it, and then needs no set-up.
void initialise_monitor_handles() __attribute__((weak));
int main();

[[noreturn]] void Reset_Handler();
void Default_Handler();
void HardFault_Handler();
void* _sbrk(std::ptrdiff_t increment);
void* __aeabi_read_tp();
}

namespace {
constexpr std::uint32_t kStackPaint = 0x5A5A5A5Au;

void write_hex(const char* label, std::uint32_t value) noexcept {
    char text[32];
    std::size_t n = 0;
    while (*label != '\0' && n < 16) text[n++] = *label++;
    text[n++] = '0';
    text[n++] = 'x';
    for (int shift = 28; shift >= 0; shift -= 4) text[n++] = "0123456789abcdef"[(value >> shift) & 0xF];
    text[n++] = '\n';
    text[n] = '\0';
    asyncio::port::semihost_write(text);
}
}  // namespace

[[noreturn]] void Reset_Handler() {
    for (std::uint32_t *src = __data_load, *dst = __data_start; dst < __data_end;) *dst++ = *src++;
    for (std::uint32_t* dst = __bss_start; dst < __bss_end;) *dst++ = 0;

    // Paint the unused stack so that stack_high_water() can tell how deep it ever went.
    std::uint32_t* sp;
    asm volatile("mov %0, sp" : "=r"(sp));
    for (std::uint32_t* p = __stack_limit; p < sp - 16; ++p) *p = kStackPaint;

#if defined(__ARM_FP)
    // CP10 and CP11 full access, before any floating-point instruction runs.
    volatile std::uint32_t& cpacr = *reinterpret_cast<volatile std::uint32_t*>(0xE000ED88);
    cpacr = cpacr | (0xFu << 20);
    asm volatile("dsb\n isb" ::: "memory");
#endif

    if (initialise_monitor_handles != nullptr) initialise_monitor_handles();
    __libc_init_array();
    const int status = main();
    std::exit(status);  // runs atexit handlers and flushes stdio; newlib's _exit is ours, below
}

// What crti.o/crtbegin.o would bring (we link -nostartfiles: the reset handler is our crt0). The
// static constructors run from .init_array, so _init/_fini have nothing left to do.
extern "C" {
void* __dso_handle = &__dso_handle;
void _init() {}
void _fini() {}
}

// newlib's abort() raises SIGABRT through these two system calls; a bare-metal program has one
// process, and a signal that reaches it ends the emulation with status 128 + signal, as a shell
// reports it. (Defined here, rdimon's stdio-laden versions stay out of programs without stdio.)
extern "C" int _getpid() { return 1; }
extern "C" int _kill(int, int signal) {
    asyncio::port::semihost_write("\n*** killed by a signal (abort?)\n");
    asyncio::port::semihost_exit(128 + signal);
}

// newlib's exit() ends here: report main's status through semihosting.
extern "C" [[noreturn]] void _exit(int status) { asyncio::port::semihost_exit(status); }

void Default_Handler() {
    std::uint32_t ipsr;
    asm volatile("mrs %0, ipsr" : "=r"(ipsr));
    write_hex("\n*** unexpected interrupt, IPSR=", ipsr);
    asyncio::port::semihost_exit(100);
}

extern "C" void hard_fault_report(const std::uint32_t* frame) {
    asyncio::port::semihost_write("\n*** HardFault\n");
    write_hex("  pc=", frame[6]);
    write_hex("  lr=", frame[5]);
    write_hex("  sp=", reinterpret_cast<std::uint32_t>(frame));
    asyncio::port::semihost_exit(101);
}

__attribute__((naked)) void HardFault_Handler() {
    // Hand the stacked exception frame (MSP or PSP, per EXC_RETURN bit 2) to the reporter.
    asm volatile(
        "movs r0, #4\n"
        "mov r1, lr\n"
        "tst r0, r1\n"
        "beq 1f\n"
        "mrs r0, psp\n"
        "b hard_fault_report\n"
        "1:\n"
        "mrs r0, msp\n"
        "b hard_fault_report\n");
}

// malloc's memory: between the end of .bss and the bottom of the stack, never beyond.
void* _sbrk(std::ptrdiff_t increment) {
    static char* brk = __heap_start;
    if (increment > __heap_end - brk || increment < __heap_start - brk) {
        errno = ENOMEM;
        return reinterpret_cast<void*>(-1);
    }
    char* previous = brk;
    brk += increment;
    return previous;
}

// `thread_local` on Arm without an OS: GCC asks __aeabi_read_tp for the thread pointer. There is
// one thread, whose TLS block is .tdata/.tbss in RAM (the core keeps its running-loop pointer
// there). Per the Arm EABI this function may change r0 only.
__attribute__((naked)) void* __aeabi_read_tp() {
    asm volatile(
        "ldr r0, =__arm_thread_pointer\n"
        "bx lr\n"
        ".ltorg\n");
}

namespace board {

std::size_t stack_size() noexcept {
    return static_cast<std::size_t>(reinterpret_cast<char*>(__stack_top) - reinterpret_cast<char*>(__stack_limit));
}

std::size_t stack_high_water() noexcept {
    const std::uint32_t* p = __stack_limit;
    while (p < __stack_top && *p == kStackPaint) ++p;
    return static_cast<std::size_t>(reinterpret_cast<const char*>(__stack_top) - reinterpret_cast<const char*>(p));
}

std::size_t ram_size() noexcept { return reinterpret_cast<std::size_t>(__ram_size); }

std::size_t static_ram_size() noexcept {
    return static_cast<std::size_t>(reinterpret_cast<char*>(__bss_end) - reinterpret_cast<char*>(__data_start));
}

std::size_t heap_size() noexcept { return static_cast<std::size_t>(__heap_end - __heap_start); }

}  // namespace board
