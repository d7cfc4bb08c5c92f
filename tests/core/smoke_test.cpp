#include <asyncio/core/condition.hpp>
#include <asyncio/core/event.hpp>
#include <asyncio/core/gather.hpp>
#include <asyncio/core/lock.hpp>
#include <asyncio/core/queue.hpp>
#include <asyncio/core/semaphore.hpp>
#include <asyncio/core/sleep.hpp>
#include <asyncio/core/task_group.hpp>
#include <asyncio/core/thread_safe_flag.hpp>
#include <asyncio/core/timeout.hpp>
#include <gtest/gtest.h>
using namespace std::chrono_literals;
namespace {
asyncio::Task<int> slow(int v, std::chrono::milliseconds d) { co_await asyncio::sleep(d); co_return v; }
asyncio::Task<> boom() { co_await asyncio::sleep(1ms); throw std::runtime_error("boom"); }
asyncio::Task<std::string> smoke() {
    auto [a, b] = co_await asyncio::gather(slow(1, 5ms), slow(2, 1ms));
    EXPECT_EQ(a + b, 3);
    bool timed_out = false;
    try { co_await asyncio::wait_for(slow(3, 50ms), 5ms); } catch (const asyncio::TimeoutError&) { timed_out = true; }
    EXPECT_TRUE(timed_out);
    EXPECT_EQ(co_await asyncio::wait_for(slow(4, 1ms), 50ms), 4);
    asyncio::Queue<int> q(1);
    co_await q.put(5);
    EXPECT_EQ(co_await q.get(), 5);
    asyncio::TaskGroup g;
    g.create_task(slow(1, 1ms));
    g.create_task(boom());
    bool failed = false;
    try { co_await g.wait(); } catch (const std::runtime_error&) { failed = true; }
    EXPECT_TRUE(failed);
    asyncio::Lock lock; { auto guard = co_await lock.scoped_acquire(); EXPECT_TRUE(lock.locked()); }
    EXPECT_FALSE(lock.locked());
    co_return "ok";
}
}
TEST(Smoke, Everything) { EXPECT_EQ(asyncio::run(smoke()), "ok"); }
