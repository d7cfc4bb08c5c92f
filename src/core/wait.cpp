#include <asyncio/core/wait.hpp>

namespace asyncio::detail {

bool DoneWait::await_suspend(std::coroutine_handle<> handle) noexcept {
    if (m_cancel_awaited_too) {
        begin_wait_on_tasks(handle);  // a pending cancellation goes on to the awaited task
    } else if (!begin_wait(handle)) {
        return false;
    }
    m_awaited.add_done_callback(*this);
    if (m_deadline) running_loop()->add_timer(*this, *m_deadline);
    if (m_cancel_awaited_too && cancel_pending()) m_awaited.cancel();
    return true;
}

bool DoneWait::cancel_wait() noexcept {
    if (m_cancel_awaited_too) {
        m_awaited.cancel();
        disarm();  // no time limit on waiting for its cleanup
        return false;  // woken when it is done
    }
    HListHook::unlink();
    disarm();
    return true;
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
