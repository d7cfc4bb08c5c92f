#pragma once
// The waiting part of Queue::get()/put(). CPython's get() is `while empty(): wait to be woken`,
// then get_nowait(): a task woken by put() checks again when it runs, and if another task took
// the item meanwhile it waits again. Waiting more than once needs a coroutine; an awaiter
// (resumed once) cannot. So get()/put() are awaiters that complete at once when they can, and
// otherwise run that loop as a coroutine, inline, in the same step of the same task (as
// `await q.get()` runs the coroutine in CPython): only a caller that has to wait pays for a
// coroutine frame.

#include <asyncio/core/task.hpp>

#include <coroutine>
#include <optional>
#include <utility>

namespace asyncio::detail {

/// Runs a Task inline from an awaiter's await_suspend, and gives its result (or rethrows its
/// exception) in the awaiter's await_resume. Lives in the awaiter, hence in the awaiting frame;
/// destroying it destroys the coroutine (what unwinding a cancelled task does without
/// exceptions).
template <class R>
class SlowPath {
public:
    SlowPath() = default;
    SlowPath(SlowPath&&) noexcept = default;  // before it starts only (wait_for moves awaiters)

    /// Starts `coroutine` inline; control passes to it once the awaiting coroutine has suspended.
    /// Without exceptions, a Task left empty (no frame memory) is a fatal_error().
    void start(Task<R> coroutine, std::coroutine_handle<> awaiting) {
        m_task = std::move(coroutine);
        m_awaiter.emplace(std::move(m_task).operator co_await());
        m_awaiter->await_suspend(awaiting);
    }
    [[nodiscard]] bool started() const noexcept { return m_awaiter.has_value(); }
    R result() { return m_awaiter->await_resume(); }

private:
    Task<R> m_task;  // declared first: destroyed after the awaiter that refers to its frame
    std::optional<TaskAwaiter<R, true>> m_awaiter;
};

}  // namespace asyncio::detail
