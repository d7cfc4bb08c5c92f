// The -fno-exceptions profile's C++ runtime. libstdc++.a is built with exceptions: its operator
// new throws std::bad_alloc and its containers call std::__throw_*() helpers, which would link the
// unwinder, the personality routine and every standard exception class into a program that can
// never catch them. Here they call asyncio::fatal_error() instead (its handler, by default a
// message and abort), which is what an uncaught exception would do; this is the profile's
// defined meaning for them (docs/EMBEDDED.md):
//
//   - heap exhaustion in operator new (std::function, std::vector, std::string growth): fatal;
//   - a container's logic error (vector::at out of range, bad std::function call...): fatal;
//   - coroutine frames do not come through operator new: a coroutine whose frame finds no
//     memory returns an empty Task instead (include/asyncio/core/config.hpp).
//
// Replacing the global operator new/delete is allowed by the standard ([replacement.functions]);
// the std::__throw_* helpers are libstdc++'s documented hook for -fno-exceptions builds.

#include <asyncio/core/fatal_error.hpp>

#include <cstdlib>
#include <new>

/// A program may define this to learn that the heap ran out (operator new) before the profile
/// stops; capacity_noexc does, to report how far it got.
extern "C" void asyncio_port_out_of_memory() __attribute__((weak));

namespace {
[[noreturn]] void fatal(const char* what) noexcept { asyncio::fatal_error(what); }

void* allocate(std::size_t size) noexcept {
    void* p = std::malloc(size == 0 ? 1 : size);
    if (p == nullptr) {
        if (asyncio_port_out_of_memory != nullptr) asyncio_port_out_of_memory();
        fatal("out of heap memory (operator new)");
    }
    return p;
}
}  // namespace

void* operator new(std::size_t size) { return allocate(size); }
void* operator new[](std::size_t size) { return allocate(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return std::malloc(size == 0 ? 1 : size); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept { return std::malloc(size == 0 ? 1 : size); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace std {
[[noreturn]] void __throw_bad_alloc() { fatal("std::bad_alloc"); }
[[noreturn]] void __throw_bad_array_new_length() { fatal("std::bad_array_new_length"); }
[[noreturn]] void __throw_bad_function_call() { fatal("std::bad_function_call"); }
[[noreturn]] void __throw_bad_optional_access() { fatal("std::bad_optional_access"); }
[[noreturn]] void __throw_bad_variant_access(const char* what) { fatal(what); }
[[noreturn]] void __throw_length_error(const char* what) { fatal(what); }
[[noreturn]] void __throw_logic_error(const char* what) { fatal(what); }
[[noreturn]] void __throw_out_of_range(const char* what) { fatal(what); }
[[noreturn]] void __throw_out_of_range_fmt(const char* what, ...) { fatal(what); }
[[noreturn]] void __throw_invalid_argument(const char* what) { fatal(what); }
[[noreturn]] void __throw_system_error(int) { fatal("std::system_error"); }
}  // namespace std
