#pragma once
// run_coroutine_threadsafe(coroutine, loop): hands a coroutine to a loop running in another thread
// and returns a future that thread can block on, asyncio.run_coroutine_threadsafe (its
// concurrent.futures.Future is ThreadsafeFuture here). Only where the platform has threads, and
// only with exceptions (a result crosses threads as a value or an exception).
//
//   asyncio::EventLoop loop;                                   // run_forever() in the I/O thread
//   // in another thread:
//   asyncio::ThreadsafeFuture<int> answer = asyncio::run_coroutine_threadsafe(read_sensor(), loop);
//   if (answer.wait_for(2s)) use(answer.get());                // get() rethrows its exception
//   else answer.cancel();                                      // cancels the task in the loop thread
//
// The calling thread never suspends: get() and wait_for() block it (on a condition variable),
// and the loop thread sets the future when the task finishes. The task is created on the loop's
// thread (a call_soon_threadsafe callback), so the future is done neither before the loop runs
// that callback nor before the task finishes. cancel() marks the future cancelled at once (get()
// then throws CancelledError) and posts task.cancel() to the loop thread; the task's later result
// is dropped, and an exception nobody sees is reported by the loop as never retrieved, as in
// CPython. Lifetime: the future shares its state with the loop thread, so either side may go
// first; the loop must outlive the submission until the loop is destroyed (a task it abandons at
// shutdown, or a submission it never started, leaves the future cancelled). The coroutine frame
// is allocated by the calling thread and freed by the loop's thread.

#include <asyncio/core/config.hpp>

#if ASYNCIO_EXCEPTIONS

#include <asyncio/core/detail/task_state.hpp>
#include <asyncio/core/errors.hpp>
#include <asyncio/core/fatal_error.hpp>
#include <asyncio/core/loop.hpp>
#include <asyncio/core/task.hpp>

#include <chrono>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace asyncio {

namespace detail {

/// What the submitting thread and the loop thread share. Every field but `task` is guarded by
/// `mutex`; `task` is touched by the loop thread only.
template <class T>
struct ThreadsafeState {
    enum class Outcome { pending, returned, failed, cancelled };

    std::mutex mutex;
    std::condition_variable settled;
    Outcome outcome = Outcome::pending;
    std::conditional_t<std::is_void_v<T>, bool, std::optional<T>> value{};
    std::exception_ptr error;
    /// The loop to post cancel() to, until the task is over (or will never run): then nullptr.
    EventLoop* loop = nullptr;
    /// The running task, while it runs (loop thread only).
    TaskState* task = nullptr;

    /// Settles the future, unless cancel() did first. Returns false if it was settled already.
    template <class Fill>
    bool settle(Outcome outcome_now, Fill&& fill) {
        {
            std::lock_guard lock(mutex);
            loop = nullptr;
            if (outcome != Outcome::pending) return false;
            outcome = outcome_now;
            fill();
        }
        settled.notify_all();
        return true;
    }
};

/// Lives on the loop thread from the moment the submission runs until the task finishes: takes
/// the task's outcome into the shared state.
template <class T>
class ThreadsafeDelivery final : DoneCallback {
public:
    ThreadsafeDelivery(std::shared_ptr<ThreadsafeState<T>> state, Task<T> task)
        : m_state(std::move(state)), m_task(std::move(task)) {}

    /// On the loop thread: starts the task and watches it; deletes itself when it is done.
    static void start(std::unique_ptr<ThreadsafeDelivery> delivery) {
        Task<T>& task = delivery->m_task;
        get_event_loop().start(task.state());
        bool cancelled_already;
        {
            std::lock_guard lock(delivery->m_state->mutex);
            cancelled_already = delivery->m_state->outcome != ThreadsafeState<T>::Outcome::pending;
        }
        // Cancelled before the loop got to it: the task never runs, as CPython's does not.
        if (cancelled_already) task.cancel();
        delivery->m_state->task = &task.state();
        task.state().add_done_callback(*delivery.release());
    }

private:
    void on_task_done(TaskState& done) noexcept override {
        std::unique_ptr<ThreadsafeDelivery> self(this);
        m_state->task = nullptr;
        using Outcome = typename ThreadsafeState<T>::Outcome;
        if (done.cancelled()) {
            m_state->settle(Outcome::cancelled, [] {});
        } else if (done.failed()) {
            // Taken only if delivered: a future cancelled meanwhile leaves it to be reported.
            m_state->settle(Outcome::failed, [&] { m_state->error = done.take_exception(); });
        } else {
            try {
                m_state->settle(Outcome::returned, [&] {
                    if constexpr (std::is_void_v<T>) {
                        m_state->value = true;
                    } else {
                        m_state->value.emplace(std::move(m_task.result()));
                    }
                });
            } catch (...) {  // moving the result threw: the future carries that
                m_state->settle(Outcome::failed, [&] { m_state->error = std::current_exception(); });
            }
        }
    }

    std::shared_ptr<ThreadsafeState<T>> m_state;
    Task<T> m_task;
};

/// The call_soon_threadsafe callback: a std::function must be copyable, a Task is not, so the
/// task waits here. Dropped unrun (the loop was destroyed first): the future ends cancelled.
template <class T>
struct ThreadsafeSubmission {
    std::shared_ptr<ThreadsafeState<T>> state;
    Task<T> task;

    ~ThreadsafeSubmission() {
        if (task) state->settle(ThreadsafeState<T>::Outcome::cancelled, [] {});
    }
    void run() {
        ThreadsafeDelivery<T>::start(std::make_unique<ThreadsafeDelivery<T>>(state, std::move(task)));
    }
};

}  // namespace detail

/// The future run_coroutine_threadsafe() returns (concurrent.futures.Future): used from any
/// thread but the loop's own (get() there would block the loop that must set it). Movable, not
/// copyable; destroying it at any time is safe (the loop thread keeps what it needs).
template <class T>
class [[nodiscard]] ThreadsafeFuture {
public:
    explicit ThreadsafeFuture(std::shared_ptr<detail::ThreadsafeState<T>> state) noexcept : m_state(std::move(state)) {}

    /// Blocks until the task is done, then returns its result or rethrows its exception;
    /// CancelledError if the task or this future was cancelled. Call once for a result that
    /// is moved out (a non-void T).
    T get() {
        std::unique_lock lock(m_state->mutex);
        m_state->settled.wait(lock, [&] { return settled_locked(); });
        return take_locked();
    }

    /// get() that waits at most `timeout`: TimeoutError if the task is not done by then (it
    /// runs on), as concurrent.futures.Future.result(timeout).
    template <class Rep, class Period>
    T get(std::chrono::duration<Rep, Period> timeout) {
        std::unique_lock lock(m_state->mutex);
        if (!m_state->settled.wait_for(lock, timeout, [&] { return settled_locked(); })) {
            throw TimeoutError();
        }
        return take_locked();
    }

    /// Blocks until done (or cancelled).
    void wait() const {
        std::unique_lock lock(m_state->mutex);
        m_state->settled.wait(lock, [&] { return settled_locked(); });
    }

    /// Blocks for at most `timeout`; true if the future is done.
    template <class Rep, class Period>
    bool wait_for(std::chrono::duration<Rep, Period> timeout) const {
        std::unique_lock lock(m_state->mutex);
        return m_state->settled.wait_for(lock, timeout, [&] { return settled_locked(); });
    }

    /// Cancels: the future is cancelled at once, and the task is cancelled in the loop thread
    /// (call_soon_threadsafe). False if the future was done already.
    bool cancel() {
        std::shared_ptr<detail::ThreadsafeState<T>> state = m_state;
        {
            std::lock_guard lock(state->mutex);
            if (state->outcome != Outcome::pending) return false;
            state->outcome = Outcome::cancelled;
            // Posted under the lock: the loop clears `loop` (under it) before it can be destroyed.
            if (state->loop != nullptr) {
                state->loop->call_soon_threadsafe([state] {
                    if (state->task != nullptr) state->task->cancel();
                });
            }
        }
        state->settled.notify_all();
        return true;
    }

    [[nodiscard]] bool done() const {
        std::lock_guard lock(m_state->mutex);
        return settled_locked();
    }
    [[nodiscard]] bool cancelled() const {
        std::lock_guard lock(m_state->mutex);
        return m_state->outcome == Outcome::cancelled;
    }

private:
    using Outcome = typename detail::ThreadsafeState<T>::Outcome;

    [[nodiscard]] bool settled_locked() const noexcept { return m_state->outcome != Outcome::pending; }

    T take_locked() {
        switch (m_state->outcome) {
            case Outcome::cancelled:
                throw CancelledError();
            case Outcome::failed:
                std::rethrow_exception(m_state->error);
            default:
                break;
        }
        if constexpr (std::is_void_v<T>) {
            return;
        } else {
            if (!m_state->value) detail::fail<InvalidStateError>("ThreadsafeFuture::get(): the result was taken already");
            T result(std::move(*m_state->value));
            m_state->value.reset();
            return result;
        }
    }

    std::shared_ptr<detail::ThreadsafeState<T>> m_state;
};

/// asyncio.run_coroutine_threadsafe(coroutine, loop): from a thread that is not `loop`'s, runs
/// `coroutine` as a task on `loop` and returns a future for its outcome. The loop must be
/// running (or run later) in its own thread; see the top of this file for lifetimes.
template <class T>
ThreadsafeFuture<T> run_coroutine_threadsafe(Task<T> coroutine, EventLoop& loop) {
    if (!coroutine) fatal_error("run_coroutine_threadsafe() of an empty Task (no memory for a coroutine frame?)");
    // CPython: TypeError('A coroutine object is required'); a task belongs to its loop already.
    if (coroutine.state().is_root()) throw std::invalid_argument("run_coroutine_threadsafe(): pass a coroutine, not a started task");
    auto state = std::make_shared<detail::ThreadsafeState<T>>();
    state->loop = &loop;
    auto submission = std::make_shared<detail::ThreadsafeSubmission<T>>(state, std::move(coroutine));
    loop.call_soon_threadsafe([submission] { submission->run(); });
    return ThreadsafeFuture<T>(std::move(state));
}

}  // namespace asyncio

#endif  // ASYNCIO_EXCEPTIONS
