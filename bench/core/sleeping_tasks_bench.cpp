// 1,000,000 tasks sleeping at once: created, all asleep at the same time, then all woken in
// deadline order. Measures the peak RSS of the process, the bytes per sleeping task, how long
// creating them took and how long waking them all took.
//
//   build-core/bench/sleeping_tasks_bench
//
// Its own program, so that the peak RSS is this benchmark's. Each task sleeps until 3 s after the
// start plus a distinct, shuffled offset of up to 1 ms (so the timer heap really sorts, and every
// task is asleep before the first is due), then checks it woke after every earlier deadline.
#include <asyncio/core/event.hpp>
#include <asyncio/core/frame_allocator.hpp>
#include <asyncio/core/sleep.hpp>
#include <asyncio/core/task.hpp>

#include <benchmark/benchmark.h>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

namespace {

constexpr std::size_t kTasks = 1'000'000;

struct Run {
    std::size_t remaining = 0;
    std::size_t order_violations = 0;  ///< a task woken after one with a later deadline
    asyncio::TimePoint last_deadline{};
    asyncio::TimePoint first_wake{};
    asyncio::TimePoint last_wake{};
    asyncio::Event all_woken;
};
Run* g_run = nullptr;

asyncio::Task<> sleeper(asyncio::TimePoint deadline) {
    co_await asyncio::sleep_until(deadline);
    Run& run = *g_run;
    if (run.remaining == kTasks) run.first_wake = asyncio::get_event_loop().time();
    if (deadline < run.last_deadline) ++run.order_violations;
    run.last_deadline = deadline;
    if (--run.remaining == 0) {
        run.last_wake = asyncio::get_event_loop().time();
        run.all_woken.set();
    }
}

long peak_rss_kib() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
}

asyncio::Task<> million(benchmark::State& state) {
    std::vector<std::uint32_t> offsets(kTasks);
    std::iota(offsets.begin(), offsets.end(), 0U);
    std::shuffle(offsets.begin(), offsets.end(), std::mt19937(42));

    for (auto _ : state) {
        Run run;
        run.remaining = kTasks;
        g_run = &run;
        const asyncio::FrameStats frames_before = asyncio::frame_stats();
        const auto create_start = std::chrono::steady_clock::now();
        const asyncio::TimePoint base = asyncio::get_event_loop().time() + std::chrono::seconds(3);
        for (std::size_t i = 0; i < kTasks; ++i) {
            asyncio::create_task(sleeper(base + std::chrono::nanoseconds(offsets[i])));
        }
        co_await asyncio::sleep(0);  // every task has run its first step: all are asleep now
        const auto created = std::chrono::steady_clock::now();
        const asyncio::FrameStats frames_asleep = asyncio::frame_stats();
        co_await run.all_woken.wait();

        state.counters["create_s"] = std::chrono::duration<double>(created - create_start).count();
        state.counters["wake_all_s"] = std::chrono::duration<double>(run.last_wake - run.first_wake).count();
        state.counters["order_violations"] = static_cast<double>(run.order_violations);
        state.counters["frame_bytes_per_task"] =
            static_cast<double>(frames_asleep.live_bytes - frames_before.live_bytes) / static_cast<double>(kTasks);
        co_await asyncio::sleep(0);  // the last sleeper finishes
    }
    state.counters["peak_rss_mib"] = static_cast<double>(peak_rss_kib()) / 1024.0;
    state.counters["tasks"] = static_cast<double>(kTasks);
}

void BM_MillionSleepingTasks(benchmark::State& state) {
    asyncio::EventLoop loop;
    loop.set_stall_threshold(asyncio::Duration::zero());  // creating a million tasks is one long step
    loop.run_until_complete(million(state));
}
BENCHMARK(BM_MillionSleepingTasks)->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
