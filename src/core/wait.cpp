#include <asyncio/core/detail/done_wait.hpp>
#include <asyncio/core/loop.hpp>

#include <utility>

namespace asyncio::detail {

bool DoneWait::await_suspend(std::coroutine_handle<> handle) noexcept {
    if (m_cancel_awaited_too) {
        begin_wait_on_tasks(handle);  // a pending cancellation goes on to the awaited task
    } else if (!begin_wait(handle)) {
        return false;
    }
    m_awaited.add_done_callback(*this);
    if (m_deadline) running_loop()->add_timer(*this, *m_deadline);
    if (m_cancel_awaited_too) pass_pending_cancel();
    return true;
}

CancelAction DoneWait::cancel_wait() noexcept {
    if (m_cancel_awaited_too) {
        m_awaited.cancel();
        disarm();  // no time limit on waiting for its cleanup
        return CancelAction::raise_when_done;
    }
    HListHook::unlink();
    disarm();
    return CancelAction::wake_now;
}

void DoneWait::on_task_done(TaskState&) noexcept {
    disarm();
    wake();
}

void DoneWait::fire() {
    HListHook::unlink();
    wake();
}

}  // namespace asyncio::detail

namespace asyncio::detail {

TasksDoneWait::TasksDoneWait(std::vector<TaskState*> tasks, ReturnWhen when, std::optional<TimePoint> deadline)
    : m_tasks(std::move(tasks)), m_watches(new Watch[m_tasks.size()]), m_deadline(deadline), m_when(when) {
    for (TaskState* task : m_tasks) {
        if (!task->done()) continue;
        ++m_done;
        if (raised(*task)) m_any_raised = true;
    }
}

bool TasksDoneWait::satisfied() const noexcept {
    if (m_done == m_tasks.size()) return true;
    switch (m_when) {
        case ReturnWhen::first_completed:
            return m_done > 0;
        case ReturnWhen::first_exception:
            return m_any_raised;
        case ReturnWhen::all_completed:
            break;
    }
    return false;
}

bool TasksDoneWait::await_suspend(std::coroutine_handle<> handle) noexcept {
    if (!begin_wait(handle)) return false;
    for (std::size_t i = 0; i < m_tasks.size(); ++i) {
        if (m_tasks[i]->done()) continue;
        m_watches[i].owner = this;
        m_tasks[i]->add_done_callback(m_watches[i]);
    }
    if (m_deadline) running_loop()->add_timer(*this, *m_deadline);
    return true;
}

void TasksDoneWait::task_done(TaskState& task) noexcept {
    ++m_done;
    if (raised(task)) m_any_raised = true;
    if (satisfied()) stop_and_wake();
}

void TasksDoneWait::stop_and_wake() noexcept {
    unregister();
    wake();
}

void TasksDoneWait::unregister() noexcept {
    for (std::size_t i = 0; i < m_tasks.size(); ++i) m_watches[i].unlink();
    disarm();
}

CancelAction TasksDoneWait::cancel_wait() noexcept {
    unregister();
    return CancelAction::wake_now;
}

void TasksDoneWait::fire() { stop_and_wake(); }

}  // namespace asyncio::detail
