// CPython 3.12's Lib/test/test_asyncio/test_threads.py (ToThreadTests), ported: asyncio::to_thread
// on a real loop, as IsolatedAsyncioTestCase runs each test.
//
// Not ported, as it cannot apply in C++:
//   test_to_thread_contextvars: there are no context variables to copy to the thread.
//   The keyword half of test_to_thread_args_kwargs: C++ has no keyword arguments; the positional
//     arguments are ported (a struct stands in for `something=True`).
#include <asyncio/core/gather.hpp>
#include <asyncio/core/task.hpp>
#include <asyncio/core/to_thread.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <numeric>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

int sum(const std::vector<int>& values) { return std::accumulate(values.begin(), values.end(), 0); }

/// [40, 2] (a function: g++ 12 cannot hold an initializer_list in a coroutine frame).
std::vector<int> forty_and_two() { return {40, 2}; }

asyncio::Task<> test_to_thread_body() {
    const int result = co_await asyncio::to_thread(sum, forty_and_two());
    EXPECT_EQ(result, 42);
}

TEST(CPythonThreads, test_to_thread) { asyncio::run(test_to_thread_body()); }

void raise_runtime() { throw std::runtime_error("test"); }

asyncio::Task<> test_to_thread_exception_body() {
    try {
        co_await asyncio::to_thread(raise_runtime);
        ADD_FAILURE() << "no exception";
    } catch (const std::runtime_error& error) {
        EXPECT_STREQ(error.what(), "test");
    }
}

TEST(CPythonThreads, test_to_thread_exception) { asyncio::run(test_to_thread_exception_body()); }

asyncio::Task<> test_to_thread_once_body(std::atomic<int>& calls) {
    co_await asyncio::to_thread([&calls] { ++calls; });
}

TEST(CPythonThreads, test_to_thread_once) {
    std::atomic<int> calls{0};
    asyncio::run(test_to_thread_once_body(calls));
    EXPECT_EQ(calls.load(), 1);  // func.assert_called_once()
}

asyncio::Task<> test_to_thread_concurrent_body(std::atomic<int>& calls) {
    std::vector<asyncio::Task<>> futs;
    for (int i = 0; i < 10; ++i) futs.push_back(asyncio::to_thread([&calls] { calls += 1; }));
    co_await asyncio::gather(std::move(futs));
}

TEST(CPythonThreads, test_to_thread_concurrent) {
    std::atomic<int> calls{0};
    asyncio::run(test_to_thread_concurrent_body(calls));
    EXPECT_EQ(calls.load(), 10);
}

struct Options {
    bool something = false;
};

asyncio::Task<> test_to_thread_args_kwargs_body(std::string& seen_text, bool& seen_flag, std::thread::id& seen_thread) {
    co_await asyncio::to_thread(
        [&](const std::string& text, Options options) {
            seen_text = text;
            seen_flag = options.something;
            seen_thread = std::this_thread::get_id();
        },
        std::string("test"), Options{true});
}

TEST(CPythonThreads, test_to_thread_args_kwargs) {
    std::string text;
    bool flag = false;
    std::thread::id thread;
    asyncio::run(test_to_thread_args_kwargs_body(text, flag, thread));
    EXPECT_EQ(text, "test");  // func.assert_called_once_with('test', something=True)
    EXPECT_TRUE(flag);
    EXPECT_NE(thread, std::this_thread::get_id());  // and on another thread
}

}  // namespace
