// Counts the calls to malloc/free (linked with -Wl,--wrap=malloc,--wrap=free), so the tests can
// prove that a program running on a frame pool allocates nothing once it has started.

#include "malloc_counter.hpp"

#include <cstddef>

extern "C" {
void* __real_malloc(std::size_t size);
void __real_free(void* pointer);

void* __wrap_malloc(std::size_t size) {
    malloc_counter::g_mallocs = malloc_counter::g_mallocs + 1;
    return __real_malloc(size);
}

void __wrap_free(void* pointer) {
    if (pointer != nullptr) malloc_counter::g_frees = malloc_counter::g_frees + 1;
    __real_free(pointer);
}
}

namespace malloc_counter {
volatile unsigned g_mallocs = 0;
volatile unsigned g_frees = 0;
}  // namespace malloc_counter
