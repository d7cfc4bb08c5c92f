// C++ runtime pieces for a single-threaded bare-metal program, in both profiles.
//
// thread_local destructors: libstdc++'s __cxa_thread_atexit keeps a per-thread list (and, built
// with exceptions, drags in the unwinder). There is one thread here and it ends only at exit(),
// so a thread_local's destructor is simply registered to run at exit, like a static's.

#include <cstddef>

extern "C" int __cxa_atexit(void (*destructor)(void*), void* object, void* dso_handle);

extern "C" int __cxa_thread_atexit(void (*destructor)(void*), void* object, void* dso_handle) {
    return __cxa_atexit(destructor, object, dso_handle);
}

// assert() of the C library (newlib's own code asserts, in dtoa for one): newlib's version prints
// with fiprintf, which links a whole stdio printf. This one writes to the console and stops.
#include "semihosting.hpp"

extern "C" [[noreturn]] void __assert_func(const char* file, int line, const char* /*function*/, const char* expression) {
    char number[12];
    char* end = number + sizeof number;
    *--end = '\0';
    unsigned value = line > 0 ? static_cast<unsigned>(line) : 0U;
    do *--end = static_cast<char>('0' + value % 10);
    while ((value /= 10) != 0);
    asyncio::port::semihost_write("\n*** assertion failed: ");
    asyncio::port::semihost_write(expression != nullptr ? expression : "?");
    asyncio::port::semihost_write(" at ");
    asyncio::port::semihost_write(file != nullptr ? file : "?");
    asyncio::port::semihost_write(":");
    asyncio::port::semihost_write(end);
    asyncio::port::semihost_write("\n");
    asyncio::port::semihost_exit(134);
}
