#pragma once
// The event loop: a ready queue, a timer heap and a Platform to sleep on. Like MicroPython's
// core.py it only schedules; everything that waits (sleep, Event, Stream...) registers itself
// and asks the loop to schedule its task again.

#include <asyncio/core/detail/intrusive_list.hpp>
#include <asyncio/core/detail/task_state.hpp>
#include <asyncio/core/detail/timer_heap.hpp>
#include <asyncio/core/platform.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace asyncio {

template <class T>
class Task;

namespace detail {
/// Something set from outside the loop (another thread, an interrupt) that a task waits for:
/// the loop polls it after notify_threadsafe(). ThreadSafeFlag is one.
class ExternalWait : public ListHook {
public:
    virtual void poll() noexcept = 0;

protected:
    ExternalWait() = default;
    ExternalWait(ExternalWait&&) noexcept = default;
    ~ExternalWait() = default;
};
}  // namespace detail

/// Cancels a callback scheduled with call_soon/call_later. Cancelling after it ran does nothing.
class TimerHandle {
public:
    TimerHandle() = default;
    /// Keeps the callback from running, if it has not run yet; a no-op on an empty handle.
    void cancel() noexcept;
    /// Whether cancel() was called before the callback ran.
    [[nodiscard]] bool cancelled() const noexcept;

private:
    friend class EventLoop;
    struct State;
    explicit TimerHandle(std::shared_ptr<State> state) : m_state(std::move(state)) {}
    std::shared_ptr<State> m_state;
};

/// A snapshot of one task, for introspection (/debug/tasks).
struct TaskInfo {
    std::string name;   ///< Task::get_name(): "Task-N" unless one was set
    std::string state;  ///< "ready", "waiting" or "done"
    std::uint64_t steps = 0;  ///< times the loop resumed it
    Duration run_time{};      ///< loop time spent in its steps, all together
};

/// Figures the loop keeps about itself; cheap enough to stay on.
struct LoopStats {
    std::uint64_t steps = 0;          ///< task steps and callbacks run
    std::uint64_t tasks_created = 0;  ///< by create_task/run
    std::uint64_t stalls = 0;         ///< steps that held the loop longer than the threshold
    Duration longest_step{};        ///< the longest single step since the loop started
    std::string longest_step_task;  ///< name of the task that held it (kept after it ended)
};

/// The event loop (asyncio's BaseEventLoop): a ready queue, a timer heap and a Platform that
/// sleeps until the next timer, an I/O event or a wake-up. asyncio::run() makes one; most code
/// reaches it through get_event_loop(). One loop per thread; only call_soon_threadsafe() and
/// notify_threadsafe() may be called from another thread.
class EventLoop {
public:
    /// A loop on `platform`: the OS poller by default, a VirtualClock in tests.
    explicit EventLoop(std::unique_ptr<Platform> platform = make_default_platform());
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;
    ~EventLoop();

    /// Runs `task` (started if it was not) until it is done, and returns its result or rethrows
    /// its exception. Other tasks are left as they are, to run on at the next run; the loop's
    /// destructor (so asyncio::run()) cancels and reaps them. If stop() is called first, throws
    /// InvalidStateError and leaves `task` pending, as CPython's loop does. Defined in task.hpp.
    template <class T>
    T run_until_complete(Task<T> task);
    /// Runs until stop() is called.
    void run_forever();
    /// Makes run_forever()/run_until_complete() return after the current pass.
    void stop() noexcept { m_stopping = true; }
    /// Whether run_forever() or run_until_complete() is on the stack.
    [[nodiscard]] bool is_running() const noexcept { return m_running; }

    /// The loop's clock.
    [[nodiscard]] TimePoint time() const noexcept { return m_platform->now(); }
    /// What the loop sleeps on (the OS poller, a VirtualClock, a board's tick).
    [[nodiscard]] Platform& platform() noexcept { return *m_platform; }

    /// Runs `callback` on the next pass of the loop, after the tasks already ready.
    TimerHandle call_soon(std::function<void()> callback);
    /// Runs `callback` once `delay` has passed.
    TimerHandle call_later(Duration delay, std::function<void()> callback);
    /// Runs `callback` at the loop time `when`.
    TimerHandle call_at(TimePoint when, std::function<void()> callback);
    /// call_soon from any other thread; wakes the loop. It allocates: from an interrupt handler
    /// use ThreadSafeFlag::set(), which does not.
    void call_soon_threadsafe(std::function<void()> callback);

    /// Steps that hold the loop longer than this are reported with the task's name (default
    /// 100 ms, CPython's slow_callback_duration); zero turns the report off.
    void set_stall_threshold(Duration threshold) noexcept { m_stall_threshold = threshold; }
    /// Counters since the loop was made (steps, tasks, stalls, the longest step).
    [[nodiscard]] const LoopStats& stats() const noexcept { return m_stats; }
    /// Every task started on this loop that has not finished.
    [[nodiscard]] std::vector<TaskInfo> tasks() const;
    /// How many tasks started on this loop have not finished (tasks().size(), without copying).
    [[nodiscard]] std::size_t task_count() const noexcept { return m_task_count; }

    /// \cond INTERNAL
    // --- machinery for the library's awaitables ---
    void start(detail::TaskState& task);
    void schedule(detail::Runnable& runnable) noexcept;
    void add_timer(detail::TimerNode& timer, TimePoint deadline) { m_timers.push(timer, deadline); }
    /// \endcond
    /// Reserves room for `count` armed timers (sleeps, time-outs, call_later), so that a device
    /// allocates nothing once its tasks run. Call before running the loop.
    void reserve_timers(std::size_t count) { m_timers.reserve(count); }
    /// \cond INTERNAL
    [[nodiscard]] detail::TaskState* current_task() const noexcept { return m_current; }
    /// Runs until `task` is done or stop() is called.
    void run_until_done(detail::TaskState& task);
    /// \endcond
    /// Something was set from outside (any thread, an interrupt): poll the external waits on
    /// the next pass, and wake the loop if it sleeps.
    void notify_threadsafe() noexcept;
    /// \cond INTERNAL
    void watch_external(detail::ExternalWait& wait) noexcept { m_external_waits.push_back(wait); }
    /// \endcond

private:
    friend class detail::TaskState;
    class RunningScope;
    struct Callback;

    void run_once();
    void poll_platform();
    void fire_due_timers();
    void run_external_events();
    void run_ready();
    /// Counts a step; the rare long ones (a new longest, a stall) take the slow path.
    void note_step(Duration held, const detail::TaskState* task) {
        ++m_stats.steps;
        if (held > m_stats.longest_step || (held > m_stall_threshold && m_stall_threshold > Duration::zero())) {
            note_long_step(held, task);
        }
    }
    void note_long_step(Duration held, const detail::TaskState* task);
    void on_task_done(detail::TaskState& task) noexcept;
    void cancel_remaining_tasks();
    [[nodiscard]] bool can_progress() const noexcept;

    std::unique_ptr<Platform> m_platform;
    detail::IntrusiveList<detail::Runnable> m_ready;
    detail::TimerHeap m_timers;
    detail::IntrusiveList<detail::TaskState, detail::TaggedHook<detail::RegistryTag>> m_tasks;
    std::size_t m_task_count = 0;
    detail::TaskState* m_current = nullptr;
    /// The clock as of the end of the last step (or wait): the start of the next step. Each step
    /// costs one clock read, however the loop's statistics and timers use it.
    TimePoint m_clock{};
    unsigned m_passes_since_poll = 0;
    bool m_stopping = false;
    bool m_running = false;

    // call_soon_threadsafe: a lock-free stack pushed by other threads, drained by the loop.
    std::atomic<Callback*> m_threadsafe_callbacks{nullptr};
    std::atomic<bool> m_threadsafe_pending{false};
    detail::IntrusiveList<detail::ExternalWait> m_external_waits;

    Duration m_stall_threshold = std::chrono::milliseconds(100);
    LoopStats m_stats;
};

/// The loop running on this thread; outside of one, this thread's default loop (created on first
/// use), as MicroPython's get_event_loop() does.
EventLoop& get_event_loop();
/// The loop running on this thread, or nullptr.
EventLoop* running_loop() noexcept;

/// Where diagnostics go (failed tasks nobody awaited, stalls). Default: a line on stderr (on a
/// board, its console).
void set_error_reporter(std::function<void(const std::string&)> reporter);
/// Writes one diagnostic line of the application's to the same place.
void report_error(const std::string& message) noexcept;

}  // namespace asyncio
