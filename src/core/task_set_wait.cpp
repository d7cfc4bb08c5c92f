#include <asyncio/core/detail/task_set_wait.hpp>

namespace asyncio::detail {

TaskSetWait::TaskSetWait(const std::vector<TaskState*>& tasks, bool stop_on_failure)
    : m_tasks(tasks), m_watches(new Watch[tasks.size()]), m_stop_on_failure(stop_on_failure) {
    for (std::size_t i = 0; i < m_tasks.size(); ++i) {
        TaskState& task = *m_tasks[i];
        if (task.done()) {
            if (task.failed() && m_first_failure == nullptr) m_first_failure = &task;
            continue;
        }
        ++m_remaining;
        m_watches[i].owner = this;
        task.add_done_callback(m_watches[i]);
    }
}

void TaskSetWait::await_suspend(std::coroutine_handle<> handle) noexcept {
    begin_wait_on_tasks(handle);
    m_suspended = true;
    pass_pending_cancel();  // cannot finish the wait: m_remaining > 0 here
}

void TaskSetWait::task_done(TaskState& task) noexcept {
    --m_remaining;
    if (task.failed() && m_first_failure == nullptr) m_first_failure = &task;
    if (!m_suspended) return;
    if (m_remaining == 0 || (!m_cancelling && finished())) {
        m_suspended = false;
        wake();
    }
}

CancelAction TaskSetWait::cancel_wait() noexcept {
    m_cancelling = true;
    for (TaskState* task : m_tasks) task->cancel_as(*m_task);  // with its message, as CPython's gather
    if (m_remaining != 0) return CancelAction::raise_when_done;
    m_suspended = false;
    return CancelAction::wake_now;
}

}  // namespace asyncio::detail
