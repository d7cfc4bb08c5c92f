#pragma once
// An awaitable that is either a result known at once or a Task to await: the fast path of an
// I/O operation (data already there, buffer flushed at once) then costs no coroutine frame, and
// only a real wait pays for one.

#include <asyncio/core/task.hpp>

#include <optional>
#include <type_traits>
#include <utility>

namespace asyncio::detail {

template <class T>
class [[nodiscard]] MaybeTask {
    using Stored = std::conditional_t<std::is_void_v<T>, bool, T>;

public:
    /// Already done, with `value` (or, for void, nothing).
    static MaybeTask ready(Stored value = Stored{}) {
        MaybeTask result;
        result.m_value.emplace(std::move(value));
        return result;
    }
    /// Not done yet: awaiting runs `task` inline.
    MaybeTask(Task<T> task) noexcept : m_task(std::move(task)) {}  // NOLINT: implicit on purpose
    /// Movable until awaited (wait_for() takes its awaitable by value).
    MaybeTask(MaybeTask&& other) noexcept : m_value(std::move(other.m_value)), m_task(std::move(other.m_task)) {}
    MaybeTask& operator=(MaybeTask&&) = delete;

    bool await_ready() const noexcept { return m_value.has_value(); }
    auto await_suspend(std::coroutine_handle<> awaiting) noexcept {
        m_awaiter.emplace(std::coroutine_handle<Promise<T>>::from_address(m_task.state().frame().address()));
        return m_awaiter->await_suspend(awaiting);
    }
    T await_resume() {
        if (m_awaiter) return m_awaiter->await_resume();
        if constexpr (!std::is_void_v<T>) return std::move(*m_value);
    }

private:
    MaybeTask() = default;
    std::optional<Stored> m_value;
    Task<T> m_task;
    std::optional<TaskAwaiter<T, true>> m_awaiter;
};

}  // namespace asyncio::detail
