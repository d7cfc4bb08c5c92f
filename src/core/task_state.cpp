#include <asyncio/core/detail/task_state.hpp>
#include <asyncio/core/errors.hpp>
#include <asyncio/core/loop.hpp>

#include <cstdio>
#include <functional>
#include <utility>

namespace asyncio::detail {

namespace {
std::function<void(const std::string&)>& reporter() {
    static std::function<void(const std::string&)> instance;
    return instance;
}

std::string describe(const std::exception_ptr& error) {
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& e) {
        return e.what();
    } catch (...) {
        return "an exception not derived from std::exception";
    }
}
}  // namespace

void report(const std::string& message) noexcept {
    try {
        if (reporter()) {
            reporter()(message);
            return;
        }
    } catch (...) {
    }
    std::fprintf(stderr, "asyncio: %s\n", message.c_str());
}

// --- Wait ---

namespace {
TaskState* task_for_wait() noexcept {
    EventLoop* loop = running_loop();
    TaskState* task = loop != nullptr ? loop->current_task() : nullptr;
    if (task == nullptr) {
        report("a wait was started outside of a task; it can never be woken");
        std::terminate();
    }
    return task;
}
}  // namespace

bool Wait::begin_wait(std::coroutine_handle<> handle) noexcept {
    m_task = task_for_wait();
    if (m_task->m_cancel_requested) return false;
    m_task->m_resume = handle;
    m_task->m_waiting = this;
    return true;
}

void Wait::begin_wait_on_tasks(std::coroutine_handle<> handle) noexcept {
    m_task = task_for_wait();
    m_task->m_resume = handle;
    m_task->m_waiting = this;
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
    m_task->throw_if_cancel_requested();
}

// --- TaskState ---

TaskState::~TaskState() {
    if (m_exception && !m_exception_retrieved && !m_cancelled) {
        report("Task exception was never retrieved: task '" + m_name + "': " + describe(m_exception));
    }
}

bool TaskState::cancel() noexcept {
    if (done()) return false;
    m_cancel_requested = true;
    // A wait whose cancel_wait() returns false (a join) still holds the task: it stays recorded,
    // so the task still shows as waiting and a second cancel() reaches it again.
    if (m_waiting != nullptr && m_waiting->cancel_wait()) {
        m_waiting = nullptr;
        m_loop->schedule(*this);
    }
    return true;
}

void TaskState::throw_if_cancel_requested() {
    if (m_cancel_requested) {
        m_cancel_requested = false;
        throw CancelledError{};
    }
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

void TaskState::release() noexcept {
    if (--m_refs != 0) return;
    if (m_status == Status::created && m_loop == nullptr) {
        report("Task '" + m_name + "' was destroyed but never awaited nor passed to create_task()");
    }
    m_frame.destroy();
}

void TaskState::run() {
    EventLoop& loop = *m_loop;
    if (m_status == Status::created && m_cancel_requested) {
        // Cancelled before its first step: it never runs, as in CPython.
        m_cancelled = true;
        m_exception = std::make_exception_ptr(CancelledError{});
        m_status = Status::done;
    } else {
        m_status = Status::running;
        loop.m_current = this;
        const TimePoint start = loop.m_platform->now();
        m_resume.resume();
        const Duration held = loop.m_platform->now() - start;
        loop.m_current = nullptr;
        ++m_steps;
        m_run_time += held;
        loop.note_step(held, this);
    }
    if (m_status == Status::done) loop.on_task_done(*this);
}

void TaskState::abandon() noexcept {
    if (Wait* wait = std::exchange(m_waiting, nullptr)) wait->cancel_wait();
    static_cast<Runnable&>(*this).unlink();  // out of the ready queue, should it be there
    m_cancelled = true;
    m_exception = std::make_exception_ptr(CancelledError{});
    m_status = Status::done;
}

void TaskState::finish() noexcept {
    m_done_callbacks.for_each([this](DoneCallback& callback) {
        static_cast<ListHook&>(callback).unlink();
        callback.on_task_done(*this);
    });
}

}  // namespace asyncio::detail

void asyncio::set_error_reporter(std::function<void(const std::string&)> reporter) {
    detail::reporter() = std::move(reporter);
}
