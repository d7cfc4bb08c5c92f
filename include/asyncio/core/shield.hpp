#pragma once
// shield(task): awaits a task while protecting it from the awaiting task's cancellation,
// asyncio.shield.
//
//   auto saving = asyncio::create_task(save_settings());
//   try {
//       co_await asyncio::shield(saving);            // or shield(save_settings()): a task of its own
//   } catch (const asyncio::CancelledError&) {
//       // this task was cancelled; saving runs on, the loop keeps it
//       throw;
//   }
//
// Suspends when: the task is not done. Resumed by: the task finishing. Returns: what the task
// returned (a reference into a Task you passed by lvalue, the value itself for one moved in or a
// coroutine), or rethrows its exception. Cancellation of the awaiting task: co_await throws
// CancelledError at once and the shielded task runs on untouched; an exception it ends with later
// is reported as never retrieved unless somebody retrieves it (as in CPython 3.12). Cancelling the
// shielded task itself: co_await throws its CancelledError (without exceptions: the awaiting task
// is cancelled). Lifetime: a Task passed by lvalue must outlive the co_await; a coroutine or a
// task moved in lives in the awaiter (the loop keeps the task running after it is gone).

#include <asyncio/core/detail/task_state.hpp>
#include <asyncio/core/fatal_error.hpp>
#include <asyncio/core/loop.hpp>
#include <asyncio/core/task.hpp>

#include <coroutine>
#include <type_traits>
#include <utility>

namespace asyncio {

namespace detail {

/// The task a Shield awaits: owned (a coroutine or a task moved in) or borrowed (an lvalue).
template <class T, bool Owned>
struct ShieldedTask {
    Task<T> task;
    Task<T>& get() noexcept { return task; }
};

template <class T>
struct ShieldedTask<T, false> {
    Task<T>* task;
    Task<T>& get() noexcept { return *task; }
};

/// Starts `task` on the running loop unless create_task() started it already (ensure_future).
template <class T>
void ensure_started(Task<T>& task) {
    if (!task) fatal_error("shield() of an empty Task (no memory for a coroutine frame?)");
    if (!task.state().is_root()) get_event_loop().start(task.state());
}

}  // namespace detail

/// The awaiter shield() returns; co_await it once.
template <class T, bool Owned>
class [[nodiscard]] Shield final : detail::Wait, detail::DoneCallback {
public:
    /// \cond INTERNAL
    explicit Shield(detail::ShieldedTask<T, Owned> shielded) noexcept : m_shielded(std::move(shielded)) {}
    /// \endcond
    /// Moves the shield before it is awaited (shield() returns it by value).
    Shield(Shield&& other) noexcept : detail::Wait(other), detail::DoneCallback(), m_shielded(std::move(other.m_shielded)) {}
    Shield& operator=(const Shield&) = delete;
    ~Shield() = default;  // a registration still in place unlinks itself (DoneCallback's hook)

    bool await_ready() noexcept {
#if ASYNCIO_EXCEPTIONS
        return state().done();
#else
        return state().done() && !state().cancelled();
#endif
    }

    bool await_suspend(std::coroutine_handle<> awaiting) noexcept {
#if !ASYNCIO_EXCEPTIONS
        if (state().done()) {  // ended cancelled: so does the awaiting task
            begin_wait_on_tasks(awaiting);
            wake_cancelled();
            return true;
        }
#endif
        if (!begin_wait(awaiting)) return false;
        state().add_done_callback(*this);
        return true;
    }

    decltype(auto) await_resume() {
        end_wait();  // CancelledError if the awaiting task was cancelled
        Task<T>& task = m_shielded.get();
        if constexpr (std::is_void_v<T>) {
            task.result();
        } else if constexpr (Owned) {
            return T(std::move(task.result()));
        } else {
            return static_cast<T&>(task.result());
        }
    }

private:
    [[nodiscard]] detail::TaskState& state() noexcept { return m_shielded.get().state(); }

    /// The awaiting task's cancellation stops here: only the wait ends, as CPython cancels the
    /// outer future and leaves the inner one alone.
    detail::CancelAction cancel_wait() noexcept override {
        HListHook::unlink();
        return detail::CancelAction::wake_now;
    }

#if ASYNCIO_EXCEPTIONS
    void on_task_done(detail::TaskState&) noexcept override { wake(); }
#else
    void on_task_done(detail::TaskState& task) noexcept override {
        if (task.cancelled()) {
            wake_cancelled();
        } else {
            wake();
        }
    }
#endif

    detail::ShieldedTask<T, Owned> m_shielded;
};

/// asyncio.shield(coroutine): runs it as a task of its own and awaits it, shielded.
template <class T>
Shield<T, true> shield(Task<T>&& task) {
    detail::ensure_started(task);
    return Shield<T, true>(detail::ShieldedTask<T, true>{std::move(task)});
}

/// asyncio.shield(task): awaits a task (started now if create_task() has not), shielded. `task`
/// must outlive the co_await.
template <class T>
Shield<T, false> shield(Task<T>& task) {
    detail::ensure_started(task);
    return Shield<T, false>(detail::ShieldedTask<T, false>{&task});
}

}  // namespace asyncio
