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
