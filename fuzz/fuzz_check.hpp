#pragma once
// A check that stays on in every build type: a fuzzer must crash on a broken invariant, so
// libFuzzer saves the input.

#include <cstdio>

#define FUZZ_CHECK(condition)                                                           \
    do {                                                                                \
        if (!(condition)) {                                                             \
            std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #condition); \
            __builtin_trap();                                                           \
        }                                                                               \
    } while (0)
