#pragma once
// Task<T>: the return type of every coroutine, and asyncio's Task at the same time.
//
//   asyncio::Task<int> answer() { co_await asyncio::sleep(10ms); co_return 42; }
//   int x = co_await answer();                  // runs it inline, as `await answer()` does
//   auto t = asyncio::create_task(answer());    // runs it concurrently...
//   int y = co_await t;                         // ...and joins it
//
// A Task is lazy: nothing runs until it is awaited or passed to create_task(). It is
// [[nodiscard]], so calling a coroutine and dropping the result (the "nothing happens" trap) is a
// compiler warning, and a task destroyed without ever running is reported at run time.
// create_task() returns a ScheduledTask, which may be dropped: the task runs on regardless.

#include <asyncio/core/detail/task_state.hpp>
#include <asyncio/core/errors.hpp>
#include <asyncio/core/fatal_error.hpp>
#include <asyncio/core/loop.hpp>

#include <coroutine>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace asyncio {

template <class T = void>
class Task;

namespace detail {

template <class T>
class Promise;

/// The TaskState of the coroutine whose frame is `frame`.
inline TaskState& state_of(std::coroutine_handle<> frame) noexcept { return TaskState::of(frame.address()); }

/// At the end of a coroutine: an inline one hands control back to whoever awaited it; a root
/// returns to the loop, which sees it done.
struct FinalAwaiter {
    bool await_ready() const noexcept { return false; }
    template <class P>
    void await_suspend(std::coroutine_handle<P> frame) const noexcept {
        TaskState& state = state_of(frame);
        state.mark_done();
        if (!state.is_root()) resume_next(state.continuation());
    }
    void await_resume() const noexcept {}
};

/// The promise holds only the result; the task's state is in front of the frame (TaskState).
template <class T>
class PromiseBase {
public:
    Task<T> get_return_object() noexcept;
    std::suspend_always initial_suspend() const noexcept { return {}; }
    FinalAwaiter final_suspend() const noexcept { return {}; }
#if ASYNCIO_EXCEPTIONS
    void unhandled_exception() noexcept { state().set_exception(std::current_exception()); }
#else
    void unhandled_exception() noexcept { fatal_error("an exception in a build without exceptions"); }
    /// Out of frame memory: the coroutine call returns an empty Task (`!task`).
    static Task<T> get_return_object_on_allocation_failure() noexcept;
#endif

    // The helpers are out of line on purpose (g++ 12 -Wmismatched-new-delete, docs/TOOLCHAIN.md).
    static void* operator new(std::size_t size) noexcept(!ASYNCIO_EXCEPTIONS) { return TaskState::allocate(size); }
    // The sized form: the frame's size comes back here, so the task's state need not keep it.
    static void operator delete(void* frame, std::size_t size) noexcept { TaskState::frame_destroyed(frame, size); }

    [[nodiscard]] TaskState& state() const noexcept {
        return state_of(std::coroutine_handle<Promise<T>>::from_promise(const_cast<Promise<T>&>(static_cast<const Promise<T>&>(*this))));
    }
};

template <class T>
class Promise final : public PromiseBase<T> {
public:
    template <class U>
        requires std::is_convertible_v<U&&, T>
    void return_value(U&& value) {
        m_value.emplace(std::forward<U>(value));
    }
    T& result() {
#if ASYNCIO_EXCEPTIONS
        this->state().rethrow_if_failed();
#else
        this->state().fail_if_cancelled();
#endif
        return *m_value;
    }

private:
    std::optional<T> m_value;
};

template <>
class Promise<void> final : public PromiseBase<void> {
public:
    void return_void() const noexcept {}
    void result() {
#if ASYNCIO_EXCEPTIONS
        state().rethrow_if_failed();
#else
        state().fail_if_cancelled();
#endif
    }
};

/// co_await on a Task. Unstarted and not scheduled: runs it inline, in the same step of the same
/// task, and comes back when it ends (control passes through resume_next(), so chains of any
/// depth use no stack). Started by create_task: waits until it is done (a join), and cancelling
/// the awaiting task cancels the awaited one too, and waits for it, as in CPython. Without
/// exceptions, joining a task that ended cancelled cancels (unwinds) the joiner, as an uncaught
/// CancelledError would.
template <class T, bool MoveResult>
class TaskAwaiter final : Wait, DoneCallback {
public:
    explicit TaskAwaiter(std::coroutine_handle<Promise<T>> frame) noexcept : m_frame(frame) {
        if (!m_frame) fatal_error("co_await on an empty Task (no memory for a coroutine frame?)");
    }

    bool await_ready() const noexcept {
#if ASYNCIO_EXCEPTIONS
        return state().done();
#else
        return state().done() && !state().cancelled();
#endif
    }

    bool await_suspend(std::coroutine_handle<> awaiting) noexcept {
        TaskState& task = state();
        if (!task.is_root()) {
            task.start_inline(awaiting);
            resume_next(m_frame);  // runs it at once, in this same step of the task
            return true;
        }
        if (&task == current_task_state()) {  // it would wait for itself forever
#if ASYNCIO_EXCEPTIONS
            m_awaits_itself = true;
            return false;  // await_resume throws
#else
            fatal_error("a task cannot await itself");
#endif
        }
        // A join suspends even with a cancellation pending: that cancels the joined task, and
        // the join ends when it is done (CPython: `await task` in a cancelled task).
        begin_wait_on_tasks(awaiting);
        m_joined = true;
#if !ASYNCIO_EXCEPTIONS
        if (task.done()) {  // ended cancelled: so does the joiner
            wake_cancelled();
            return true;
        }
#endif
        task.add_done_callback(*this);
        pass_pending_cancel();
        return true;
    }

    decltype(auto) await_resume() {
#if ASYNCIO_EXCEPTIONS
        if (m_awaits_itself) throw InvalidStateError("Task cannot await on itself");
#endif
        if (m_joined) end_wait();
        if constexpr (std::is_void_v<T>) {
            m_frame.promise().result();
        } else if constexpr (MoveResult) {
            return T(std::move(m_frame.promise().result()));
        } else {
            return static_cast<T&>(m_frame.promise().result());
        }
    }

private:
    [[nodiscard]] TaskState& state() const noexcept { return state_of(m_frame); }
    CancelAction cancel_wait() noexcept override {
        state().cancel_as(*m_task);  // with the same message, as CPython's Task.cancel(msg)
        return CancelAction::outcome_of_awaited;  // woken when the awaited task is done
    }
#if ASYNCIO_EXCEPTIONS
    void on_task_done(TaskState&) noexcept override { wake(); }
#else
    void on_task_done(TaskState& task) noexcept override {
        if (task.cancelled()) {
            wake_cancelled();
        } else {
            wake();
        }
    }
#endif

    std::coroutine_handle<Promise<T>> m_frame;
    bool m_joined = false;
#if ASYNCIO_EXCEPTIONS
    bool m_awaits_itself = false;
#endif
};

}  // namespace detail

/// A type-erased, shared reference to a task (current_task(), TaskGroup, introspection).
class TaskRef {
public:
    /// A reference to no task (`!ref`).
    TaskRef() = default;
    /// \cond INTERNAL
    explicit TaskRef(detail::TaskState* state) noexcept : m_state(state) {
        if (m_state) m_state->add_ref();
    }
    /// \endcond
    /// Another reference to the same task; the task's state lives while a reference does.
    TaskRef(const TaskRef& other) noexcept : TaskRef(other.m_state) {}
    /// Takes over `other`'s reference; `other` refers to no task.
    TaskRef(TaskRef&& other) noexcept : m_state(std::exchange(other.m_state, nullptr)) {}
    /// Refers to `other`'s task instead.
    TaskRef& operator=(TaskRef other) noexcept {
        std::swap(m_state, other.m_state);
        return *this;
    }
    ~TaskRef() {
        if (m_state) m_state->release();
    }

    /// Requests cancellation: the task's current co_await throws CancelledError. Returns false
    /// if the task is already done.
    bool cancel() noexcept { return m_state && m_state->cancel(); }
    /// cancel() whose CancelledError carries `message` (CancelledError::message()).
    bool cancel(std::string_view message) { return m_state && m_state->cancel(message); }
    /// Cancellation requests not withdrawn yet (Task.cancelling()).
    [[nodiscard]] unsigned cancelling() const noexcept { return m_state ? m_state->cancelling() : 0; }
    /// Withdraws one cancellation request and returns how many are left (Task.uncancel()).
    unsigned uncancel() noexcept { return m_state ? m_state->uncancel() : 0; }
    /// True once the task has finished: returned, failed or been cancelled.
    [[nodiscard]] bool done() const noexcept { return m_state && m_state->done(); }
    /// True if it finished because it was cancelled.
    [[nodiscard]] bool cancelled() const noexcept { return m_state && m_state->cancelled(); }
    /// The name reports and introspection show ("Task-N" unless set). Needs a task (`*this`).
    [[nodiscard]] const std::string& get_name() const noexcept { return m_state->name(); }
    /// Names the task (Task.set_name()). Needs a task (`*this`).
    void set_name(std::string name) { m_state->set_name(std::move(name)); }
    /// Whether it refers to a task.
    [[nodiscard]] explicit operator bool() const noexcept { return m_state != nullptr; }
    /// \cond INTERNAL
    [[nodiscard]] detail::TaskState* state() const noexcept { return m_state; }
    /// \endcond
    friend bool operator==(const TaskRef& a, const TaskRef& b) noexcept { return a.m_state == b.m_state; }

private:
    detail::TaskState* m_state = nullptr;
};

/// The return type of every coroutine, and asyncio's Task at the same time (see the head of
/// this header). It owns a reference to the coroutine: moving a Task moves the reference, and the
/// frame lives while the Task, a TaskRef or the loop (for a task it runs) holds it.
template <class T>
class [[nodiscard]] Task {
public:
    /// \cond INTERNAL
    using promise_type = detail::Promise<T>;
    /// \endcond
    /// What `co_await std::move(task)` yields.
    using value_type = T;

    /// No coroutine (`!task`): what a moved-from Task is.
    Task() = default;
    /// Takes over `other`'s coroutine; `other` is empty.
    Task(Task&& other) noexcept : m_frame(std::exchange(other.m_frame, {})) {}
    /// Drops this Task's coroutine (see ~Task) and takes over `other`'s.
    Task& operator=(Task&& other) noexcept {
        if (this != &other) {
            reset();
            m_frame = std::exchange(other.m_frame, {});
        }
        return *this;
    }
    /// Drops the reference. A task the loop runs runs on; one that never started is destroyed
    /// and reported (a coroutine called and never awaited).
    ~Task() { reset(); }

    /// True once the task has finished: returned, failed or been cancelled.
    [[nodiscard]] bool done() const noexcept { return m_frame && state().done(); }
    /// True if it finished because it was cancelled.
    [[nodiscard]] bool cancelled() const noexcept { return m_frame && state().cancelled(); }
    /// Requests cancellation (see TaskRef::cancel). A task that was not started by
    /// create_task() cannot be cancelled on its own: cancel the task that awaits it.
    bool cancel() noexcept { return m_frame && state().is_root() && state().cancel(); }
    /// cancel() whose CancelledError carries `message` (CancelledError::message()).
    bool cancel(std::string_view message) { return m_frame && state().is_root() && state().cancel(message); }
    /// Cancellation requests not withdrawn yet (Task.cancelling()); a timeout() scope or a
    /// TaskGroup compares it to tell its own cancellation from one that came from outside.
    [[nodiscard]] unsigned cancelling() const noexcept { return m_frame ? state().cancelling() : 0; }
    /// Withdraws one cancellation request and returns how many are left (Task.uncancel(), as in
    /// CPython 3.13: at zero, a cancellation not yet delivered is withdrawn too).
    unsigned uncancel() noexcept { return m_frame ? state().uncancel() : 0; }
    /// The name reports and introspection show: "Task-N" unless set. Needs a coroutine (`*this`).
    [[nodiscard]] const std::string& get_name() const noexcept { return state().name(); }
    /// Names the task (Task.set_name()) and returns it, so that a name can be set in passing:
    /// `create_task(serve(client).set_name("client"))`.
    Task& set_name(std::string name) & {
        state().set_name(std::move(name));
        return *this;
    }
    /// set_name() on a temporary: `create_task(work().set_name("worker"))`.
    Task&& set_name(std::string name) && {
        state().set_name(std::move(name));
        return std::move(*this);
    }
    /// The result of a finished task (rethrows its exception); InvalidStateError if not done.
    /// Without exceptions, asking a cancelled task for its result is a fatal_error().
    decltype(auto) result() {
        if (!done()) detail::fail<InvalidStateError>("result(): the task is not done");
        return m_frame.promise().result();
    }
#if ASYNCIO_EXCEPTIONS
    /// Task.exception(): what the finished task failed with (nullptr if it returned), marked as
    /// retrieved. A cancelled task throws its CancelledError instead; InvalidStateError if not
    /// done.
    std::exception_ptr exception() {
        if (!done()) detail::fail<InvalidStateError>("exception(): the task is not done");
        if (cancelled()) state().rethrow_if_failed();
        return state().take_exception();
    }
#endif
    /// False for the empty Task a coroutine call returns when no frame memory was left (only
    /// without exceptions; with them the call throws std::bad_alloc), or a moved-from one.
    [[nodiscard]] explicit operator bool() const noexcept { return static_cast<bool>(m_frame); }
    /// A shared, type-erased reference to this task (for a TaskGroup, introspection, cancel()).
    [[nodiscard]] TaskRef ref() const noexcept { return TaskRef(m_frame ? &state() : nullptr); }
    /// \cond INTERNAL
    [[nodiscard]] detail::TaskState& state() const noexcept { return detail::state_of(m_frame); }
    /// \endcond

    /// Awaits the task: `co_await task` joins one that create_task() started, and runs one that
    /// was not started inline, in the awaiting task, as `await coroutine()` does.
    ///
    /// Suspends when: the task is not done (a finished one yields at once). Resumed by: the
    /// task's end, which resumes the awaiting task directly when it ran inline and through the
    /// loop's ready queue when it was joined. Returns: a reference to the result
    /// (`co_await task`; valid while the Task lives), or the result itself (`co_await
    /// std::move(task)`, `co_await coroutine()`); rethrows the task's exception, and
    /// CancelledError if the task was cancelled; InvalidStateError if a task awaits itself.
    /// Cancellation: as with CPython's `await task`, cancelling the awaiting task cancels the
    /// awaited one too (an inline one is the same task), and the co_await ends when that one has
    /// ended; shield() keeps a joined task running. Lifetime: the Task must outlive the co_await.
    auto operator co_await() & noexcept { return detail::TaskAwaiter<T, false>(m_frame); }
    /// See the lvalue form: the same, yielding the result itself rather than a reference.
    auto operator co_await() && noexcept { return detail::TaskAwaiter<T, true>(m_frame); }

private:
    friend class detail::PromiseBase<T>;
    explicit Task(std::coroutine_handle<promise_type> frame) noexcept : m_frame(frame) { state().add_ref(); }
    void reset() noexcept {
        if (auto frame = std::exchange(m_frame, {})) detail::state_of(frame).release();
    }

    std::coroutine_handle<promise_type> m_frame;
};

template <class T>
Task<T> detail::PromiseBase<T>::get_return_object() noexcept {
    return Task<T>(std::coroutine_handle<Promise<T>>::from_promise(static_cast<Promise<T>&>(*this)));
}

#if !ASYNCIO_EXCEPTIONS
template <class T>
Task<T> detail::PromiseBase<T>::get_return_object_on_allocation_failure() noexcept {
    return Task<T>();
}
#endif

/// What create_task() returns: the same Task, already scheduled on the loop. Unlike a bare Task
/// it may be dropped without a compiler warning, as `asyncio.create_task(...)` may: the task keeps
/// running, and a failure nobody retrieves is reported. Keep it to join it (`co_await`),
/// cancel() it or look at it; it converts to a plain Task<T>.
template <class T = void>
class ScheduledTask : public Task<T> {
public:
    /// No task.
    ScheduledTask() = default;
    /// Wraps a task that was already started on the loop (create_task() does this).
    explicit ScheduledTask(Task<T>&& task) noexcept : Task<T>(std::move(task)) {}
};

/// Schedules `task` to run concurrently on the running loop (or the thread's loop) and returns
/// it: await it to join, cancel() it, or drop it (it keeps running; a failure is reported).
template <class T>
ScheduledTask<T> create_task(Task<T> task) {
    if (!task) fatal_error("create_task() of an empty Task (no memory for a coroutine frame?)");
    get_event_loop().start(task.state());
    return ScheduledTask<T>(std::move(task));
}

/// create_task with a name shown in reports and in the loop's introspection.
template <class T>
ScheduledTask<T> create_task(Task<T> task, std::string name) {
    task.state().set_name(std::move(name));
    return create_task(std::move(task));
}

template <class T>
T EventLoop::run_until_complete(Task<T> task) {
    if (!task) fatal_error("run_until_complete() of an empty Task (no memory for a coroutine frame?)");
    start(task.state());
    run_until_done(task.state());
    if (!task.done()) detail::fail<InvalidStateError>("run_until_complete(): the loop was stopped before the task was done");
    if constexpr (std::is_void_v<T>) {
        task.result();
    } else {
        return T(std::move(task.result()));
    }
}

/// asyncio.run(): runs `main` on a new event loop until it is done, cancels and reaps the tasks
/// it left behind (the loop's destructor does), and returns its result (or rethrows its
/// exception).
template <class T>
T run(Task<T> main) {
    EventLoop loop;
    return loop.run_until_complete(std::move(main));
}

/// The task running now (empty outside of one).
inline TaskRef current_task() noexcept {
    EventLoop* loop = running_loop();
    return TaskRef(loop != nullptr ? loop->current_task() : nullptr);
}

}  // namespace asyncio
