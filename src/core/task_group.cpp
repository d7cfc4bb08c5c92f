#include <asyncio/core/fatal_error.hpp>
#include <asyncio/core/task_group.hpp>

namespace asyncio {

/// Suspends until the group has no child left.
/// With exceptions, a cancellation ends this wait at once (as the future CPython's __aexit__
/// awaits is cancelled); exit() then cancels the children and waits again. Without, it cancels
/// the children and stays until they are done, then the task is unwound.
class TaskGroup::AllDone final : detail::Wait {
public:
    explicit AllDone(TaskGroup& group) noexcept : m_group(group) {}
    AllDone(const AllDone&) = delete;
    AllDone& operator=(const AllDone&) = delete;
    ~AllDone() { stop_waiting(); }
    bool await_ready() const noexcept { return m_group.m_children.empty(); }
#if ASYNCIO_EXCEPTIONS
    bool await_suspend(std::coroutine_handle<> handle) noexcept {
        if (!begin_wait(handle)) return false;
        m_group.m_waiter = this;
        return true;
    }
#else
    void await_suspend(std::coroutine_handle<> handle) noexcept {
        begin_wait_on_tasks(handle);
        m_group.m_waiter = this;
        pass_pending_cancel();
    }
#endif
    void await_resume() const { end_wait(); }
    void wake_now() noexcept {
        m_group.m_waiter = nullptr;
        wake();
    }

private:
    void stop_waiting() noexcept {
        if (m_group.m_waiter == this) m_group.m_waiter = nullptr;
    }
    detail::CancelAction cancel_wait() noexcept override {
#if ASYNCIO_EXCEPTIONS
        stop_waiting();
        return detail::CancelAction::wake_now;
#else
        m_group.cancel_all();
        return detail::CancelAction::raise_when_done;
#endif
    }
    TaskGroup& m_group;
};

TaskGroup::~TaskGroup() {
    cancel_all();
    // The children finish on the loop; they must no longer call back into this dead group.
    for (Child& child : m_children) child.unlink();
}

namespace {
/// create_task() refused: a coroutine that never started is closed, as CPython closes it, so
/// that it is not reported as never awaited. Then fails with `why`.
[[noreturn]] void refuse(detail::TaskState& task, const char* why) {
    if (task.status() == detail::TaskState::Status::created && !task.is_root()) task.mark_done();
    detail::fail<InvalidStateError>(why);
}
}  // namespace

void TaskGroup::add(TaskRef task) {
    if (!task) fatal_error("TaskGroup::create_task() of an empty Task (no memory for a coroutine frame?)");
    if (m_finished) refuse(*task.state(), "TaskGroup::create_task(): the group is finished");
#if ASYNCIO_EXCEPTIONS
    if (m_aborting) refuse(*task.state(), "TaskGroup::create_task(): the group is shutting down");
#endif
    get_event_loop().start(*task.state());
#if !ASYNCIO_EXCEPTIONS
    if (m_aborting) task.cancel();  // the group is shutting down: the newcomer must not run on
#endif
    Child& child = m_children.emplace_back(*this, task);
    task.state()->add_done_callback(child);
}

void TaskGroup::child_done(Child& child) noexcept {
    detail::TaskState& state = *child.task.state();
    m_children.remove_if([&](const Child& c) { return &c == &child; });  // `child` is gone now
    if (m_children.empty() && m_waiter != nullptr) m_waiter->wake_now();
#if ASYNCIO_EXCEPTIONS
    if (state.cancelled() || !state.exception()) return;
    m_errors.push_back(state.take_exception());
    if (m_aborting || m_body_cancel_requested) return;
    abort();
    // The body must stop too (task_group() only: the statement form cannot tell its body from
    // the rest of its task). exit() takes this request back with uncancel().
    if (m_body_task != nullptr && !m_body_task->done()) {
        m_body_cancel_requested = true;
        m_body_task->cancel();
    }
#else
    (void)state;
#endif
}

void TaskGroup::abort() noexcept {
    m_aborting = true;
    cancel_all();
}

void TaskGroup::cancel_all() noexcept {
    for (Child& child : m_children) child.task.cancel();
}

#if ASYNCIO_EXCEPTIONS
namespace {
bool is_cancellation(const std::exception_ptr& error) {
    try {
        std::rethrow_exception(error);
    } catch (const CancelledError&) {
        return true;
    } catch (...) {
        return false;
    }
}
}  // namespace

Task<> TaskGroup::wait() { return exit(nullptr); }

Task<> TaskGroup::exit(std::exception_ptr body_error) {
    const bool body_cancelled = body_error && is_cancellation(body_error);
    std::exception_ptr cancellation = body_cancelled ? body_error : nullptr;
    if (body_error && !m_aborting) abort();
    while (!m_children.empty()) {
        try {
            co_await AllDone(*this);
        } catch (const CancelledError&) {
            // The group's task was cancelled from outside while it waited for the children.
            if (!m_aborting) {
                cancellation = std::current_exception();
                abort();
            }
        }
    }
    m_finished = true;
    detail::TaskState& task = *detail::current_task_state();
    // The body's cancellation was ours (a child failed): take it back; if nobody else cancelled
    // the task, it does not go on.
    if (m_body_cancel_requested && task.uncancel() == 0) cancellation = nullptr;
    if (cancellation && m_errors.empty()) std::rethrow_exception(cancellation);
    if (body_error && !body_cancelled) m_errors.push_back(body_error);
    if (m_errors.empty()) co_return;
    // Cancelled from outside as well: keep that request pending (count unchanged), so it reaches
    // the task's next co_await after the ExceptionGroup has been handled.
    if (task.cancelling() > 0) {
        task.uncancel();
        task.cancel();
    }
    throw ExceptionGroup("unhandled errors in a TaskGroup", std::move(m_errors));
}
#else
Task<> TaskGroup::wait() {
    co_await AllDone(*this);
    m_finished = true;
}
#endif

}  // namespace asyncio
