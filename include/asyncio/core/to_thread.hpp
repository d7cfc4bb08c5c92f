#pragma once
// to_thread(fn, args...): runs a blocking function (a slow sensor read, a file) on a worker
// thread and awaits its result, asyncio.to_thread. Only where the platform has threads.
//
//   std::string text = co_await asyncio::to_thread(read_whole_file, path);

#include <asyncio/core/task.hpp>
#include <asyncio/core/thread_safe_flag.hpp>

#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>

namespace asyncio {

namespace detail {
template <class R>
struct ThreadResult {
    ThreadSafeFlag finished;
    std::conditional_t<std::is_void_v<R>, bool, std::optional<R>> value{};
    std::exception_ptr error;
};
}  // namespace detail

/// The function and its arguments are copied (moved) to the thread. Cancellation: the awaiting
/// task gets CancelledError at once; the thread runs to completion and its result is dropped (a
/// thread cannot be interrupted safely), as in CPython.
template <class Function, class... Args>
Task<std::invoke_result_t<std::decay_t<Function>, std::decay_t<Args>...>> to_thread(Function function, Args... args) {
    using Result = std::invoke_result_t<std::decay_t<Function>, std::decay_t<Args>...>;
    auto shared = std::make_shared<detail::ThreadResult<Result>>();
    std::thread([shared, function = std::move(function), ... args = std::move(args)]() mutable {
        try {
            if constexpr (std::is_void_v<Result>) {
                std::invoke(function, std::move(args)...);
            } else {
                shared->value.emplace(std::invoke(function, std::move(args)...));
            }
        } catch (...) {
            shared->error = std::current_exception();
        }
        shared->finished.set();
    }).detach();
    co_await shared->finished.wait();
    if (shared->error) std::rethrow_exception(shared->error);
    if constexpr (!std::is_void_v<Result>) co_return std::move(*shared->value);
}

}  // namespace asyncio
