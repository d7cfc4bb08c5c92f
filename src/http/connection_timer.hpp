#pragma once
// The time limits of an HTTP connection's waits (src/http, not installed).
//
// Why not the core's timeout() scopes: a connection's limit spans several waits (a request head
// may arrive in many reads, all under one deadline) and is moved on every request, and the hot
// path of a keep-alive connection must not allocate. A timeout() scope arms and disarms a timer
// per wait, and wraps one awaitable in a coroutine of its own; ConnectionTimer lives in the
// connection's frame, is armed lazily (one heap insertion per time-out period), and works as a
// scope does underneath: it cancels the connection's task when the deadline passes and withdraws
// that cancellation with uncancel(), comparing Task.cancelling() to tell its own expiry from a
// cancellation that came from outside (the server closing).

#include <asyncio/core/detail/timer_heap.hpp>
#include <asyncio/core/errors.hpp>
#include <asyncio/core/loop.hpp>
#include <asyncio/io/stream.hpp>

#include <coroutine>
#include <utility>

namespace asyncio::http {

/// The time limit of a connection's current wait (idle, request head, body, write), armed
/// lazily: the loop's timer heap sees one insertion per time-out period, not an insertion and a
/// removal per request (nginx's timers skip small moves for the same reason). A timer that fires
/// before its deadline (the deadline moved later since it was armed) re-arms itself; one that
/// fires while no wait runs does nothing.
class ConnectionTimer final : detail::TimerNode {
public:
    ConnectionTimer() : m_task(running_loop()->current_task()) {}

    /// Limits the wait that starts now to `deadline`.
    void start(TimePoint deadline) {
        m_deadline = deadline;
        m_running = true;
        m_expired = false;
        m_cancelling_at_start = m_task->cancelling();
        if (!armed() || deadline < this->deadline()) running_loop()->add_timer(*this, deadline);
    }
    /// The wait ended. True when this timer's expiry ended it and nobody else cancelled the task
    /// meanwhile: the caller then treats the CancelledError as the time-out. The timer's own
    /// cancel request is withdrawn either way (Task.uncancel(), as a timeout() scope does), so it
    /// cannot hit an unrelated await later.
    bool stop() noexcept {
        m_running = false;
        if (!std::exchange(m_expired, false)) return false;
        return m_task->uncancel() <= m_cancelling_at_start;
    }

    /// Ends the wait in progress now, as if its deadline had passed (a connection closed to make
    /// room). Nothing happens when no wait runs.
    void expire_now() noexcept {
        if (!m_running || m_expired) return;
        m_expired = true;
        m_task->cancel();
    }

private:
    void fire() override {
        if (!m_running) return;
        if (running_loop()->time() < m_deadline) {
            running_loop()->add_timer(*this, m_deadline);
            return;
        }
        m_expired = true;
        m_task->cancel();
    }

    detail::TaskState* m_task;
    TimePoint m_deadline{};
    unsigned m_cancelling_at_start = 0;
    bool m_running = false;
    bool m_expired = false;
};

/// Waits until the stream is readable (or writable) until `deadline`; yields false when the time
/// ran out. Allocation-free: the hot path of a keep-alive connection waits here.
class [[nodiscard]] TimedIoWait {
public:
    enum class For { read, write };
    TimedIoWait(Stream& stream, For direction, ConnectionTimer& timer, TimePoint deadline)
        : m_wait(direction == For::write ? stream.wait_writable() : stream.wait_readable()),
          m_timer(timer),
          m_deadline(deadline) {}

    bool await_ready() const noexcept { return m_wait.await_ready(); }
    bool await_suspend(std::coroutine_handle<> handle) {
        m_timer.start(m_deadline);
        return m_wait.await_suspend(handle);
    }
    bool await_resume() {
        try {
            m_wait.await_resume();
        } catch (const CancelledError&) {
            if (m_timer.stop()) return false;
            throw;
        }
        m_timer.stop();
        return true;
    }

private:
    detail::IoWait m_wait;
    ConnectionTimer& m_timer;
    TimePoint m_deadline;
};

}  // namespace asyncio::http
