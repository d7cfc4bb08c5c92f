#include <asyncio/core/detail/task_state.hpp>
#include <asyncio/core/errors.hpp>
#include <asyncio/core/fatal_error.hpp>
#include <asyncio/core/loop.hpp>

#include <cstdlib>
#include <functional>
#include <utility>

namespace asyncio::detail {

namespace {
std::function<void(const std::string&)>& reporter() {
    static std::function<void(const std::string&)> instance;
    return instance;
}

}  // namespace

#if ASYNCIO_EXCEPTIONS
std::string describe(const std::exception_ptr& error) {
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        return e.what();
    } catch (...) {
        return "an exception not derived from std::exception";
    }
}
#endif

void report(const std::string& message) noexcept {
#if ASYNCIO_EXCEPTIONS
    try {
        if (reporter()) {
            reporter()(message);
            return;
        }
    } catch (...) {
    }
#else
    if (reporter()) {
        reporter()(message);
        return;
    }
#endif
    platform_report(message.c_str());
}

// --- Wait ---

namespace {
/// The coroutine the running step resumes next (see resume_next): set by an await_suspend,
/// taken by TaskState::run as soon as that coroutine has suspended.
thread_local std::coroutine_handle<> t_next;

TaskState* task_for_wait() noexcept {
    EventLoop* loop = running_loop();
    TaskState* task = loop != nullptr ? loop->current_task() : nullptr;
    if (task == nullptr) {
        report("a wait was started outside of a task; it can never be woken");
        std::abort();  // not std::terminate(), which links the exception runtime on a device
    }
    return task;
}
}  // namespace

bool Wait::begin_wait(std::coroutine_handle<> handle) noexcept {
    m_task = task_for_wait();
#if ASYNCIO_EXCEPTIONS
    if (m_task->m_cancel_requested) return false;  // await_resume throws CancelledError
#else
    if (m_task->m_cancel_requested) {
        // Suspend, to be unwound at the next step: the awaiter registers as usual, and its
        // destructor unregisters when the frame is destroyed.
        m_task->m_next = handle;
        m_task->m_loop->schedule(*m_task);
        return true;
    }
#endif
    m_task->m_next = handle;
    m_task->m_waiting = this;
    return true;
}

void Wait::begin_wait_on_tasks(std::coroutine_handle<> handle) noexcept {
    m_task = task_for_wait();
    m_task->m_next = handle;
    m_task->m_waiting = this;
}

void Wait::pass_pending_cancel() noexcept {
    if (!cancel_pending()) return;
    switch (cancel_wait()) {
        case CancelAction::outcome_of_awaited:
            m_task->m_cancel_requested = false;  // now the awaited task's to deliver
            break;
        case CancelAction::raise_when_done:
            break;
        case CancelAction::wake_now:
            wake();
            break;
    }
}

void Wait::wake() noexcept {
    if (m_task->m_waiting == this) m_task->m_waiting = nullptr;
    // A task the loop gave up on at shutdown (see EventLoop::cancel_remaining_tasks) counts as
    // done and must never run again, even if something it waited for happens later.
    if (m_task->done()) return;
    m_task->m_loop->schedule(*m_task);
}

void Wait::end_wait() const {
    if (m_task == nullptr) return;
    if (m_task->m_waiting == this) m_task->m_waiting = nullptr;
#if ASYNCIO_EXCEPTIONS
    m_task->throw_if_cancel_requested();
#endif
}

void Wait::wake_cancelled() noexcept {
    m_task->m_cancel_requested = true;
    wake();
}

void resume_next(std::coroutine_handle<> next) noexcept { t_next = next; }

TaskState* current_task_state() noexcept {
    EventLoop* loop = running_loop();
    return loop != nullptr ? loop->current_task() : nullptr;
}

// --- TaskState ---

TaskState::~TaskState() {
#if ASYNCIO_EXCEPTIONS
    if (m_exception && !m_exception_retrieved && !m_cancelled) {
        report("Task exception was never retrieved: task '" + name() + "': " + describe(m_exception));
    }
#endif
}

void TaskState::free_allocation(std::size_t frame_size) noexcept {
    const std::size_t bytes = header_size() + frame_size;
    this->~TaskState();
    free_frame(this, bytes);
}

TaskState::Texts& TaskState::texts() const {
    if (!m_texts) {
        m_texts = std::make_unique<Texts>();
        if (m_id != 0) m_texts->name = "Task-" + std::to_string(m_id);
    }
    return *m_texts;
}

const std::string& TaskState::name() const noexcept {
#if ASYNCIO_EXCEPTIONS
    try {
        return texts().name;
    } catch (...) {  // out of memory: an empty name rather than none
        static const std::string unnamed;
        return unnamed;
    }
#else
    return texts().name;
#endif
}

void TaskState::copy_name_to(std::string& out) const {
    if (m_texts) {
        out = m_texts->name;
    } else if (m_id != 0) {
        out = "Task-";
        out += std::to_string(m_id);
    } else {
        out.clear();
    }
}

void TaskState::set_name(std::string name) { texts().name = std::move(name); }

bool TaskState::cancel() noexcept {
    // Each request replaces the message of the one before, as in CPython: a plain cancel() after
    // a cancel(msg) raises a CancelledError without a message.
    if (m_texts && !done()) m_texts->cancel_message.clear();
    return request_cancel();
}

bool TaskState::request_cancel() noexcept {
    if (done()) {
        m_exception_retrieved = true;  // as CPython: cancelling a failed task silences its report
        return false;
    }
    ++m_cancels;
    if (m_waiting == nullptr) {
        m_cancel_requested = true;  // delivered at the task's next co_await (or when it returns)
        return true;
    }
    // A wait that passes the cancellation on (a join, gather, a TaskGroup) still holds the task:
    // it stays recorded, so the task still shows as waiting and a second cancel() reaches it too.
    switch (m_waiting->cancel_wait()) {
        case CancelAction::wake_now:
            m_cancel_requested = true;
            m_waiting = nullptr;
            m_loop->schedule(*this);
            break;
        case CancelAction::raise_when_done:
            m_cancel_requested = true;
            break;
        case CancelAction::outcome_of_awaited:
            break;
    }
    return true;
}

bool TaskState::cancel(std::string_view message) {
    if (!done()) texts().cancel_message = message;
    return request_cancel();
}

bool TaskState::cancel_as(const TaskState& canceller) noexcept {
    if (!canceller.m_texts || canceller.m_texts->cancel_message.empty()) return cancel();
#if ASYNCIO_EXCEPTIONS
    try {
        return cancel(canceller.m_texts->cancel_message);
    } catch (...) {  // no memory for the message
        return cancel();
    }
#else
    return cancel(canceller.m_texts->cancel_message);
#endif
}

unsigned TaskState::uncancel() noexcept {
    if (m_cancels > 0) --m_cancels;
    if (m_cancels == 0) m_cancel_requested = false;
    return m_cancels;
}

#if ASYNCIO_EXCEPTIONS
void TaskState::throw_if_cancel_requested() {
    if (m_cancel_requested) {
        m_cancel_requested = false;
        std::rethrow_exception(cancelled_error());
    }
}

std::exception_ptr TaskState::cancelled_error() const {
    if (!m_texts || m_texts->cancel_message.empty()) return std::make_exception_ptr(CancelledError{});
    return std::make_exception_ptr(CancelledError(m_texts->cancel_message));
}

void TaskState::set_exception(std::exception_ptr error) noexcept {
    m_exception = std::move(error);
    try {
        std::rethrow_exception(m_exception);
    } catch (const CancelledError&) {
        m_cancelled = true;
    } catch (...) {
    }
}

void TaskState::rethrow_if_failed() {
    if (m_exception) {
        m_exception_retrieved = true;
        std::rethrow_exception(m_exception);
    }
}
#else
void TaskState::fail_if_cancelled() const noexcept {
    if (m_cancelled) fatal_error("result(): the task was cancelled, it has no result");
}
#endif

void TaskState::release() noexcept {
    if (--m_refs != 0) return;
    if (status() == Status::created && m_loop == nullptr) {
        report(m_texts ? "Task '" + m_texts->name + "' was destroyed but never awaited nor passed to create_task()"
                      : std::string("a Task was destroyed but never awaited nor passed to create_task()"));
    }
    if (m_frame_alive) {
        frame().destroy();  // its operator delete frees this state too (frame_destroyed)
    } else {
        // Unwound: only the state was left, and the dead frame's size (see frame_destroyed).
        free_allocation(*std::launder(static_cast<std::size_t*>(frame().address())));
    }
}

void TaskState::run() {
    EventLoop& loop = *m_loop;
    if (status() == Status::created && m_cancel_requested) {
        // Cancelled before its first step: it never runs, as in CPython.
        end_cancelled();
#if !ASYNCIO_EXCEPTIONS
    } else if (m_cancel_requested) {
        unwind();
#endif
    } else {
        set_status(Status::running);
        loop.m_current = this;
        const TimePoint start = loop.m_clock;  // the end of the previous step: one read per step
        m_next.resume();
        // Inline awaits starting and finishing: hand-offs within this same step.
        while (std::coroutine_handle<> next = std::exchange(t_next, nullptr)) next.resume();
        loop.m_clock = loop.m_platform->now();
        const Duration held = loop.m_clock - start;
        loop.m_current = nullptr;
        ++m_steps;
        m_run_time += held;
        loop.note_step(held, this);
    }
    if (status() == Status::done) {
        // It returned with a cancellation requested and not delivered: it ends cancelled, its
        // result dropped, as CPython's task does when cancel() comes right before the coroutine
        // stops (an exception it raised wins, though).
        if (m_cancel_requested && !failed()) end_cancelled();
        loop.on_task_done(*this);
    }
}

void TaskState::end_cancelled() noexcept {
    m_cancel_requested = false;
    m_cancelled = true;
#if ASYNCIO_EXCEPTIONS
    try {
        m_exception = cancelled_error();
    } catch (...) {  // no memory for its message: a plain one
        m_exception = std::make_exception_ptr(CancelledError{});
    }
#endif
    set_status(Status::done);
}

void TaskState::abandon() noexcept {
    if (Wait* wait = std::exchange(m_waiting, nullptr)) wait->cancel_wait();
    static_cast<Runnable&>(*this).unlink();  // out of the ready queue, should it be there
    end_cancelled();
}

#if !ASYNCIO_EXCEPTIONS
void TaskState::unwind() noexcept {
    m_waiting = nullptr;  // its awaiter goes with the frame and unregisters in its destructor
    EventLoop& loop = *m_loop;
    // Destructors that run now see this task as the current one (a LockGuard checks it owns its
    // lock). Destroying the root frame destroys the Task of the coroutine it awaits, and so on:
    // the innermost frame goes first, as stack unwinding would go.
    loop.m_current = this;
    frame().destroy();  // the loop still holds a reference: this state stays
    loop.m_current = nullptr;
    m_cancel_requested = false;
    m_cancelled = true;
    set_status(Status::done);
}
#endif

void TaskState::finish() noexcept {
    // Oldest first. A callback may unlink others (destroying an awaiter does): popping one at a
    // time copes with that.
    m_done_callbacks.reverse();
    while (!m_done_callbacks.empty()) m_done_callbacks.pop_front().on_task_done(*this);
}

}  // namespace asyncio::detail

void asyncio::set_error_reporter(std::function<void(const std::string&)> reporter) {
    detail::reporter() = std::move(reporter);
}

void asyncio::report_error(const std::string& message) noexcept { detail::report(message); }
