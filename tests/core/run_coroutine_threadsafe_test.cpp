// run_coroutine_threadsafe(coroutine, loop): a loop runs in a std::thread; this thread submits
// coroutines and blocks on their futures. Bounded: every wait has a generous limit.
#include <asyncio/core/errors.hpp>
#include <asyncio/core/event.hpp>
#include <asyncio/core/loop.hpp>
#include <asyncio/core/run_coroutine_threadsafe.hpp>
#include <asyncio/core/sleep.hpp>
#include <asyncio/core/task.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <vector>
#include <stdexcept>
#include <string>
#include <thread>

namespace {

using namespace std::chrono_literals;

constexpr auto kGenerous = 30s;  // far beyond what any of these takes; only a hang reaches it

/// An EventLoop running forever in its own thread; destroyed (on this thread) after it stopped.
class LoopThread {
public:
    LoopThread() : m_thread([this] { m_loop.run_forever(); }) {}
    LoopThread(const LoopThread&) = delete;
    LoopThread& operator=(const LoopThread&) = delete;
    ~LoopThread() { stop_and_join(); }

    asyncio::EventLoop& loop() { return m_loop; }
    void stop_and_join() {
        if (!m_thread.joinable()) return;
        m_loop.call_soon_threadsafe([this] { m_loop.stop(); });
        m_thread.join();
    }

private:
    asyncio::EventLoop m_loop;
    std::thread m_thread;  // after m_loop: started once the loop exists
};

asyncio::Task<int> add(int a, int b) {
    co_await asyncio::sleep(1ms);
    co_return a + b;
}

asyncio::Task<int> fail() {
    co_await asyncio::sleep(1ms);
    throw std::runtime_error("Fail!");
}

asyncio::Task<std::thread::id> loop_thread_id() {
    co_await asyncio::sleep(0ms);
    co_return std::this_thread::get_id();
}

TEST(RunCoroutineThreadsafe, GetBlocksUntilTheResult) {
    LoopThread thread;
    auto future = asyncio::run_coroutine_threadsafe(add(1, 2), thread.loop());
    EXPECT_EQ(future.get(kGenerous), 3);
    EXPECT_TRUE(future.done());
    EXPECT_FALSE(future.cancelled());
}

TEST(RunCoroutineThreadsafe, TheTaskRunsInTheLoopThread) {
    LoopThread thread;
    auto future = asyncio::run_coroutine_threadsafe(loop_thread_id(), thread.loop());
    ASSERT_TRUE(future.wait_for(kGenerous));
    EXPECT_NE(future.get(), std::this_thread::get_id());
}

TEST(RunCoroutineThreadsafe, AnExceptionCrossesTheThreads) {
    LoopThread thread;
    auto future = asyncio::run_coroutine_threadsafe(fail(), thread.loop());
    ASSERT_TRUE(future.wait_for(kGenerous));
    EXPECT_THROW(future.get(), std::runtime_error);
}

/// Spins (yielding the CPU) until `flag` is set, for at most kGenerous; returns it.
bool eventually(const std::atomic<bool>& flag) {
    const auto limit = std::chrono::steady_clock::now() + kGenerous;
    while (!flag.load() && std::chrono::steady_clock::now() < limit) std::this_thread::sleep_for(100us);
    return flag.load();
}

asyncio::Task<> wait_for_event(std::shared_ptr<asyncio::Event> event, std::shared_ptr<std::atomic<bool>> cancelled,
                               std::shared_ptr<std::atomic<bool>> running = nullptr) {
    if (running) running->store(true);
    try {
        co_await event->wait();
    } catch (const asyncio::CancelledError&) {
        cancelled->store(true);
        throw;
    }
}

TEST(RunCoroutineThreadsafe, CancelCancelsTheTaskInTheLoopThread) {
    LoopThread thread;
    auto event = std::make_shared<asyncio::Event>();
    auto task_saw_cancel = std::make_shared<std::atomic<bool>>(false);
    auto running = std::make_shared<std::atomic<bool>>(false);
    auto future = asyncio::run_coroutine_threadsafe(wait_for_event(event, task_saw_cancel, running), thread.loop());
    EXPECT_THROW(future.get(0ms), asyncio::TimeoutError);  // CPython's result(timeout=0)
    ASSERT_TRUE(eventually(*running));  // cancelled before its first step, it would never run
    EXPECT_TRUE(future.cancel());
    EXPECT_TRUE(future.cancelled());
    EXPECT_FALSE(future.cancel());
    EXPECT_THROW(future.get(), asyncio::CancelledError);
    EXPECT_TRUE(eventually(*task_saw_cancel));  // in the loop thread, soon
}

asyncio::Task<> a_few_passes() {
    co_await asyncio::sleep(0ms);
    co_await asyncio::sleep(0ms);
}

asyncio::Task<int> never_runs(std::shared_ptr<std::atomic<bool>> ran) {
    ran->store(true);
    co_return 0;
}

TEST(RunCoroutineThreadsafe, CancelledBeforeTheLoopStartsItTheTaskNeverRuns) {
    auto ran = std::make_shared<std::atomic<bool>>(false);
    std::optional<asyncio::ThreadsafeFuture<int>> future;
    {
        LoopThread thread;
        thread.stop_and_join();
        future.emplace(asyncio::run_coroutine_threadsafe(never_runs(ran), thread.loop()));
        EXPECT_TRUE(future->cancel());
        thread.loop().run_until_complete(a_few_passes());  // runs the submission, now cancelled
    }
    EXPECT_TRUE(future->cancelled());
    EXPECT_FALSE(ran->load());
}

asyncio::Task<int> cancels_itself() {
    co_await asyncio::sleep(1ms);
    asyncio::current_task().cancel();
    co_await asyncio::sleep(0ms);
    co_return 0;
}

TEST(RunCoroutineThreadsafe, ATaskCancelledInTheLoopCancelsTheFuture) {
    LoopThread thread;
    auto future = asyncio::run_coroutine_threadsafe(cancels_itself(), thread.loop());
    ASSERT_TRUE(future.wait_for(kGenerous));
    EXPECT_TRUE(future.cancelled());
    EXPECT_THROW(future.get(), asyncio::CancelledError);
}

TEST(RunCoroutineThreadsafe, TheFutureMayBeDroppedBeforeTheTaskEnds) {
    LoopThread thread;
    auto event = std::make_shared<asyncio::Event>();
    auto saw_cancel = std::make_shared<std::atomic<bool>>(false);
    {
        auto dropped = asyncio::run_coroutine_threadsafe(wait_for_event(event, saw_cancel), thread.loop());
    }
    thread.loop().call_soon_threadsafe([event] { event->set(); });  // the task ends after its future is gone
    auto probe = asyncio::run_coroutine_threadsafe(add(2, 2), thread.loop());
    EXPECT_EQ(probe.get(kGenerous), 4);
}

TEST(RunCoroutineThreadsafe, ATaskTheLoopCancelsAtItsDestructionCancelsTheFuture) {
    auto event = std::make_shared<asyncio::Event>();
    auto saw_cancel = std::make_shared<std::atomic<bool>>(false);
    std::optional<asyncio::ThreadsafeFuture<void>> started;
    {
        LoopThread thread;
        started.emplace(asyncio::run_coroutine_threadsafe(wait_for_event(event, saw_cancel), thread.loop()));
        auto probe = asyncio::run_coroutine_threadsafe(add(0, 0), thread.loop());
        probe.get(kGenerous);  // the first submission is running by now
        thread.stop_and_join();
        EXPECT_FALSE(started->done());
    }  // ~EventLoop cancels what is left and lets it run its cleanup, as asyncio.run() does
    ASSERT_TRUE(started->wait_for(kGenerous));
    EXPECT_TRUE(started->cancelled());
    EXPECT_TRUE(saw_cancel->load());
}

TEST(RunCoroutineThreadsafe, ASubmissionTheLoopNeverRanLeavesTheFutureCancelled) {
    std::optional<asyncio::ThreadsafeFuture<int>> never_started;
    {
        LoopThread thread;
        thread.stop_and_join();
        // Queued on a loop that will not run again: dropped when it is destroyed.
        never_started.emplace(asyncio::run_coroutine_threadsafe(add(1, 1), thread.loop()));
        EXPECT_FALSE(never_started->done());
    }
    ASSERT_TRUE(never_started->wait_for(kGenerous));
    EXPECT_TRUE(never_started->cancelled());
    EXPECT_FALSE(never_started->cancel());
}

TEST(RunCoroutineThreadsafe, ManyThreadsSubmitAtOnce) {
    LoopThread thread;
    std::atomic<int> sum{0};
    std::vector<std::thread> submitters;
    for (int i = 0; i < 4; ++i) {
        submitters.emplace_back([&, i] {
            for (int j = 0; j < 25; ++j) sum += asyncio::run_coroutine_threadsafe(add(i, j), thread.loop()).get(kGenerous);
        });
    }
    for (auto& submitter : submitters) submitter.join();
    EXPECT_EQ(sum.load(), 25 * (0 + 1 + 2 + 3) + 4 * (24 * 25 / 2));
}

}  // namespace
