// Task switching and task creation: the costs every asyncio program pays on each await.
//
//   build-core/bench/task_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
// Each benchmark runs its whole timed loop inside one task on a real event loop (the epoll
// platform, as asyncio::run() uses), so what is measured is what an application gets.
#include <asyncio/core/event.hpp>
#include <asyncio/core/frame_allocator.hpp>
#include <asyncio/core/sleep.hpp>
#include <asyncio/core/task.hpp>
#include <asyncio/core/virtual_clock.hpp>

#include <benchmark/benchmark.h>

#include <malloc.h>

#include <memory>
#include <vector>

namespace {

/// asyncio::run(), without the stall report: a timed loop that never awaits (InlineAwait, an
/// unbounded queue) is one long step on purpose.
void run_on_loop(asyncio::Task<> main) {
    asyncio::EventLoop loop;
    loop.set_stall_threshold(asyncio::Duration::zero());
    loop.run_until_complete(std::move(main));
}

// --- sleep(0): one task yields, the loop takes the next ready one (here: itself) ---

asyncio::Task<> yield_loop(benchmark::State& state) {
    for (auto _ : state) co_await asyncio::sleep(0);
}

void BM_SleepZeroSwitch(benchmark::State& state) {
    run_on_loop(yield_loop(state));
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SleepZeroSwitch);

// --- sleep(0) between two tasks: every iteration is two task switches ---

asyncio::Task<> yield_until(const bool* stop) {
    while (!*stop) co_await asyncio::sleep(0);
}

asyncio::Task<> ping_pong(benchmark::State& state) {
    bool stop = false;
    auto other = asyncio::create_task(yield_until(&stop));
    for (auto _ : state) co_await asyncio::sleep(0);
    stop = true;
    co_await other;
}

void BM_SleepZeroTwoTasks(benchmark::State& state) {
    run_on_loop(ping_pong(state));
    state.SetItemsProcessed(2 * state.iterations());  // items/s = task switches per second
}
BENCHMARK(BM_SleepZeroTwoTasks);

// --- the same single-task yield on the virtual clock: the loop without the OS clock ---

void BM_SleepZeroSwitchVirtualClock(benchmark::State& state) {
    asyncio::EventLoop loop(std::make_unique<asyncio::VirtualClock>());
    loop.run_until_complete(yield_loop(state));
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SleepZeroSwitchVirtualClock);

// --- create_task + join of a task that returns at once ---

asyncio::Task<int> trivial(int value) { co_return value; }

asyncio::Task<> create_and_join(benchmark::State& state) {
    int sum = 0;
    for (auto _ : state) sum += co_await asyncio::create_task(trivial(1));
    benchmark::DoNotOptimize(sum);
}

void BM_CreateTaskJoin(benchmark::State& state) {
    run_on_loop(create_and_join(state));
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CreateTaskJoin);

// --- awaiting a coroutine inline (no task): what `co_await helper()` costs ---

asyncio::Task<> await_inline(benchmark::State& state) {
    int sum = 0;
    for (auto _ : state) sum += co_await trivial(1);
    benchmark::DoNotOptimize(sum);
}

void BM_InlineAwait(benchmark::State& state) {
    run_on_loop(await_inline(state));
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_InlineAwait);

// --- Event set -> the waiting task wakes: two tasks, each iteration one set and one wake each way ---

asyncio::Task<> echo(asyncio::Event* ping, asyncio::Event* pong, const bool* stop) {
    for (;;) {
        co_await ping->wait();
        ping->clear();
        if (*stop) co_return;
        pong->set();
    }
}

asyncio::Task<> set_and_wake(benchmark::State& state) {
    asyncio::Event ping;
    asyncio::Event pong;
    bool stop = false;
    auto other = asyncio::create_task(echo(&ping, &pong, &stop));
    for (auto _ : state) {
        ping.set();
        co_await pong.wait();
        pong.clear();
    }
    stop = true;
    ping.set();
    co_await other;
}

void BM_EventSetWake(benchmark::State& state) {
    run_on_loop(set_and_wake(state));
    state.SetItemsProcessed(2 * state.iterations());  // items/s = set->wake hand-offs per second
}
BENCHMARK(BM_EventSetWake);

// --- memory: bytes per task suspended in a sleep ---

asyncio::Task<> sleeper() { co_await asyncio::sleep(std::chrono::hours(1)); }

asyncio::Task<> measure_suspended(benchmark::State& state, std::size_t count) {
    for (auto _ : state) {
        std::vector<asyncio::Task<>> tasks;
        tasks.reserve(count);
        const asyncio::FrameStats before = asyncio::frame_stats();
        const std::size_t heap_before = mallinfo2().uordblks;
        for (std::size_t i = 0; i < count; ++i) tasks.push_back(asyncio::create_task(sleeper()));
        co_await asyncio::sleep(0);  // every one has run its first step and sleeps now
        const asyncio::FrameStats during = asyncio::frame_stats();
        const std::size_t heap_during = mallinfo2().uordblks;
        state.counters["frame_bytes_per_task"] =
            static_cast<double>(during.live_bytes - before.live_bytes) / static_cast<double>(count);
        // Everything malloc'd meanwhile: frames with malloc's overhead, the timer heap's slots.
        state.counters["heap_bytes_per_task"] =
            static_cast<double>(heap_during - heap_before) / static_cast<double>(count);
        for (auto& task : tasks) task.cancel();
        for (auto& task : tasks) {
            try {
                co_await task;
            } catch (const asyncio::CancelledError&) {
            }
        }
    }
}

void BM_BytesPerSuspendedTask(benchmark::State& state) {
    run_on_loop(measure_suspended(state, 10'000));
}
BENCHMARK(BM_BytesPerSuspendedTask)->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
