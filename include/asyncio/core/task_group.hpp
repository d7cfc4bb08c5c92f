#pragma once
// TaskGroup and task_group(): structured concurrency, asyncio.TaskGroup.

#include <asyncio/core/detail/as_task.hpp>
#include <asyncio/core/exception_group.hpp>
#include <asyncio/core/task.hpp>

#include <exception>
#include <functional>
#include <list>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace asyncio {

/// TaskGroup: structured concurrency, asyncio.TaskGroup. Every task started through the group is
/// finished before the group is left.
///
/// \code
/// co_await asyncio::task_group([&](asyncio::TaskGroup& group) -> asyncio::Task<> {
///     group.create_task(blink(led1, 700ms));      // `async with asyncio.TaskGroup() as group:`
///     group.create_task(blink(led2, 400ms));
///     co_await serve();                           // the body: cancelled if a child fails
/// });                                             // every child done here
/// \endcode
///
/// What CPython's TaskGroup does, task_group() does: the first child that fails cancels the other
/// children and the body; when the body ends, with or without an exception, it waits for every
/// child; then it throws an ExceptionGroup holding every child's exception (and the body's), or
/// lets a CancelledError from outside go on. C++ has no asynchronous destructor, so this needs
/// the body as a coroutine.
///
/// The statement form, for a group that outlives one scope (a server's connections):
/// \code
/// asyncio::TaskGroup group;
/// group.create_task(...);
/// co_await group.wait();      // joins all; throws as above
/// \endcode
/// Here a failing child cancels its siblings but not the code before wait(), which cannot be
/// told apart from the rest of its task; and a group destroyed without wait() (an exception left
/// the scope) can only cancel its children, not wait for them.
class TaskGroup {
public:
    TaskGroup() = default;
    TaskGroup(const TaskGroup&) = delete;
    TaskGroup& operator=(const TaskGroup&) = delete;
    ~TaskGroup();

    /// Starts `task` in the group and returns it (await it, or ignore it: the group joins it).
    /// InvalidStateError once the group has finished, or while it is shutting down after a
    /// failure (CPython raises RuntimeError for both).
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

    /// The end of the group when its body ended normally: suspends until every child is done,
    /// including children started meanwhile. Throws an ExceptionGroup of the children's
    /// exceptions if any failed (a cancelled child is no failure). Cancellation: cancels every
    /// child, keeps waiting until all are done, then throws CancelledError (without exceptions:
    /// is unwound).
    [[nodiscard]] Task<> wait();
#if ASYNCIO_EXCEPTIONS
    /// The end of the group when its body ended with `body_error` (nullptr: normally), as
    /// CPython's TaskGroup.__aexit__; task_group() calls it. A body's CancelledError goes on
    /// after the children are done; any other exception of the body joins the ExceptionGroup.
    [[nodiscard]] Task<> exit(std::exception_ptr body_error);
#endif

    /// Cancels every child still running.
    void cancel_all() noexcept;
    /// Children started through the group that have not been reaped yet.
    [[nodiscard]] std::size_t size() const noexcept { return m_children.size(); }

private:
    template <class Body>
    friend auto task_group(Body body) -> Task<detail::await_result_t<std::invoke_result_t<Body&, TaskGroup&>>>;

    struct Child final : detail::DoneCallback {
        Child(TaskGroup& owner, TaskRef child) : group(owner), task(std::move(child)) {}
        void on_task_done(detail::TaskState&) noexcept override { group.child_done(*this); }
        TaskGroup& group;
        TaskRef task;
    };
    class AllDone;
    void add(TaskRef task);
    void child_done(Child& child) noexcept;
    /// The group is failing or its task is cancelled: cancel the children, take no new ones.
    void abort() noexcept;

    std::list<Child> m_children;  ///< children not done yet (stable addresses for callbacks)
#if ASYNCIO_EXCEPTIONS
    std::vector<std::exception_ptr> m_errors;  ///< the children's exceptions, in order
#endif
    /// task_group(): the task running the body, which a failing child cancels. The statement
    /// form has none.
    detail::TaskState* m_body_task = nullptr;
    AllDone* m_waiter = nullptr;  ///< the end of the group in progress
    bool m_aborting = false;
    bool m_body_cancel_requested = false;  ///< a child's failure cancelled the body
    bool m_finished = false;
};

/// asyncio.TaskGroup as a scope: runs `body(group)` in the current task, then ends the group as
/// `async with` does (see the top of this file), and returns what the body returned. `body` is
/// a callable returning a Task (a lambda coroutine: it may capture by reference, it is kept alive
/// until the group is done).
template <class Body>
auto task_group(Body body) -> Task<detail::await_result_t<std::invoke_result_t<Body&, TaskGroup&>>> {
    using Result = detail::await_result_t<std::invoke_result_t<Body&, TaskGroup&>>;
    TaskGroup group;
    group.m_body_task = detail::current_task_state();
#if ASYNCIO_EXCEPTIONS
    std::conditional_t<std::is_void_v<Result>, bool, std::optional<Result>> result{};
    std::exception_ptr body_error;
    try {
        if constexpr (std::is_void_v<Result>) {
            co_await body(group);
        } else {
            result.emplace(co_await body(group));
        }
    } catch (...) {
        body_error = std::current_exception();
    }
    co_await group.exit(body_error);
    if constexpr (!std::is_void_v<Result>) co_return std::move(*result);
#else
    if constexpr (std::is_void_v<Result>) {
        co_await body(group);
        co_await group.wait();
    } else {
        Result result = co_await body(group);
        co_await group.wait();
        co_return result;
    }
#endif
}

}  // namespace asyncio
