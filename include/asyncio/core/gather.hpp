#pragma once
// gather(a, b, ...): runs tasks concurrently and returns all their results, asyncio.gather.
//
//   auto [temperature, humidity] = co_await asyncio::gather(read_temp(), read_humidity());
//
// The first failure (exception or cancellation of a child) cancels the others, waits until they
// are done, and propagates. Cancelling the gathering task cancels every child. A `void` task's
// result is std::monostate.

#include <asyncio/core/detail/task_set_wait.hpp>
#include <asyncio/core/task.hpp>

#include <exception>
#include <tuple>
#include <type_traits>
#include <variant>
#include <vector>

namespace asyncio {

namespace detail {

template <class T>
using gathered_t = std::conditional_t<std::is_void_v<T>, std::monostate, T>;

template <class T>
gathered_t<T> take_result(Task<T>& task) {
    if constexpr (std::is_void_v<T>) {
        task.result();
        return {};
    } else {
        return std::move(task.result());
    }
}

/// Waits for all of `tasks`; on the first failure cancels the rest, waits for them, rethrows it.
Task<> wait_all_or_first_failure(std::vector<TaskState*> tasks);

}  // namespace detail

template <class... Ts>
Task<std::tuple<detail::gathered_t<Ts>...>> gather(Task<Ts>... tasks) {
    if (!(static_cast<bool>(tasks) && ...)) fatal_error("gather() of an empty Task (no memory for a coroutine frame?)");
    (get_event_loop().start(tasks.state()), ...);  // started in argument order
    std::vector<detail::TaskState*> states{&tasks.state()...};  // named: g++ 12 (docs/TOOLCHAIN.md)
    co_await detail::wait_all_or_first_failure(std::move(states));
    co_return std::tuple<detail::gathered_t<Ts>...>(detail::take_result(tasks)...);
}

/// gather over a run-time number of tasks of one type: the results in the same order.
template <class T>
Task<std::vector<detail::gathered_t<T>>> gather(std::vector<Task<T>> tasks) {
    std::vector<detail::TaskState*> states;
    for (auto& task : tasks) {
        if (!task) fatal_error("gather() of an empty Task (no memory for a coroutine frame?)");
        get_event_loop().start(task.state());
        states.push_back(&task.state());
    }
    co_await detail::wait_all_or_first_failure(std::move(states));
    std::vector<detail::gathered_t<T>> results;
    results.reserve(tasks.size());
    for (auto& task : tasks) results.push_back(detail::take_result(task));
    co_return results;
}

}  // namespace asyncio
