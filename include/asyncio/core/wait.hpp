#pragma once
// Waiting for a task without taking on its outcome, and time limits without exceptions: the same
// code in both build profiles (config.hpp).
//
//   auto worker = asyncio::create_task(read_sensor());
//   co_await asyncio::wait(worker);                    // done, whatever the way; never throws
//   if (worker.cancelled()) ...
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
#include <optional>
#include <type_traits>
#include <utility>

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

/// Suspends until `task` (started by create_task) is done, however it ended, and never throws
/// its exception nor passes on its cancellation: look at task.cancelled() / task.result()
/// after. Cancelling the waiting task ends the wait (`task` runs on), as asyncio.wait does.
template <class T>
detail::DoneWait wait(const Task<T>& task) {
    if (!task || !task.state().is_root()) detail::fail<InvalidStateError>("wait(): the task was not started by create_task()");
    return detail::DoneWait(task.state(), std::nullopt, false);
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
