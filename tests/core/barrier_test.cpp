#include <asyncio/core/barrier.hpp>

#include <asyncio/core/sleep.hpp>
#include <asyncio/core/task.hpp>

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "core/test_support.hpp"

using asyncio_test::run_virtual;
using asyncio_test::Trace;

namespace {

asyncio::Task<> meet(asyncio::Barrier* barrier, Trace* trace, std::string name) {
    trace->push_back(name + " arrives");
    const std::size_t index = co_await barrier->wait();
    trace->push_back(name + " passes as " + std::to_string(index));
}

// CPython reference:
//   async def meet(barrier, name):
//       T(f"{name} arrives"); i = await barrier.wait(); T(f"{name} passes as {i}")
//   async def main():
//       barrier = asyncio.Barrier(3)
//       ts = [asyncio.create_task(meet(barrier, n)) for n in "abc"]
//       await asyncio.sleep(0); T(barrier.n_waiting)      # 2: c passed already
//       for t in ts: await t
asyncio::Task<> three_meet(Trace* trace) {
    asyncio::Barrier barrier(3);
    auto a = asyncio::create_task(meet(&barrier, trace, "a"));
    auto b = asyncio::create_task(meet(&barrier, trace, "b"));
    auto c = asyncio::create_task(meet(&barrier, trace, "c"));
    co_await asyncio::sleep(0);
    trace->push_back("state " + std::string(barrier.state() == asyncio::Barrier::State::draining ? "draining" : "other"));
    co_await a;
    co_await b;
    co_await c;
    trace->push_back("waiting " + std::to_string(barrier.n_waiting()));
}

TEST(Barrier, TheLastArrivalReleasesTheOthersWhichLeaveInArrivalOrderAsInCPython) {
    Trace trace;
    run_virtual(three_meet(&trace));
    EXPECT_EQ(trace, (Trace{"a arrives", "b arrives", "c arrives", "c passes as 2", "state draining", "a passes as 0",
                            "b passes as 1", "waiting 0"}));
}

asyncio::Task<std::string> broken_without_exception() {
    asyncio::Barrier barrier(2);
    auto waiting = asyncio::create_task(barrier.wait_or_broken());
    co_await asyncio::sleep(0);
    co_await barrier.abort();
    const std::optional<std::size_t> index = co_await waiting;
    std::string seen = index ? "passed" : "broken";
    try {
        co_await barrier.wait();
        seen += ", passed";
    } catch (const asyncio::BrokenBarrierError&) {
        seen += ", BrokenBarrierError";
    }
    co_return seen;
}

TEST(Barrier, WaitOrBrokenGivesAnEmptyOptionalWhereWaitThrows) {
    EXPECT_EQ(run_virtual(broken_without_exception()), "broken, BrokenBarrierError");
}

}  // namespace
