#pragma once
// gather(a, b, ...): runs tasks concurrently and returns all their results, asyncio.gather.
//
//   auto [temperature, humidity] = co_await asyncio::gather(read_temp(), read_humidity());
//   auto outcomes = co_await asyncio::gather(asyncio::return_exceptions, read_temp(), fetch());
//   if (auto* error = std::get_if<std::exception_ptr>(&std::get<1>(outcomes))) ...
//
// As in CPython: the first failure (an exception, or a child's cancellation) propagates at once
// and the other children keep running (TaskGroup is the form that cancels them); their later
// failures are not reported as lost. Cancelling the gathering task cancels every child and
// throws CancelledError once all are done. A `void` task's result is std::monostate.

#include <asyncio/core/detail/task_set_wait.hpp>
#include <asyncio/core/task.hpp>

#include <exception>
#include <tuple>
#include <type_traits>
#include <variant>
#include <vector>

namespace asyncio {

/// The tag of gather(return_exceptions, ...): CPython's `return_exceptions=True`.
struct ReturnExceptions {
    explicit ReturnExceptions() = default;
};
/// Pass first to gather() for each child's result or exception instead of the first failure.
inline constexpr ReturnExceptions return_exceptions{};

namespace detail {

template <class T>
using gathered_t = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

/// gather(return_exceptions, ...): a child's result, or what it failed with (its CancelledError
/// included).
template <class T>
using outcome_t = std::variant<gathered_t<T>, std::exception_ptr>;

template <class T>
gathered_t<T> take_result(Task<T>& task) {
    if constexpr (std::is_void_v<T>) {
        task.result();
        return {};
    } else {
        return std::move(task.result());
    }
}

#if ASYNCIO_EXCEPTIONS
template <class T>
outcome_t<T> take_outcome(Task<T>& task) {
    if (task.state().failed()) return task.state().take_exception();
    return take_result(task);
}
#endif

/// Starts every task (in argument order) and returns their states.
template <class... Ts>
std::vector<TaskState*> start_all(Task<Ts>&... tasks) {
    if (!(static_cast<bool>(tasks) && ...)) fatal_error("gather() of an empty Task (no memory for a coroutine frame?)");
    (get_event_loop().start(tasks.state()), ...);
    return {&tasks.state()...};
}

template <class T>
std::vector<TaskState*> start_all(std::vector<Task<T>>& tasks) {
    std::vector<TaskState*> states;
    states.reserve(tasks.size());
    for (auto& task : tasks) {
        if (!task) fatal_error("gather() of an empty Task (no memory for a coroutine frame?)");
        get_event_loop().start(task.state());
        states.push_back(&task.state());
    }
    return states;
}

/// Waits until every task is done or, with stop_at_failure, until the first fails; then passes
/// that failure on (rethrows its exception; without exceptions: cancels the gathering task).
Task<> gather_children(std::vector<TaskState*> tasks, bool stop_at_failure);

}  // namespace detail

/// Runs `tasks` concurrently (each is started on the loop at once, in argument order) and
/// returns their results in the same order.
///
/// Suspends when: any task is not done. Resumed by: the loop, once every task is done, or at the
/// first failure. Returns: a tuple of the results (std::monostate for a `void` task); rethrows
/// the first failure (an exception, or CancelledError for a cancelled child) while the other
/// tasks run on. Cancellation: cancelling the gathering task cancels every child and throws
/// CancelledError once all are done. Lifetime: the tasks are owned by the gather (moved in).
template <class... Ts>
Task<std::tuple<detail::gathered_t<Ts>...>> gather(Task<Ts>... tasks) {
    co_await detail::gather_children(detail::start_all(tasks...), true);
    co_return std::tuple<detail::gathered_t<Ts>...>(detail::take_result(tasks)...);
}

/// gather over a run-time number of tasks of one type: the results in the same order.
template <class T>
Task<std::vector<detail::gathered_t<T>>> gather(std::vector<Task<T>> tasks) {
    co_await detail::gather_children(detail::start_all(tasks), true);
    std::vector<detail::gathered_t<T>> results;
    results.reserve(tasks.size());
    for (auto& task : tasks) results.push_back(detail::take_result(task));
    co_return results;
}

#if ASYNCIO_EXCEPTIONS
/// gather(return_exceptions, ...): waits for every child, and returns each one's result or the
/// exception it failed with, as std::variant<result, std::exception_ptr>. It throws only when
/// the gathering task itself is cancelled (after every child is done).
template <class... Ts>
Task<std::tuple<detail::outcome_t<Ts>...>> gather(ReturnExceptions, Task<Ts>... tasks) {
    co_await detail::gather_children(detail::start_all(tasks...), false);
    co_return std::tuple<detail::outcome_t<Ts>...>(detail::take_outcome(tasks)...);
}

/// gather(return_exceptions, ...) over a run-time number of tasks of one type.
template <class T>
Task<std::vector<detail::outcome_t<T>>> gather(ReturnExceptions, std::vector<Task<T>> tasks) {
    co_await detail::gather_children(detail::start_all(tasks), false);
    std::vector<detail::outcome_t<T>> outcomes;
    outcomes.reserve(tasks.size());
    for (auto& task : tasks) outcomes.push_back(detail::take_outcome(task));
    co_return outcomes;
}
#endif

}  // namespace asyncio
