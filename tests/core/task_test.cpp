#include <asyncio/core/task.hpp>

#include <asyncio/core/event.hpp>
#include <asyncio/core/frame_allocator.hpp>
#include <asyncio/core/gather.hpp>
#include <asyncio/core/sleep.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/test_support.hpp"

using namespace std::chrono_literals;
using asyncio_test::CapturedReports;
using asyncio_test::run_virtual;
using asyncio_test::Trace;

namespace {

asyncio::Task<int> answer() { co_return 42; }

asyncio::Task<int> add_after_sleep(int a, int b) {
    co_await asyncio::sleep(1ms);
    co_return a + b;
}

asyncio::Task<int> times_ten_of_sum() { co_return co_await add_after_sleep(2, 3) * 10; }

TEST(Task, RunReturnsTheResult) { EXPECT_EQ(asyncio::run(answer()), 42); }

TEST(Task, AwaitingRunsInlineAndYieldsResult) { EXPECT_EQ(asyncio::run(times_ten_of_sum()), 50); }

TEST(Task, NothingRunsUntilAwaitedOrScheduled) {
    bool ran = false;
    auto body = [](bool* flag) -> asyncio::Task<> {
        *flag = true;
        co_return;
    };
    {
        asyncio::Task<> lazy = body(&ran);
        EXPECT_FALSE(ran);
        EXPECT_FALSE(lazy.done());
        CapturedReports reports;  // destroyed unstarted: reported, see below
        lazy = asyncio::Task<>();
    }
    EXPECT_FALSE(ran);
}

asyncio::Task<std::unique_ptr<int>> make_unique_value(int v) { co_return std::make_unique<int>(v); }

asyncio::Task<int> await_move_only() {
    std::unique_ptr<int> p = co_await make_unique_value(7);  // an rvalue task: the result moves out
    auto t = asyncio::create_task(make_unique_value(8));
    std::unique_ptr<int>& ref = co_await t;  // an lvalue task: a reference to its result
    co_return *p + *ref + (t.result() ? 100 : 0);
}

TEST(Task, AwaitingAnRvalueMovesTheResultAndAnLvalueGivesAReference) {
    EXPECT_EQ(asyncio::run(await_move_only()), 115);
}

// --- exceptions ---

asyncio::Task<int> fail_at_depth(int depth, Trace* trace) {
    struct Unwound {
        Trace* trace;
        int depth;
        ~Unwound() { trace->push_back("unwound " + std::to_string(depth)); }
    } guard{trace, depth};
    if (depth == 0) throw std::runtime_error("deep failure");
    co_return co_await fail_at_depth(depth - 1, trace) + 1;
}

asyncio::Task<std::string> catch_deep_failure(Trace* trace) {
    try {
        co_await fail_at_depth(3, trace);
    } catch (const std::runtime_error& e) {
        co_return e.what();
    }
    co_return "no exception";
}

TEST(Task, ExceptionPropagatesThroughSeveralLevelsUnwindingEach) {
    Trace trace;
    EXPECT_EQ(asyncio::run(catch_deep_failure(&trace)), "deep failure");
    EXPECT_EQ(trace, (Trace{"unwound 0", "unwound 1", "unwound 2", "unwound 3"}));
}

TEST(Task, RunRethrowsTheMainTasksException) {
    Trace trace;
    EXPECT_THROW(asyncio::run(fail_at_depth(2, &trace)), std::runtime_error);
    EXPECT_EQ(trace.size(), 3U);
}

asyncio::Task<int> fail_later(std::string message) {
    co_await asyncio::sleep(1ms);
    throw std::runtime_error(message);
}

asyncio::Task<std::string> join_failing_task() {
    auto task = asyncio::create_task(fail_later("child failed"));
    std::string seen;
    for (int i = 0; i < 2; ++i) {  // awaiting it again rethrows the same, kept exception
        try {
            co_await task;
            seen += "no exception";
        } catch (const std::runtime_error& e) {
            seen += std::string(i == 0 ? "" : "/") + e.what();
        }
    }
    co_return seen;
}

TEST(Task, JoiningAFailedTaskRethrowsItsExceptionEachTime) {
    CapturedReports reports;
    EXPECT_EQ(run_virtual(join_failing_task()), "child failed/child failed");
    EXPECT_TRUE(reports.lines().empty());
}

// --- create_task and the handle ---

asyncio::Task<std::string> inspect_handle() {
    auto task = asyncio::create_task(add_after_sleep(1, 2));
    std::string seen;
    seen += task.done() ? "done " : "pending ";
    EXPECT_THROW(task.result(), asyncio::InvalidStateError);
    const int value = co_await task;
    seen += task.done() ? "done " : "pending ";
    seen += task.cancelled() ? "cancelled " : "not-cancelled ";
    seen += std::to_string(value) + " " + std::to_string(task.result());
    seen += task.cancel() ? " cancel-accepted" : " cancel-refused";
    co_return seen;
}

TEST(Task, CreateTaskReturnsAHandleToJoinAndInspect) {
    EXPECT_EQ(run_virtual(inspect_handle()), "pending done not-cancelled 3 3 cancel-refused");
}

asyncio::Task<> set_flag_after(asyncio::Duration delay, bool* flag) {
    co_await asyncio::sleep(delay);
    *flag = true;
}

asyncio::Task<bool> drop_the_handle() {
    bool finished = false;
    asyncio::create_task(set_flag_after(10ms, &finished));  // no warning: ScheduledTask
    co_await asyncio::sleep(20ms);
    co_return finished;
}

TEST(Task, ADroppedCreatedTaskKeepsRunning) { EXPECT_TRUE(run_virtual(drop_the_handle())); }

asyncio::Task<int> gather_scheduled() {
    asyncio::ScheduledTask<int> a = asyncio::create_task(add_after_sleep(1, 1));
    asyncio::Task<int> b = asyncio::create_task(add_after_sleep(2, 2));  // converts to Task<T>
    auto [x, y] = co_await asyncio::gather(std::move(a), std::move(b));
    co_return x + y;
}

TEST(Task, AScheduledTaskIsATask) { EXPECT_EQ(run_virtual(gather_scheduled()), 6); }

asyncio::Task<> joiner(asyncio::Task<int>* task, Trace* trace, std::string name) {
    co_await *task;
    trace->push_back(name);
}

asyncio::Task<> join_in_order(Trace* trace) {
    auto shared = asyncio::create_task(add_after_sleep(1, 2));
    std::vector<asyncio::Task<>> joiners;
    for (const char* name : {"first", "second", "third", "fourth"}) {
        joiners.push_back(asyncio::create_task(joiner(&shared, trace, name)));
    }
    for (auto& j : joiners) co_await j;
}

TEST(Task, TasksJoiningOneTaskAreWokenInTheOrderTheyJoined) {
    Trace trace;
    run_virtual(join_in_order(&trace));
    EXPECT_EQ(trace, (Trace{"first", "second", "third", "fourth"}));
}

// --- what is reported ---

TEST(Task, AFailedTaskNobodyAwaitedIsReported) {
    CapturedReports reports;
    auto main = []() -> asyncio::Task<> {
        asyncio::create_task(fail_later("nobody awaits me"), "orphan");
        co_await asyncio::sleep(10ms);
    };
    run_virtual(main());
    EXPECT_EQ(reports.count({"never retrieved", "orphan", "nobody awaits me"}), 1U) << ::testing::PrintToString(reports.lines());
}

TEST(Task, AFailedTaskIsReportedWhenItsLastHandleGoes) {
    CapturedReports reports;
    auto main = [](CapturedReports* r) -> asyncio::Task<> {
        auto task = asyncio::create_task(fail_later("kept but unread"), "kept");
        co_await asyncio::sleep(10ms);
        EXPECT_TRUE(task.done());
        EXPECT_EQ(r->lines().size(), 0U);  // still retrievable: not reported yet
    };
    run_virtual(main(&reports));
    EXPECT_EQ(reports.count({"never retrieved", "kept", "kept but unread"}), 1U);
}

TEST(Task, ACancelledTaskIsNotReportedAsFailed) {
    CapturedReports reports;
    auto main = []() -> asyncio::Task<> {
        auto task = asyncio::create_task(fail_later("never reached"));
        co_await asyncio::sleep(0);
        task.cancel();
        co_await asyncio::sleep(10ms);
        EXPECT_TRUE(task.cancelled());
    };
    run_virtual(main());
    EXPECT_TRUE(reports.lines().empty()) << reports.lines().front();
}

TEST(Task, ATaskNeverStartedIsReported) {
    CapturedReports reports;
    {
        asyncio::Task<int> forgotten = answer();
        forgotten.set_name("forgotten");
    }
    EXPECT_EQ(reports.count({"forgotten", "never awaited nor passed to create_task"}), 1U)
        << ::testing::PrintToString(reports.lines());
}

// --- current_task and names ---

asyncio::Task<asyncio::detail::TaskState*> current_from_inline_child() { co_return asyncio::current_task().state(); }

asyncio::Task<bool> current_task_is_the_root() {
    asyncio::TaskRef me = asyncio::current_task();
    asyncio::detail::TaskState* from_child = co_await current_from_inline_child();
    co_return me && me.state() == from_child && !me.done();
}

TEST(Task, CurrentTaskIsTheRunningRootEvenInsideAnInlineAwait) {
    EXPECT_TRUE(run_virtual(current_task_is_the_root()));
    EXPECT_FALSE(asyncio::current_task());  // outside of any task: empty
}

asyncio::Task<std::string> my_name() { co_return asyncio::current_task().get_name(); }

asyncio::Task<std::string> names() {
    auto a = asyncio::create_task(my_name());
    auto b = asyncio::create_task(my_name(), "sampler");
    auto c = asyncio::create_task(my_name());
    c.set_name("renamed");
    std::string result = co_await a;
    result += " " + co_await b + " " + co_await c;
    co_return result;
}

TEST(Task, TasksHaveDefaultUniqueNamesOrTheGivenOne) {
    // The main task is Task-1, so the first one it creates is Task-2, as in CPython.
    EXPECT_EQ(run_virtual(names()), "Task-2 sampler renamed");
}

// --- no stack growth ---

std::uintptr_t g_outer_stack = 0;
std::uintptr_t g_deepest_stack = 0;

std::uintptr_t stack_address() { return reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0)); }

asyncio::Task<int> nest(int depth) {
    if (depth == 0) {
        g_deepest_stack = stack_address();
        co_await asyncio::sleep(0);  // suspend at the bottom: the whole chain is resumed later
        co_return 0;
    }
    co_return co_await nest(depth - 1) + 1;
}

asyncio::Task<int> nest_from_top(int depth) {
    g_outer_stack = stack_address();
    co_return co_await nest(depth);
}

std::uintptr_t distance(std::uintptr_t a, std::uintptr_t b) { return a > b ? a - b : b - a; }

TEST(Task, HundredThousandNestedAwaitsDoNotGrowTheStack) {
    constexpr int depth = 100'000;
    EXPECT_EQ(run_virtual(nest_from_top(depth)), depth);
    // Symmetric transfer is a tail call: the bottom runs at the top's depth, give or take a few
    // frames. Without it, 100,000 levels need megabytes (or overflow the stack).
    EXPECT_LT(distance(g_outer_stack, g_deepest_stack), 16U * 1024U);
}

asyncio::Task<int> fail_nested(int depth) {
    if (depth == 0) throw std::runtime_error("bottom");
    co_return co_await fail_nested(depth - 1) + 1;
}

asyncio::Task<bool> catch_nested(int depth) {
    try {
        co_await fail_nested(depth);
    } catch (const std::runtime_error&) {
        co_return true;
    }
    co_return false;
}

TEST(Task, AnExceptionThroughHundredThousandLevelsDoesNotGrowTheStack) {
    EXPECT_TRUE(run_virtual(catch_nested(100'000)));
}

asyncio::Task<long> yield_many(long count, std::uintptr_t* first, std::uintptr_t* last) {
    long n = 0;
    *first = stack_address();
    for (long i = 0; i < count; ++i) {
        co_await asyncio::sleep(0);
        ++n;
    }
    *last = stack_address();
    co_return n;
}

TEST(Task, TenMillionSleepZeroDoNotGrowTheStack) {
    std::uintptr_t first = 0;
    std::uintptr_t last = 0;
    EXPECT_EQ(run_virtual(yield_many(10'000'000, &first, &last)), 10'000'000);
    EXPECT_EQ(first, last);  // every step is resumed from the loop, at the same depth
}

TEST(Task, FramesAreFreedWhenTasksFinish) {
    const auto before = asyncio::frame_stats();
    EXPECT_EQ(run_virtual(times_ten_of_sum()), 50);
    const auto after = asyncio::frame_stats();
    EXPECT_EQ(after.live_frames, before.live_frames);
    EXPECT_EQ(after.live_bytes, before.live_bytes);
    EXPECT_EQ(after.total_frames, before.total_frames + 2);  // times_ten_of_sum + add_after_sleep
}

}  // namespace
