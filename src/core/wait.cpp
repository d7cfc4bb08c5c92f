#include <asyncio/core/detail/done_wait.hpp>
#include <asyncio/core/loop.hpp>

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
