#include <asyncio/core/event.hpp>

#include <asyncio/core/sleep.hpp>
#include <asyncio/core/task.hpp>
#include <asyncio/core/timeout.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "core/test_support.hpp"

using namespace std::chrono_literals;
using asyncio_test::run_virtual;
using asyncio_test::Trace;

namespace {

asyncio::Task<> worker(Trace* trace, std::string name, int steps) {
    for (int i = 0; i < steps; ++i) {
        trace->push_back(name + std::to_string(i));
        co_await asyncio::sleep(0);
    }
}

asyncio::Task<> waiter(asyncio::Event* event, Trace* trace, std::string name) {
    trace->push_back(name + " waits");
    try {
        co_await event->wait();
    } catch (const asyncio::CancelledError&) {
        trace->push_back(name + " cancelled");
        throw;
    }
    trace->push_back(name + " woken");
}

// CPython reference:
//   async def ev_waiter(ev, name): T(f"{name} waits"); await ev.wait(); T(f"{name} woken")
//   async def main():
//       ev = asyncio.Event()
//       ts = [asyncio.create_task(ev_waiter(ev, n)) for n in "xyz"]
//       other = asyncio.create_task(worker("o", 3))
//       await asyncio.sleep(0); T("set"); ev.set(); T("after set")
//       await asyncio.sleep(0); T("main")
//       for t in ts: await t
//       await other
asyncio::Task<> set_wakes_all(Trace* trace) {
    asyncio::Event event;
    auto x = asyncio::create_task(waiter(&event, trace, "x"));
    auto y = asyncio::create_task(waiter(&event, trace, "y"));
    auto z = asyncio::create_task(waiter(&event, trace, "z"));
    auto other = asyncio::create_task(worker(trace, "o", 3));
    co_await asyncio::sleep(0);
    trace->push_back("set");
    event.set();
    trace->push_back("after set");
    co_await asyncio::sleep(0);
    trace->push_back("main");
    co_await x;
    co_await y;
    co_await z;
    co_await other;
}

TEST(Event, SetWakesEveryWaiterInTheOrderTheyCameAsInCPython) {
    Trace trace;
    run_virtual(set_wakes_all(&trace));
    EXPECT_EQ(trace, (Trace{"x waits", "y waits", "z waits", "o0", "set", "after set", "o1", "x woken", "y woken",
                            "z woken", "main", "o2"}));
}

asyncio::Task<std::string> set_and_clear() {
    asyncio::Event event;
    std::string seen = event.is_set() ? "set" : "clear";
    event.set();
    seen += event.is_set() ? " set" : " clear";
    co_await event.wait();  // already set: returns at once, without yielding
    seen += " passed";
    event.clear();
    seen += event.is_set() ? " set" : " clear";
    try {
        co_await asyncio::wait_for(event.wait(), 5ms);  // cleared: waits again
        seen += " passed";
    } catch (const asyncio::TimeoutError&) {
        seen += " waited " + std::to_string(asyncio_test::now() / 1ms) + "ms";
    }
    co_return seen;
}

TEST(Event, WaitPassesWhileSetAndWaitsAgainOnceCleared) {
    EXPECT_EQ(run_virtual(set_and_clear()), "clear set passed clear waited 5ms");
}

asyncio::Task<> cancel_one_waiter(Trace* trace) {
    asyncio::Event event;
    auto a = asyncio::create_task(waiter(&event, trace, "a"));
    auto b = asyncio::create_task(waiter(&event, trace, "b"));
    auto c = asyncio::create_task(waiter(&event, trace, "c"));
    co_await asyncio::sleep(0);
    b.cancel();
    co_await asyncio::sleep(0);
    trace->push_back("set");
    event.set();  // b left the list: only a and c are woken, once each
    co_await a;
    co_await c;
    trace->push_back(b.cancelled() ? "b is cancelled" : "b is not cancelled");
}

TEST(Event, ACancelledWaiterLeavesTheListAndIsNotWoken) {
    Trace trace;
    run_virtual(cancel_one_waiter(&trace));
    EXPECT_EQ(trace, (Trace{"a waits", "b waits", "c waits", "b cancelled", "set", "a woken", "c woken", "b is cancelled"}));
}

asyncio::Task<std::string> wait_for_event_in_time() {
    asyncio::Event event;
    asyncio::get_event_loop().call_later(3ms, [&event] { event.set(); });
    co_await asyncio::wait_for(event.wait(), 10ms);
    co_return "set at " + std::to_string(asyncio_test::now() / 1ms) + "ms";
}

TEST(Event, WaitForOnAnEventReturnsWhenItIsSet) { EXPECT_EQ(run_virtual(wait_for_event_in_time()), "set at 3ms"); }

}  // namespace
