#pragma once
// Waiting for tasks without taking on their outcome, and time limits without exceptions: the same
// code in both build profiles (config.hpp).
//
//   auto worker = asyncio::create_task(read_sensor());
//   co_await asyncio::wait(worker);                    // done, whatever the way; never throws
//   if (worker.cancelled()) ...
//
//   std::vector<asyncio::Task<int>> reads;             // asyncio.wait(fs, timeout, return_when)
//   reads.push_back(asyncio::create_task(read_sensor()));
//   reads.push_back(asyncio::create_task(read_backup_sensor()));
//   auto [done, pending] = co_await asyncio::wait(std::move(reads), 500ms, asyncio::ReturnWhen::first_completed);
//   for (auto& task : pending) task.cancel();          // nothing is cancelled for you
//
//   std::optional<int> value = co_await asyncio::try_wait_for(read_sensor(), 500ms);
//   if (!value) ...                                    // too late: read_sensor() was cancelled

#include <asyncio/core/detail/as_task.hpp>
#include <asyncio/core/detail/done_wait.hpp>
#include <asyncio/core/detail/task_state.hpp>
#include <asyncio/core/detail/timer_heap.hpp>
#include <asyncio/core/fatal_error.hpp>
#include <asyncio/core/task.hpp>
#include <asyncio/core/timeout.hpp>

#include <chrono>
#include <coroutine>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

namespace asyncio {

namespace detail {

template <class T>
using try_result_t = std::conditional_t<std::is_void_v<T>, bool, std::optional<T>>;

template <class T>
Task<try_result_t<T>> try_wait_for(Task<T> work, Duration limit) {
    if (!work) fatal_error("try_wait_for() of an empty Task (no memory for a coroutine frame?)");
    ScheduledTask<T> child = create_task(std::move(work));
    EventLoop& loop = get_event_loop();
    {
        DoneWait in_time(child.state(), deadline_after(loop.time(), limit), true);
        co_await in_time;
    }
    if (!child.done()) {
        child.cancel();
        DoneWait unwound(child.state(), std::nullopt, true);  // its cleanup has run when this ends
        co_await unwound;
    }
    if constexpr (std::is_void_v<T>) {
        if (child.cancelled()) co_return false;
        child.result();  // with exceptions: rethrows what the work threw
        co_return true;
    } else {
        if (child.cancelled()) co_return std::nullopt;
        co_return std::optional<T>(std::move(child.result()));
    }
}

}  // namespace detail

/// What asyncio::wait(tasks, ...) yields: CPython's `(done, pending)` pair of sets, as the tasks
/// done when the wait ended and those still running, each in the order they were given.
template <class Handle>
struct WaitResult {
    std::vector<Handle> done;     ///< finished (returned, failed or cancelled) when the wait ended
    std::vector<Handle> pending;  ///< still running
};

namespace detail {

/// The task behind a handle that wait() and as_completed() accept: a Task<T> (or ScheduledTask<T>)
/// or a TaskRef. Null for an empty handle.
template <class T>
TaskState* handle_state(const Task<T>& task) noexcept {
    return task ? &task.state() : nullptr;
}
inline TaskState* handle_state(const TaskRef& task) noexcept { return task.state(); }

/// Drops the handles to a task already in `tasks`, keeping the first (CPython turns `fs` into a
/// set). Only TaskRefs can repeat: a Task<T> is the one handle to its task.
template <class Handle>
void remove_duplicate_tasks(std::vector<Handle>& tasks) {
    std::vector<Handle> unique;
    unique.reserve(tasks.size());
    for (Handle& task : tasks) {
        bool seen = false;
        for (const Handle& kept : unique) seen = seen || handle_state(kept) == handle_state(task);
        if (!seen) unique.push_back(std::move(task));
    }
    tasks = std::move(unique);
}

template <class Handle>
std::vector<TaskState*> states_of(const std::vector<Handle>& tasks) {
    std::vector<TaskState*> states;
    states.reserve(tasks.size());
    for (const Handle& task : tasks) states.push_back(handle_state(task));
    return states;
}

template <class Handle>
Task<WaitResult<Handle>> wait_for_tasks(std::vector<Handle> tasks, std::optional<Duration> timeout, ReturnWhen when) {
    if (tasks.empty()) fail<std::invalid_argument>("wait(): the set of tasks is empty");
    if (when != ReturnWhen::first_completed && when != ReturnWhen::first_exception && when != ReturnWhen::all_completed) {
        fail<std::invalid_argument>("wait(): invalid return_when value");
    }
    for (const Handle& task : tasks) {
        const TaskState* state = handle_state(task);
        // CPython raises TypeError for a coroutine: "Passing coroutines is forbidden, use tasks explicitly."
        if (state == nullptr || !state->is_root()) fail<std::invalid_argument>("wait(): pass tasks started by create_task(), not coroutines");
    }
    remove_duplicate_tasks(tasks);
    std::optional<TimePoint> deadline;
    if (timeout) deadline = deadline_after(get_event_loop().time(), *timeout);
    {
        TasksDoneWait waiting(states_of(tasks), when, deadline);
        co_await waiting;
    }
    WaitResult<Handle> result;
    for (Handle& task : tasks) (handle_state(task)->done() ? result.done : result.pending).push_back(std::move(task));
    co_return result;
}

}  // namespace detail

/// Suspends until `task` (started by create_task) is done, however it ended, and never throws
/// its exception nor passes on its cancellation: look at task.cancelled() / task.result()
/// after. Cancelling the waiting task ends the wait (`task` runs on), as asyncio.wait does.
template <class T>
detail::DoneWait wait(const Task<T>& task) {
    if (!task || !task.state().is_root()) detail::fail<InvalidStateError>("wait(): the task was not started by create_task()");
    return detail::DoneWait(task.state(), std::nullopt, false);
}

/// asyncio.wait(tasks, return_when=...): suspends until `return_when` holds for `tasks` (started
/// tasks: `Task<T>`/`ScheduledTask<T>` moved in, or TaskRefs) and yields them back sorted into
/// WaitResult::done and WaitResult::pending. Resumed by: the task completion that satisfies `return_when`.
/// Never throws what the tasks threw, never cancels them. An empty `tasks`, or a task that was
/// not started by create_task, is std::invalid_argument (CPython's ValueError / TypeError),
/// raised when awaited. Cancellation of the awaiting task: the wait ends, co_await throws
/// CancelledError, and every task runs on (the loop holds them; the handles moved in are
/// dropped, so keep a TaskRef to look at them afterwards). Copy TaskRefs in to keep your own
/// handles; the vector moves the Task<T>s themselves in and out.
template <class Handle>
Task<WaitResult<Handle>> wait(std::vector<Handle> tasks, ReturnWhen return_when = ReturnWhen::all_completed) {
    return detail::wait_for_tasks(std::move(tasks), std::nullopt, return_when);
}

/// asyncio.wait(tasks, timeout=..., return_when=...): as above, and yields what is done and what
/// is still pending once `timeout` has passed. Nothing is cancelled at the timeout: the pending
/// tasks run on, and no TimeoutError is raised.
template <class Handle, class Rep, class Period>
Task<WaitResult<Handle>> wait(std::vector<Handle> tasks, std::chrono::duration<Rep, Period> timeout,
                              ReturnWhen return_when = ReturnWhen::all_completed) {
    return detail::wait_for_tasks(std::move(tasks), std::optional<Duration>(detail::to_duration(timeout)), return_when);
}

/// Runs `work` as a task of its own for at most `limit`. Yields its result (true for a void
/// one), or an empty optional (false) once the limit has passed and the work has been
/// cancelled and unwound, or if somebody else cancelled it. With exceptions, an exception of the
/// work propagates. Cancelling the waiting task cancels the work and waits for it first.
template <class T, class Rep, class Period>
Task<detail::try_result_t<T>> try_wait_for(Task<T> work, std::chrono::duration<Rep, Period> limit) {
    return detail::try_wait_for(std::move(work), detail::to_duration(limit));
}

/// try_wait_for with any awaitable (an Event's wait(), a Queue's get()...), run as a task.
template <class Awaitable, class Rep, class Period>
auto try_wait_for(Awaitable awaitable, std::chrono::duration<Rep, Period> limit) {
    return detail::try_wait_for(detail::as_task(std::move(awaitable)), detail::to_duration(limit));
}

/// try_wait_for with the limit in milliseconds, as wait_for_ms.
template <class Awaitable>
auto try_wait_for_ms(Awaitable awaitable, long long milliseconds) {
    return try_wait_for(std::move(awaitable), std::chrono::milliseconds(milliseconds));
}

}  // namespace asyncio
