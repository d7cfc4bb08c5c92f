#include <asyncio/core/fatal_error.hpp>
#include <asyncio/core/task_group.hpp>

namespace asyncio {

/// Suspends until the group has no child left. Cancellation cancels them all and keeps waiting.
class TaskGroup::AllDone final : detail::Wait {
public:
    explicit AllDone(TaskGroup& group) noexcept : m_group(group) {}
    AllDone(const AllDone&) = delete;
    AllDone& operator=(const AllDone&) = delete;
    ~AllDone() {
        if (m_group.m_waiter == this) m_group.m_waiter = nullptr;
    }
    bool await_ready() const noexcept { return m_group.m_children.empty(); }
    void await_suspend(std::coroutine_handle<> handle) noexcept {
        begin_wait_on_tasks(handle);  // a pending cancellation cancels the children, see below
        m_group.m_waiter = this;
        if (cancel_pending()) m_group.cancel_all();
    }
    void await_resume() const { end_wait(); }
    void wake_now() noexcept { wake(); }

private:
    bool cancel_wait() noexcept override {
        m_group.cancel_all();
        return false;  // woken when the last child is done
    }
    TaskGroup& m_group;
};

TaskGroup::~TaskGroup() {
    cancel_all();
    // The children finish on the loop; they must no longer call back into this dead group.
    for (Child& child : m_children) child.unlink();
}

void TaskGroup::add(TaskRef task) {
    if (m_closed) detail::fail<InvalidStateError>("TaskGroup::create_task() after the group finished");
    if (!task) fatal_error("TaskGroup::create_task() of an empty Task (no memory for a coroutine frame?)");
    get_event_loop().start(*task.state());
#if ASYNCIO_EXCEPTIONS
    if (m_failure) task.cancel();  // the group is already failing: the newcomer must not run on
#endif
    if (task.done()) return;
    Child& child = m_children.emplace_back(*this, task);
    task.state()->add_done_callback(child);
}

void TaskGroup::child_done(Child& child) noexcept {
#if ASYNCIO_EXCEPTIONS
    detail::TaskState& state = *child.task.state();
    if (state.exception() && !state.cancelled() && !m_failure) {
        m_failure = state.take_exception();
        cancel_all();
    }
#endif
    m_children.remove_if([&](const Child& c) { return &c == &child; });
    if (m_children.empty() && m_waiter != nullptr) std::exchange(m_waiter, nullptr)->wake_now();
}

void TaskGroup::cancel_all() noexcept {
    for (Child& child : m_children) child.task.cancel();
}

Task<> TaskGroup::wait() {
    co_await AllDone(*this);
    m_closed = true;
#if ASYNCIO_EXCEPTIONS
    if (m_failure) std::rethrow_exception(m_failure);
#endif
}

}  // namespace asyncio
