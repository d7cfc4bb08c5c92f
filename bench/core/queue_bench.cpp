// Queue hand-off between a producer and a consumer task.
//
//   build-core/bench/queue_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <asyncio/core/queue.hpp>
#include <asyncio/core/task.hpp>

#include <benchmark/benchmark.h>

namespace {

/// asyncio::run(), without the stall report: a timed loop that never awaits (InlineAwait, an
/// unbounded queue) is one long step on purpose.
void run_on_loop(asyncio::Task<> main) {
    asyncio::EventLoop loop;
    loop.set_stall_threshold(asyncio::Duration::zero());
    loop.run_until_complete(std::move(main));
}

asyncio::Task<> consume(asyncio::Queue<int>* queue, long* sum) {
    for (;;) {
        const int item = co_await queue->get();
        if (item < 0) co_return;
        *sum += item;
    }
}

asyncio::Task<> hand_off(benchmark::State& state, std::size_t maxsize) {
    asyncio::Queue<int> queue(maxsize);
    long sum = 0;
    auto consumer = asyncio::create_task(consume(&queue, &sum));
    for (auto _ : state) co_await queue.put(1);
    co_await queue.put(-1);
    co_await consumer;
    benchmark::DoNotOptimize(sum);
}

/// maxsize 1: the producer waits for the consumer on every item (a switch each way).
void BM_QueueHandOff(benchmark::State& state) {
    run_on_loop(hand_off(state, static_cast<std::size_t>(state.range(0))));
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_QueueHandOff)->Arg(1)->Arg(64)->Arg(0);

}  // namespace

BENCHMARK_MAIN();
