#pragma once
// Waiting for tasks to be done without taking on their outcome: asyncio::wait(task),
// asyncio::wait(tasks, ...), try_wait_for, and wait_for with a limit of zero.

#include <asyncio/core/detail/task_state.hpp>
#include <asyncio/core/detail/timer_heap.hpp>

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

namespace asyncio {

/// When asyncio::wait(tasks, ...) returns: asyncio's FIRST_COMPLETED, FIRST_EXCEPTION and
/// ALL_COMPLETED.
enum class ReturnWhen : std::uint8_t {
    /// As soon as any task is done (however it ended).
    first_completed,
    /// As soon as any task fails with an exception (a cancellation does not count), else when
    /// all are done.
    first_exception,
    /// When every task is done.
    all_completed,
};

}  // namespace asyncio

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

/// Suspends until `when` holds for `tasks`, or until `deadline` if there is one, as CPython's
/// asyncio.wait does; yields nothing (the caller sorts the tasks into done and pending). Never
/// cancels a task. Cancellation of the waiting task: the wait ends at once (every task runs on)
/// and co_await throws CancelledError.
class [[nodiscard]] TasksDoneWait final : Wait, TimerNode {
public:
    TasksDoneWait(std::vector<TaskState*> tasks, ReturnWhen when, std::optional<TimePoint> deadline);
    TasksDoneWait(const TasksDoneWait&) = delete;
    TasksDoneWait& operator=(const TasksDoneWait&) = delete;
    ~TasksDoneWait() override = default;

    bool await_ready() const noexcept { return satisfied(); }
    bool await_suspend(std::coroutine_handle<> handle) noexcept;
    void await_resume() const { end_wait(); }

private:
    struct Watch final : DoneCallback {
        TasksDoneWait* owner = nullptr;
        void on_task_done(TaskState& task) noexcept override { owner->task_done(task); }
    };

    /// A task that ended with an exception of its own (not a cancellation): FIRST_EXCEPTION.
    [[nodiscard]] static bool raised(const TaskState& task) noexcept { return task.failed() && !task.cancelled(); }
    [[nodiscard]] bool satisfied() const noexcept;
    void task_done(TaskState& task) noexcept;
    /// Unregisters every watch and the timer, then schedules the waiting task.
    void stop_and_wake() noexcept;
    void unregister() noexcept;
    CancelAction cancel_wait() noexcept override;
    void fire() override;

    std::vector<TaskState*> m_tasks;
    std::unique_ptr<Watch[]> m_watches;
    std::optional<TimePoint> m_deadline;
    std::size_t m_done = 0;
    bool m_any_raised = false;
    ReturnWhen m_when;
};

}  // namespace asyncio::detail
