#include <asyncio/core/task.hpp>
#include <asyncio/core/sleep.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

asyncio::Task<int> answer() { co_return 42; }

asyncio::Task<int> add_after_sleep(int a, int b) {
    co_await asyncio::sleep(1ms);
    co_return a + b;
}

TEST(Task, RunReturnsTheResult) { EXPECT_EQ(asyncio::run(answer()), 42); }

TEST(Task, AwaitingRunsInlineAndYieldsResult) {
    auto main = []() -> asyncio::Task<int> { co_return co_await add_after_sleep(2, 3) * 10; };
    EXPECT_EQ(asyncio::run(main()), 50);
}

asyncio::Task<> fail_after(int depth) {
    if (depth == 0) throw std::runtime_error("deep failure");
    co_await fail_after(depth - 1);
}

TEST(Task, ExceptionPropagatesThroughSeveralLevels) {
    EXPECT_THROW(asyncio::run(fail_after(5)), std::runtime_error);
}

asyncio::Task<> record(std::vector<std::string>& trace, std::string name, int steps) {
    for (int i = 0; i < steps; ++i) {
        trace.push_back(name + std::to_string(i));
        co_await asyncio::sleep(0);
    }
}

TEST(Task, ReadyTasksRunInFifoOrder) {
    std::vector<std::string> trace;
    auto main = [](std::vector<std::string>& trace) -> asyncio::Task<> {
        auto a = asyncio::create_task(record(trace, "a", 3));
        auto b = asyncio::create_task(record(trace, "b", 3));
        co_await a;
        co_await b;
    };
    asyncio::run(main(trace));
    EXPECT_EQ(trace, (std::vector<std::string>{"a0", "b0", "a1", "b1", "a2", "b2"}));
}

}  // namespace
