#pragma once
// Any awaitable as a Task of its own: what wait_for, try_wait_for and the functions that run
// work as a separate task (CPython's ensure_future) do with an Event's wait() or a Queue's get().

#include <asyncio/core/task.hpp>

#include <concepts>
#include <type_traits>
#include <utility>

namespace asyncio::detail {

template <class A>
auto get_awaiter(A&& awaitable) {
    if constexpr (requires { std::forward<A>(awaitable).operator co_await(); }) {
        return std::forward<A>(awaitable).operator co_await();
    } else {
        return std::forward<A>(awaitable);
    }
}

/// What `co_await` on an A yields.
template <class A>
using await_result_t = decltype(get_awaiter(std::declval<A>()).await_resume());

template <class A>
concept TaskType = requires { typename std::remove_cvref_t<A>::value_type; } &&
                   std::derived_from<std::remove_cvref_t<A>, Task<typename std::remove_cvref_t<A>::value_type>>;

/// A coroutine that awaits `awaitable` and returns what it yields.
template <class Awaitable>
Task<await_result_t<Awaitable>> as_task(Awaitable awaitable) {
    co_return co_await std::move(awaitable);
}

/// `awaitable` as a Task: a Task (started or not) as it is, anything else wrapped by as_task().
template <class Awaitable>
auto to_task(Awaitable&& awaitable) {
    if constexpr (TaskType<Awaitable>) {
        return Task<typename std::remove_cvref_t<Awaitable>::value_type>(std::move(awaitable));
    } else {
        return as_task(std::forward<Awaitable>(awaitable));
    }
}

}  // namespace asyncio::detail
