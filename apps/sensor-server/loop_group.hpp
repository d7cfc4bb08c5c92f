#pragma once
// LoopGroup: the event loops of sensor-server --workers N, one per thread, as the other loops see
// them. A loop joins the group once it serves (attach) and leaves it before it ends (detach);
// meanwhile the others may hand it work through its EventLoop::call_soon_threadsafe(): gather
// its figures for /metrics and /debug/tasks, or ask it to stop. Linux part: it needs threads.
//
// Only these cross-loop calls take the group's locks (a request to /metrics, a shutdown); a
// request served from a loop's own copies touches none of it.

#include "loop_figures.hpp"

#include <asyncio/core/loop.hpp>
#include <asyncio/core/task.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace sensor_server {

class LoopGroup {
public:
    /// Makes this loop's figures, on its thread.
    using Report = std::function<LoopFigures(bool with_tasks)>;

    /// A group of `loops` loops, none attached yet.
    explicit LoopGroup(std::size_t loops);
    LoopGroup(const LoopGroup&) = delete;
    LoopGroup& operator=(const LoopGroup&) = delete;

    /// Loop `index` serves from now on: `report` makes its figures and `stop` begins its
    /// shutdown, both called on `loop`'s thread, until detach(). Call it on that thread. If
    /// stop_all() came first, `stop` is scheduled at once.
    void attach(std::size_t index, asyncio::EventLoop& loop, Report report, std::function<void()> stop);
    /// Loop `index` stops taking work from the others: call it on its thread before what
    /// `report` and `stop` use is gone, and before the loop is destroyed.
    void detach(std::size_t index);

    /// Asks every attached loop to stop (its `stop`, on its thread), now or, for a loop not
    /// attached yet, as it attaches. From any thread.
    void stop_all();

    /// Suspends when: there are other attached loops: until each has made its figures on its own
    /// thread, or `patience` has passed. Resumed by: the last of them, through a ThreadSafeFlag.
    /// Returns: the figures of every loop but `self` (the caller's, which makes its own) that
    /// answered in time, in loop order; a loop that is not attached (starting or stopping) or did
    /// not answer is left out.
    /// Cancellation: the answers still coming are dropped; CancelledError.
    /// Lifetime: the group must outlive the call; the answers share their own state.
    [[nodiscard]] asyncio::Task<std::vector<LoopFigures>> gather(std::size_t self, bool with_tasks,
                                                                 std::chrono::milliseconds patience = std::chrono::seconds(1));

    /// How many loops the group has.
    [[nodiscard]] std::size_t size() const noexcept { return m_members.size(); }

private:
    struct Member {
        std::mutex mutex;
        asyncio::EventLoop* loop = nullptr;  ///< guarded by mutex; set between attach and detach
        Report report;                       ///< guarded by mutex
        std::function<void()> stop;          ///< guarded by mutex
        bool stop_requested = false;         ///< guarded by mutex
    };
    struct Answers;

    /// Runs `work` on member `index`'s loop if it is attached (false otherwise).
    bool post(std::size_t index, std::function<void(Member&)> work);

    std::vector<std::unique_ptr<Member>> m_members;
};

}  // namespace sensor_server
