#pragma once
// The test harness of the programs that run on the boards, where GoogleTest does not: the core
// tests with exceptions (core_test_main.cpp) and without (tests/core/noexceptions, which the
// host runs too). CHECK records a failure and goes on; run_test() runs one test and reports it.
#include <asyncio/core/frame_allocator.hpp>
#include <asyncio/core/task.hpp>

#include <cstddef>
#include <cstdio>

/// Failed CHECKs of the test running now.
inline int g_check_failures = 0;

#define CHECK(condition)                                                                   \
    do {                                                                                   \
        if (!(condition)) {                                                                \
            ++g_check_failures;                                                            \
            std::printf("    CHECK failed: %s  (%s:%d)\n", #condition, __FILE__, __LINE__); \
        }                                                                                  \
    } while (0)

struct TestCase {
    const char* name;
    asyncio::Task<> (*body)();
    asyncio::FrameAllocator* allocator = nullptr;  ///< frames from here while it runs (nullptr: the heap)
};

/// Runs `test` through `run_on_loop(test)` (which runs test.body() to its end on a loop) with the
/// test's frame allocator, counts every coroutine frame it leaves behind as a failure, and prints
/// "[  OK  ] name" or "[ FAIL ] name". True when it passed.
template <class RunOnLoop>
bool run_test(const TestCase& test, RunOnLoop&& run_on_loop) {
    g_check_failures = 0;
    const std::size_t frames_before = asyncio::frame_stats().live_frames;
    asyncio::set_frame_allocator(test.allocator);
    run_on_loop(test);
    asyncio::set_frame_allocator(nullptr);
    if (asyncio::frame_stats().live_frames != frames_before) {
        ++g_check_failures;
        std::printf("    %u coroutine frames leaked\n", static_cast<unsigned>(asyncio::frame_stats().live_frames - frames_before));
    }
    std::printf(g_check_failures == 0 ? "[  OK  ] %s\n" : "[ FAIL ] %s\n", test.name);
    return g_check_failures == 0;
}
