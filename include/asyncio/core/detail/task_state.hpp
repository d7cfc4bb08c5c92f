#pragma once
// What the loop knows of a task, whatever its result type: its place in the ready queue, what it
// waits on (so cancel can undo that wait), who waits for it, its refcount, name and statistics.
// Every coroutine has one, in front of its frame in the same allocation (see TaskState::allocate);
// only a task started by create_task()/run() (a "root") uses the scheduling fields, a coroutine
// awaited inline runs as part of its root. Being outside the frame, it can outlive it: without
// exceptions, cancellation destroys a task's frames while handles to the task remain.

#include <asyncio/core/config.hpp>
#include <asyncio/core/detail/intrusive_list.hpp>
#include <asyncio/core/platform.hpp>

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <string_view>

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

/// Memory for a task (its TaskState and coroutine frame), from the frame allocator
/// (frame_allocator.hpp). Out of memory: std::bad_alloc with exceptions, nullptr without.
void* allocate_frame(std::size_t size) noexcept(!ASYNCIO_EXCEPTIONS);
void free_frame(void* frame, std::size_t size) noexcept;

/// What a wait does with a cancellation of its task (Wait::cancel_wait).
enum class CancelAction : std::uint8_t {
    /// Unregistered: the task is woken now, and its co_await throws CancelledError.
    wake_now,
    /// Passed on to the tasks it waits for (gather's children, a TaskGroup's); the wait still
    /// ends when they are done, and its co_await then throws CancelledError.
    raise_when_done,
    /// Passed on to the one task it joins; the co_await then yields whatever that task ends with
    /// (its result, its exception, or its CancelledError), as `await task` does in CPython.
    outcome_of_awaited,
};

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
    /// The task is being cancelled: unregister, or pass the cancellation on (see CancelAction).
    virtual CancelAction cancel_wait() noexcept = 0;

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
    /// pending. The caller then passes that cancellation on with pass_pending_cancel() and stays
    /// suspended until they are done, as CPython does when a cancelled task awaits another.
    void begin_wait_on_tasks(std::coroutine_handle<> handle) noexcept;

    /// A cancellation pending when the wait began goes to what it waits for, as a cancel() during
    /// the wait would: handled as cancel_wait() says (a join takes it off this task).
    void pass_pending_cancel() noexcept;

    /// The awaited thing happened: schedule the waiting task.
    void wake() noexcept;
    [[nodiscard]] bool cancel_pending() const noexcept;

    /// In await_resume: ends the registration and throws CancelledError if the task was
    /// cancelled meanwhile (nothing when the awaiter never suspended). Without exceptions a
    /// cancelled task is never resumed (it is unwound), so this only ends the registration.
    void end_wait() const;

    /// Ends the wait by cancelling the waiting task and scheduling it: how a cancellation spreads
    /// to a joiner without exceptions (a joined task ended cancelled).
    void wake_cancelled() noexcept;

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
    [[nodiscard]] Status status() const noexcept { return static_cast<Status>(m_status); }
    [[nodiscard]] bool done() const noexcept { return status() == Status::done; }
    [[nodiscard]] bool cancelled() const noexcept { return m_cancelled; }
    [[nodiscard]] bool is_root() const noexcept { return m_loop != nullptr; }
    /// A cancellation not yet delivered (CPython's Task._must_cancel).
    [[nodiscard]] bool cancel_requested() const noexcept { return m_cancel_requested; }
    /// Requests cancellation (asyncio's Task.cancel(msg)): counts the request, then unregisters
    /// the task's wait or passes the request on (CancelAction). False if the task is done
    /// (which also marks a failed task's exception as seen: cancelling it says it is handled).
    bool cancel() noexcept;
    /// cancel() whose CancelledError carries `message` (asyncio's cancel(msg)).
    bool cancel(std::string_view message);
    /// cancel() with the message of `canceller`'s own pending cancellation, if it has one: how
    /// a cancellation spreads to the tasks a task waits for (a join, gather, a TaskGroup's body
    /// cancelled from outside), as CPython passes `msg` on. Out of memory for the message: a
    /// plain cancel().
    bool cancel_as(const TaskState& canceller) noexcept;
    /// Pending cancellation requests, as Task.cancelling(): each cancel() adds one, each
    /// uncancel() takes one away.
    [[nodiscard]] unsigned cancelling() const noexcept { return m_cancels; }
    /// Task.uncancel() (CPython 3.13): takes one request away and returns how many are left; at
    /// zero, a cancellation not yet delivered is withdrawn too.
    unsigned uncancel() noexcept;
#if ASYNCIO_EXCEPTIONS
    void throw_if_cancel_requested();
    /// The CancelledError this task's cancellation raises (with the message of cancel(msg)).
    [[nodiscard]] std::exception_ptr cancelled_error() const;
#endif

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

    /// Finished abnormally: with exceptions, it holds an exception (CancelledError included);
    /// without, its only abnormal end is cancellation.
    [[nodiscard]] bool failed() const noexcept {
#if ASYNCIO_EXCEPTIONS
        return static_cast<bool>(m_exception);
#else
        return m_cancelled;
#endif
    }

    // --- the allocation: this state, then the coroutine frame ---
    /// Allocates a TaskState followed by a coroutine frame of `frame_size` bytes (from the frame
    /// allocator) and returns the frame's address. Out of memory: std::bad_alloc with
    /// exceptions, nullptr without.
    static void* allocate(std::size_t frame_size) noexcept(!ASYNCIO_EXCEPTIONS) {
        void* block = allocate_frame(header_size() + frame_size);
#if !ASYNCIO_EXCEPTIONS
        if (block == nullptr) return nullptr;
#endif
        ::new (block) TaskState;  // every field has its initialiser: no zeroing first
        return static_cast<std::byte*>(block) + header_size();
    }
    /// The frame at `frame_address`, of `frame_size` bytes, was destroyed (the promise's sized
    /// operator delete): frees the allocation now, or with the last handle if there still are
    /// some. Until then the dead frame's first bytes keep its size, so that no task pays a field
    /// for it (a million sleeping tasks must fit in 256 MB).
    static void frame_destroyed(void* frame_address, std::size_t frame_size) noexcept {
        TaskState& state = of(frame_address);
        state.m_frame_alive = false;
        if (state.m_refs == 0) {
            state.free_allocation(frame_size);
        } else {
            ::new (frame_address) std::size_t(frame_size);  // every frame has room: two resume pointers at least
        }
    }
    /// The state in front of the frame at `frame_address`.
    static TaskState& of(void* frame_address) noexcept {
        return *std::launder(reinterpret_cast<TaskState*>(static_cast<std::byte*>(frame_address) - header_size()));
    }
    /// Bytes in front of every frame, a multiple of operator new's alignment.
    static constexpr std::size_t header_size() noexcept;

    // --- machinery used by the promise, the awaiters and the loop ---
    void start_inline(std::coroutine_handle<> continuation) noexcept {
        m_next = continuation;
        set_status(Status::running);
    }
    /// Inline: the coroutine awaiting this one; a root has none.
    [[nodiscard]] std::coroutine_handle<> continuation() const noexcept {
        return is_root() ? std::coroutine_handle<>() : m_next;
    }
#if ASYNCIO_EXCEPTIONS
    void set_exception(std::exception_ptr error) noexcept;
    void rethrow_if_failed();
    [[nodiscard]] const std::exception_ptr& exception() const noexcept { return m_exception; }
    /// The exception, marked as retrieved (it will not be reported as lost).
    std::exception_ptr take_exception() noexcept {
        m_exception_retrieved = true;
        return m_exception;
    }
#else
    /// For result(): a cancelled task has none, and asking is fatal_error().
    void fail_if_cancelled() const noexcept;
#endif
    void mark_done() noexcept { set_status(Status::done); }
    /// Whatever this task fails with is handled elsewhere: no "never retrieved" report.
    void silence_exception_report() noexcept { m_exception_retrieved = true; }
    /// Callbacks run in the order they were added.
    void add_done_callback(DoneCallback& callback) noexcept { m_done_callbacks.push_front(callback); }

    void run() override;  // one step on the loop

    /// The coroutine frame behind this state.
    [[nodiscard]] std::coroutine_handle<> frame() const noexcept {
        return std::coroutine_handle<>::from_address(const_cast<std::byte*>(reinterpret_cast<const std::byte*>(this)) + header_size());
    }

private:
    ~TaskState();  // by free_allocation() only
    /// Destroys this state and frees the allocation (the frame is gone already).
    void free_allocation(std::size_t frame_size) noexcept;
    void set_status(Status status) noexcept { m_status = static_cast<std::uint32_t>(status); }
    friend class Wait;
    friend class asyncio::EventLoop;
    void finish() noexcept;
    /// cancel() keeping the message already recorded.
    bool request_cancel() noexcept;
    /// The loop gives up on this task at shutdown: unregisters its wait and marks it done
    /// (cancelled) without resuming it, so handles still held elsewhere see a finished task and
    /// nothing can ever schedule it again. Its frame is destroyed with the last handle.
    void abandon() noexcept;
    /// Finishes the task as cancelled, with the CancelledError of its cancel(msg).
    void end_cancelled() noexcept;
#if !ASYNCIO_EXCEPTIONS
    /// A cancelled task's step without exceptions: destroys its frames instead of resuming them.
    void unwind() noexcept;
#endif

    // Fields are laid out to keep a sleeping task small (a million of them must fit in 256 MB).
    /// Root (m_loop set): the innermost frame to resume at its next step (its own frame at
    /// first). Inline: the coroutine awaiting this one. One field, as a task is one or the other.
    std::coroutine_handle<> m_next;
    EventLoop* m_loop = nullptr;  ///< root: the loop running it; inline: nullptr
    Wait* m_waiting = nullptr;    ///< root: the wait suspending it, or nullptr
    HList<DoneCallback> m_done_callbacks;  ///< newest first (see finish())
#if ASYNCIO_EXCEPTIONS
    std::exception_ptr m_exception;
#endif
    /// The task's rarely needed strings, allocated when first needed, so most tasks pay a pointer.
    struct Texts {
        std::string name;            ///< see name()
        std::string cancel_message;  ///< of the pending cancel(msg), for its CancelledError
    };
    Texts& texts() const;
    mutable std::unique_ptr<Texts> m_texts;
    std::uint64_t m_steps : 48 = 0;
    std::uint64_t m_cancels : 16 = 0;  ///< cancelling(): 65,535 nested requests is beyond any program
    Duration m_run_time{};
    std::uint32_t m_id = 0;  ///< the n of "Task-<n>", given by the loop that starts it
    // One word for the count and the flags: 16 million handles to one task is beyond any program.
    std::uint32_t m_refs : 24 = 0;
    std::uint32_t m_status : 2 = static_cast<std::uint32_t>(Status::created);  ///< a Status
    std::uint32_t m_cancel_requested : 1 = false;
    std::uint32_t m_cancelled : 1 = false;            ///< finished by CancelledError
    std::uint32_t m_exception_retrieved : 1 = false;  ///< somebody awaited it and saw the exception
    std::uint32_t m_frame_alive : 1 = true;           ///< false once the frame was destroyed (unwound)
};
// 112 bytes on a 64-bit host: a sleeping task's allocation (this state and a 104-byte frame) is
// then 216 bytes, which malloc serves from 224-byte chunks; one byte more would take 240.
static_assert(sizeof(void*) != 8 || !ASYNCIO_EXCEPTIONS || sizeof(TaskState) <= 112);

constexpr std::size_t TaskState::header_size() noexcept {
    constexpr std::size_t align = __STDCPP_DEFAULT_NEW_ALIGNMENT__;
    return (sizeof(TaskState) + align - 1) / align * align;
}

inline bool Wait::cancel_pending() const noexcept { return m_task != nullptr && m_task->cancel_requested(); }

/// Control transfer between a coroutine and one it awaits inline (a Task not started by
/// create_task): the running coroutine suspends, and the step it is part of (TaskState::run)
/// resumes `next` before returning to the loop, as symmetric transfer would. A loop rather than
/// `return next` from await_suspend, because g++ makes symmetric transfer a tail call only when
/// optimising without AddressSanitizer: at -O0, or under ASan (whose stack instrumentation
/// covers the handle g++ resumes through), every level of a 100,000-deep await chain would
/// otherwise take a stack frame.
void resume_next(std::coroutine_handle<> next) noexcept;

/// The task running on this thread's loop, or nullptr.
TaskState* current_task_state() noexcept;

/// Writes a diagnostic line (a failed task nobody awaited, a stall) to the reporter set by
/// asyncio::set_error_reporter, stderr by default.
void report(const std::string& message) noexcept;

#if ASYNCIO_EXCEPTIONS
/// What a report says of an exception: its what(), or a fixed text for one that is not a
/// std::exception.
[[nodiscard]] std::string describe(const std::exception_ptr& error);
#endif

}  // namespace asyncio::detail
