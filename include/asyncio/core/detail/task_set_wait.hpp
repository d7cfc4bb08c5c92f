#pragma once
// Waiting for several tasks at once (gather, TaskGroup): one DoneCallback per task.

#include <asyncio/core/detail/task_state.hpp>

#include <coroutine>
#include <cstddef>
#include <memory>
#include <vector>

namespace asyncio::detail {

/// Suspends until every task is done or, with stop_on_failure, until the first one fails.
/// Cancellation (also one pending when the wait starts): cancels every task still running and
/// stays suspended until all are done, then throws CancelledError (gather's children do not
/// outlive a cancelled gather).
class TaskSetWait final : Wait {
public:
    TaskSetWait(const std::vector<TaskState*>& tasks, bool stop_on_failure);
    TaskSetWait(const TaskSetWait&) = delete;
    TaskSetWait& operator=(const TaskSetWait&) = delete;
    ~TaskSetWait() = default;

    bool await_ready() const noexcept { return finished(); }
    void await_suspend(std::coroutine_handle<> handle) noexcept;
    void await_resume() const { end_wait(); }

    /// The first task that failed (exception or cancellation), or nullptr.
    [[nodiscard]] TaskState* first_failure() const noexcept { return m_first_failure; }

private:
    struct Watch final : DoneCallback {
        TaskSetWait* owner = nullptr;
        void on_task_done(TaskState& task) noexcept override { owner->task_done(task); }
    };

    [[nodiscard]] bool finished() const noexcept {
        return m_remaining == 0 || (m_stop_on_failure && m_first_failure != nullptr);
    }
    void task_done(TaskState& task) noexcept;
    CancelAction cancel_wait() noexcept override;

    std::vector<TaskState*> m_tasks;
    std::unique_ptr<Watch[]> m_watches;
    std::size_t m_remaining = 0;
    TaskState* m_first_failure = nullptr;
    bool m_stop_on_failure;
    bool m_cancelling = false;
    bool m_suspended = false;  ///< waiting, not yet woken
};

}  // namespace asyncio::detail
