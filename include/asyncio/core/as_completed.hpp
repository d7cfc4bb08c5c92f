#pragma once
// as_completed(tasks, timeout): the tasks one by one in the order they finish, asyncio.as_completed.

#include <asyncio/core/config.hpp>
#include <asyncio/core/detail/intrusive_list.hpp>
#include <asyncio/core/detail/task_state.hpp>
#include <asyncio/core/detail/timer_heap.hpp>
#include <asyncio/core/errors.hpp>
#include <asyncio/core/fatal_error.hpp>
#include <asyncio/core/loop.hpp>
#include <asyncio/core/task.hpp>
#include <asyncio/core/wait.hpp>

#include <chrono>
#include <coroutine>
#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

namespace asyncio {

/// as_completed(tasks, timeout): the tasks one by one in the order they finish, asyncio.as_completed.
///
/// \code
/// std::vector<asyncio::Task<std::string>> fetches;
/// for (auto& url : urls) fetches.push_back(fetch(url));    // started here if not already
/// auto completed = asyncio::as_completed(std::move(fetches), 5s);
/// while (completed.has_next()) {
///     asyncio::Task<std::string> first = co_await completed.next();   // TimeoutError once 5 s passed
///     use(first.result());                                             // its result, or its exception
/// }
/// \endcode
///
/// CPython 3.12 returns an iterator of coroutines, each awaiting the next task to finish; here
/// the object that iterator would share is explicit: each next() is such a coroutine (lazy, and
/// whichever is awaited first gets the first task to finish), and has_next() says whether the
/// iterator would yield another. next() yields the finished task itself, not its result, so that
/// a failure is looked at when wanted (co_await (co_await completed.next()) rethrows it).
/// try_next() is the form without exceptions: an empty optional once the time is up.
///
/// Suspends when: no task has finished that was not yet handed out. Resumed by: a task finishing
/// (one waiter per task), or the timeout (every waiter). Returns: the finished task. Timeout:
/// measured from the as_completed() call; every next() after it that finds no task finished
/// throws TimeoutError (try_next(): std::nullopt); the tasks are not cancelled and run on.
/// Cancellation of the awaiting task: its next() throws CancelledError, the tasks run on, and the
/// task it would have got stays for the next next(). Lifetime: the AsCompleted object must outlive
/// every next() awaited on it (it cannot move: the tasks' callbacks point at it), and the loop
/// must outlive the object.
template <class Handle>
class [[nodiscard]] AsCompleted final : detail::TimerNode {
public:
    /// Starts the Task<T>s not started yet (CPython wraps coroutines in tasks); a TaskRef must
    /// refer to a started task (std::invalid_argument otherwise). Repeated TaskRefs count once.
    AsCompleted(std::vector<Handle> tasks, std::optional<Duration> timeout);
    AsCompleted(const AsCompleted&) = delete;
    AsCompleted& operator=(const AsCompleted&) = delete;
    ~AsCompleted() override = default;  // the watches unlink themselves, TimerNode disarms

    /// Whether next() may be called again: as many calls as there are distinct tasks.
    [[nodiscard]] bool has_next() const noexcept { return m_calls_left > 0; }
    /// How many more next() calls there are.
    [[nodiscard]] std::size_t remaining() const noexcept { return m_calls_left; }

#if ASYNCIO_EXCEPTIONS
    /// The next task to finish, once it has; TimeoutError if the timeout passes first.
    /// InvalidStateError when called with has_next() false (CPython's StopIteration).
    Task<Handle> next() {
        claim_call();
        return next_or_timeout();
    }
#endif
    /// next() without exceptions: std::nullopt once the timeout has passed.
    Task<std::optional<Handle>> try_next() {
        claim_call();
        return next_finished();
    }

private:
    struct Watch final : detail::DoneCallback {
        AsCompleted* owner = nullptr;
        std::size_t index = 0;
        void on_task_done(detail::TaskState&) noexcept override { owner->task_finished(index); }
    };

    /// One co_await of a next() with nothing to hand out yet.
    class NextWait final : detail::Wait, public detail::ListHook {
    public:
        explicit NextWait(AsCompleted& owner) noexcept : m_owner(owner) {}
        bool await_ready() const noexcept { return false; }
        bool await_suspend(std::coroutine_handle<> handle) noexcept {
            if (!begin_wait(handle)) return false;
            m_owner.m_waiters.push_back(*this);
            return true;
        }
        void await_resume() const {
            // Woken for a task and cancelled before it ran: the task goes to the next waiter.
            if (cancel_pending()) m_owner.wake_one_waiter();
            end_wait();
        }
        void notify() noexcept { wake(); }

    private:
        detail::CancelAction cancel_wait() noexcept override {
            unlink();
            return detail::CancelAction::wake_now;
        }
        AsCompleted& m_owner;
    };

    void claim_call() {
        if (m_calls_left == 0) detail::fail<InvalidStateError>("as_completed: next() called after the last task");
        --m_calls_left;
    }

    Task<std::optional<Handle>> next_finished() {
        while (m_finished.empty() && !m_timed_out) {
            NextWait waiting(*this);
            co_await waiting;
        }
        if (m_finished.empty()) co_return std::nullopt;  // the timeout passed
        std::optional<Handle> first(std::move(m_finished.front()));
        m_finished.pop_front();
        co_return first;
    }

#if ASYNCIO_EXCEPTIONS
    Task<Handle> next_or_timeout() {
        std::optional<Handle> finished = co_await next_finished();
        if (!finished) throw TimeoutError();
        co_return std::move(*finished);
    }
#endif

    void task_finished(std::size_t index) noexcept {
        m_finished.push_back(std::move(m_tasks[index]));
        wake_one_waiter();
    }

    void wake_one_waiter() noexcept {
        if (!m_finished.empty() && !m_waiters.empty()) m_waiters.pop_front().notify();
    }

    /// The timeout: no more tasks are handed out after those already finished.
    void fire() override {
        m_timed_out = true;
        for (std::size_t i = 0; i < m_tasks.size(); ++i) m_watches[i].unlink();
        while (!m_waiters.empty()) m_waiters.pop_front().notify();
    }

    std::vector<Handle> m_tasks;  ///< a task moves to m_finished when it finishes
    std::unique_ptr<Watch[]> m_watches;
    std::deque<Handle> m_finished;  ///< finished, not handed out yet, oldest first
    detail::IntrusiveList<NextWait> m_waiters;
    std::size_t m_calls_left = 0;
    bool m_timed_out = false;
};

template <class Handle>
AsCompleted<Handle>::AsCompleted(std::vector<Handle> tasks, std::optional<Duration> timeout) {
    EventLoop& loop = get_event_loop();
    for (Handle& task : tasks) {
        detail::TaskState* state = detail::handle_state(task);
        if (state == nullptr) detail::fail<std::invalid_argument>("as_completed(): an empty task handle");
        if (!state->is_root()) {
            if constexpr (std::is_same_v<Handle, TaskRef>) {
                detail::fail<std::invalid_argument>("as_completed(): a TaskRef to a task not started by create_task()");
            } else {
                loop.start(*state);  // a coroutine becomes a task, as ensure_future() does
            }
        }
    }
    detail::remove_duplicate_tasks(tasks);
    m_tasks = std::move(tasks);
    m_calls_left = m_tasks.size();
    m_watches.reset(new Watch[m_tasks.size()]);
    for (std::size_t i = 0; i < m_tasks.size(); ++i) {
        detail::TaskState& state = *detail::handle_state(m_tasks[i]);
        if (state.done()) {
            m_finished.push_back(std::move(m_tasks[i]));
            continue;
        }
        m_watches[i].owner = this;
        m_watches[i].index = i;
        state.add_done_callback(m_watches[i]);
    }
    if (timeout) loop.add_timer(*this, detail::deadline_after(loop.time(), *timeout));
}

/// asyncio.as_completed(tasks): see the top of this file. `tasks` are Task<T>s (moved in) or
/// TaskRefs.
template <class Handle>
AsCompleted<Handle> as_completed(std::vector<Handle> tasks) {
    return AsCompleted<Handle>(std::move(tasks), std::nullopt);
}

/// asyncio.as_completed(tasks, timeout=...): a next() that finds nothing finished once `timeout`
/// (from now) has passed throws TimeoutError; the tasks are not cancelled.
template <class Handle, class Rep, class Period>
AsCompleted<Handle> as_completed(std::vector<Handle> tasks, std::chrono::duration<Rep, Period> timeout) {
    return AsCompleted<Handle>(std::move(tasks), detail::to_duration(timeout));
}

}  // namespace asyncio
