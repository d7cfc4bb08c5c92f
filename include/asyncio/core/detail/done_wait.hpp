#pragma once
// Waiting for a task to be done without taking on its outcome: asyncio::wait(task),
// try_wait_for, and wait_for with a limit of zero.

#include <asyncio/core/detail/task_state.hpp>
#include <asyncio/core/detail/timer_heap.hpp>

#include <coroutine>
#include <optional>

namespace asyncio::detail {

/// Suspends until `awaited` is done, or until `deadline` if there is one. Yields nothing.
/// Cancellation of the waiting task, with cancel_awaited_too: the awaited task is cancelled and
/// waited for, as a join does; otherwise the wait simply ends (the awaited task runs on).
class [[nodiscard]] DoneWait final : Wait, DoneCallback, TimerNode {
public:
    DoneWait(TaskState& awaited, std::optional<TimePoint> deadline, bool cancel_awaited_too) noexcept
        : m_awaited(awaited), m_deadline(deadline), m_cancel_awaited_too(cancel_awaited_too) {}
    DoneWait(const DoneWait&) = delete;
    DoneWait& operator=(const DoneWait&) = delete;
    ~DoneWait() override = default;

    bool await_ready() const noexcept { return m_awaited.done(); }
    bool await_suspend(std::coroutine_handle<> handle) noexcept;
    void await_resume() const { end_wait(); }

private:
    CancelAction cancel_wait() noexcept override;
    void on_task_done(TaskState&) noexcept override;
    void fire() override;

    TaskState& m_awaited;
    std::optional<TimePoint> m_deadline;
    bool m_cancel_awaited_too;
};

}  // namespace asyncio::detail
