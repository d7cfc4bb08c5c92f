#pragma once
// What the loop knows of a task, whatever its result type: its place in the ready queue, what it
// waits on (so cancel can undo that wait), who waits for it, its refcount, name and statistics.
// It is the base of every coroutine promise; only a task started by create_task()/run() (a
// "root") uses the scheduling fields, a coroutine awaited inline runs as part of its root.

#include <asyncio/core/detail/intrusive_list.hpp>
#include <asyncio/core/platform.hpp>

#include <coroutine>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>

namespace asyncio {
class EventLoop;
}

namespace asyncio::detail {

/// An entry of the loop's ready queue: a task step or a call_soon callback.
class Runnable : public ListHook {
public:
    virtual void run() = 0;
    /// The loop is destroyed with this still queued.
    virtual void discard() noexcept {}

protected:
    ~Runnable() = default;
};

class TaskState;

/// One registration that keeps a task suspended: on a timer, a wait list, the poller, another
/// task. Each awaiter that suspends a task derives from it, so `cancel()` can undo the wait.
///
/// The protocol, for an awaiter's three methods:
///   await_suspend: `if (!begin_wait(handle)) return false;` then register, return true
///   (the registration later calls wake());
///   await_resume:  `end_wait();` first: it throws CancelledError if the task was cancelled.
/// An awaiter that registers and then finds it need not suspend after all may return false from
/// await_suspend: end_wait() in await_resume clears the registration.
class Wait {
public:
    /// The task is being cancelled: unregister. Return true to have the task woken now (its
    /// await_resume then throws CancelledError), false if the wait will still wake it itself
    /// (a join: the joined task is cancelled and the wait ends when it is done).
    virtual bool cancel_wait() noexcept = 0;

protected:
    Wait() = default;
    Wait(const Wait&) = default;  // only before the awaiter is awaited (wait_for moves it)
    Wait& operator=(const Wait&) = delete;
    ~Wait() = default;

    /// Records that the current task suspends here and resumes at `handle`. Returns false when
    /// a cancellation is already pending: the awaiter must then not suspend (await_suspend returns
    /// false) and its await_resume throws CancelledError.
    bool begin_wait(std::coroutine_handle<> handle) noexcept;

    /// For waits on other tasks (join, gather, TaskGroup): registers even when a cancellation is
    /// pending. The caller then passes that cancellation on to the tasks it waits for
    /// (`if (cancel_pending()) cancel_wait();`) and stays suspended until they are done, as
    /// CPython does when a cancelled task awaits another.
    void begin_wait_on_tasks(std::coroutine_handle<> handle) noexcept;

    /// The awaited thing happened: schedule the waiting task.
    void wake() noexcept;
    [[nodiscard]] bool cancel_pending() const noexcept;

    /// In await_resume: ends the registration and throws CancelledError if the task was
    /// cancelled meanwhile (nothing when the awaiter never suspended).
    void end_wait() const;

    TaskState* m_task = nullptr;
};

/// Notified when a task finishes (join, gather, TaskGroup).
class DoneCallback : public HListHook {
public:
    virtual void on_task_done(TaskState& task) noexcept = 0;

protected:
    DoneCallback() = default;
    DoneCallback(DoneCallback&&) noexcept = default;
    ~DoneCallback() = default;
};

struct RegistryTag;

class TaskState : public Runnable, public TaggedHook<RegistryTag> {
public:
    /// created: not started yet; running: started, suspended or on the CPU; done: finished.
    enum class Status : std::uint8_t { created, running, done };

    TaskState() = default;
    TaskState(const TaskState&) = delete;
    TaskState& operator=(const TaskState&) = delete;

    // --- state seen through Task/TaskRef ---
    [[nodiscard]] Status status() const noexcept { return m_status; }
    [[nodiscard]] bool done() const noexcept { return m_status == Status::done; }
    [[nodiscard]] bool cancelled() const noexcept { return m_cancelled; }
    [[nodiscard]] bool is_root() const noexcept { return m_loop != nullptr; }
    [[nodiscard]] bool cancel_requested() const noexcept { return m_cancel_requested; }
    bool cancel() noexcept;
    void uncancel() noexcept { m_cancel_requested = false; }
    void throw_if_cancel_requested();

    /// The name given by set_name(), else "Task-<n>" (n counts the tasks the loop started),
    /// made when first asked for, so an unnamed task costs no string; empty for a coroutine
    /// that never was a task.
    [[nodiscard]] const std::string& name() const noexcept;
    /// Writes the name into `out` without keeping it in the task: no allocation for a short
    /// name (the loop's statistics use it; a device allocates nothing once its tasks run).
    void copy_name_to(std::string& out) const;
    void set_name(std::string name);
    [[nodiscard]] std::uint64_t steps() const noexcept { return m_steps; }
    [[nodiscard]] Duration run_time() const noexcept { return m_run_time; }
    [[nodiscard]] bool waiting() const noexcept { return m_waiting != nullptr; }

    // --- reference counting: every Task/TaskRef handle, plus the loop while the task runs ---
    void add_ref() noexcept { ++m_refs; }
    void release() noexcept;

    // --- machinery used by the promise, the awaiters and the loop ---
    void start_inline(std::coroutine_handle<> continuation) noexcept {
        m_next = continuation;
        m_status = Status::running;
    }
    /// Inline: the coroutine awaiting this one; a root has none.
    [[nodiscard]] std::coroutine_handle<> continuation() const noexcept {
        return is_root() ? std::coroutine_handle<>() : m_next;
    }
    void set_exception(std::exception_ptr error) noexcept;
    void rethrow_if_failed();
    [[nodiscard]] const std::exception_ptr& exception() const noexcept { return m_exception; }
    /// The exception, marked as retrieved (it will not be reported as lost).
    std::exception_ptr take_exception() noexcept {
        m_exception_retrieved = true;
        return m_exception;
    }
    void mark_done() noexcept { m_status = Status::done; }
    /// Callbacks run in the order they were added.
    void add_done_callback(DoneCallback& callback) noexcept { m_done_callbacks.push_front(callback); }

    void run() override;  // one step on the loop

protected:
    ~TaskState();
    /// The coroutine frame this promise lives in (a virtual call rather than 8 bytes per task).
    [[nodiscard]] virtual std::coroutine_handle<> frame() const noexcept = 0;

private:
    friend class Wait;
    friend class asyncio::EventLoop;
    void finish() noexcept;
    /// The loop gives up on this task at shutdown: unregisters its wait and marks it done
    /// (cancelled) without resuming it, so handles still held elsewhere see a finished task and
    /// nothing can ever schedule it again. Its frame is destroyed with the last handle.
    void abandon() noexcept;

    // Fields are laid out to keep a sleeping task small (a million of them must fit in 256 MB).
    /// Root (m_loop set): the innermost frame to resume at its next step (its own frame at
    /// first). Inline: the coroutine awaiting this one. One field, as a task is one or the other.
    std::coroutine_handle<> m_next;
    EventLoop* m_loop = nullptr;  ///< root: the loop running it; inline: nullptr
    Wait* m_waiting = nullptr;    ///< root: the wait suspending it, or nullptr
    HList<DoneCallback> m_done_callbacks;  ///< newest first (see finish())
    std::exception_ptr m_exception;
    mutable std::unique_ptr<std::string> m_name;  ///< see name(); nullptr until needed
    std::uint64_t m_steps = 0;
    Duration m_run_time{};
    std::uint32_t m_refs = 0;
    std::uint32_t m_id = 0;  ///< the n of "Task-<n>", given by the loop that starts it
    Status m_status = Status::created;
    bool m_cancel_requested = false;
    bool m_cancelled = false;           ///< finished by CancelledError
    bool m_exception_retrieved = false;  ///< somebody awaited it and saw the exception
};

inline bool Wait::cancel_pending() const noexcept { return m_task != nullptr && m_task->cancel_requested(); }

/// Control transfer between a coroutine and one it awaits inline (a Task not started by
/// create_task): the running coroutine suspends, and the step it is part of (TaskState::run)
/// resumes `next` before returning to the loop, as symmetric transfer would. A loop rather than
/// `return next` from await_suspend, because g++ makes symmetric transfer a tail call only when
/// optimising without AddressSanitizer: at -O0, or under ASan (whose stack instrumentation
/// covers the handle g++ resumes through), every level of a 100,000-deep await chain would
/// otherwise take a stack frame.
void resume_next(std::coroutine_handle<> next) noexcept;

/// Writes a diagnostic line (a failed task nobody awaited, a stall) to the reporter set by
/// asyncio::set_error_reporter, stderr by default.
void report(const std::string& message) noexcept;

}  // namespace asyncio::detail
