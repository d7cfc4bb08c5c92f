#pragma once
// TaskGroup: structured concurrency, asyncio.TaskGroup. Every task started through the group is
// finished or cancelled before the group is left.
//
//   asyncio::TaskGroup group;
//   group.create_task(blink(led1, 700ms));
//   group.create_task(blink(led2, 400ms));
//   co_await group.wait();   // `async with`: joins all; the first failure cancels the rest
//
// C++ has no asynchronous destructor, so the group is left with `co_await group.wait()`. A
// group destroyed before that (an exception in the body, say) cancels every child it still has.

#include <asyncio/core/task.hpp>

#include <exception>
#include <list>
#include <string>

namespace asyncio {

class TaskGroup {
public:
    TaskGroup() = default;
    TaskGroup(const TaskGroup&) = delete;
    TaskGroup& operator=(const TaskGroup&) = delete;
    ~TaskGroup();

    /// Starts `task` in the group and returns it (await it, or ignore it: the group joins it).
    /// InvalidStateError once the group has finished waiting.
    template <class T>
    ScheduledTask<T> create_task(Task<T> task) {
        add(task.ref());
        return ScheduledTask<T>(std::move(task));
    }

    /// create_task with a name shown in reports and in the loop's introspection.
    template <class T>
    ScheduledTask<T> create_task(Task<T> task, std::string name) {
        task.state().set_name(std::move(name));
        return create_task(std::move(task));
    }

    /// Suspends until every child is done, including children started meanwhile. The first child
    /// that fails cancels the others; wait() then rethrows its exception once all are done.
    /// Cancellation: cancels every child, waits for them, throws CancelledError (without
    /// exceptions: is unwound). A child that is cancelled does not fail the group, as in CPython.
    [[nodiscard]] Task<> wait();

    /// Cancels every child still running.
    void cancel_all() noexcept;
    [[nodiscard]] std::size_t size() const noexcept { return m_children.size(); }

private:
    struct Child final : detail::DoneCallback {
        Child(TaskGroup& owner, TaskRef child) : group(owner), task(std::move(child)) {}
        void on_task_done(detail::TaskState&) noexcept override { group.child_done(*this); }
        TaskGroup& group;
        TaskRef task;
    };
    class AllDone;
    void add(TaskRef task);
    void child_done(Child& child) noexcept;

    std::list<Child> m_children;  ///< children not done yet (stable addresses for callbacks)
#if ASYNCIO_EXCEPTIONS
    std::exception_ptr m_failure;
#endif
    AllDone* m_waiter = nullptr;  ///< wait() in progress
    bool m_closed = false;
};

}  // namespace asyncio
