#include <asyncio/core/errors.hpp>
#include <asyncio/core/fatal_error.hpp>
#include <asyncio/core/loop.hpp>

#include <algorithm>
#include <exception>
#include <string>
#include <utility>

namespace asyncio {

namespace {
thread_local EventLoop* t_running_loop = nullptr;

/// Passes of the loop that may run ready tasks back to back before I/O is polled once, so a
/// busy loop still notices sockets without paying a system call per task switch (Tokio looks
/// at I/O every 61 task polls).
constexpr unsigned kPassesBetweenPolls = 64;
}  // namespace

// --- call_soon / call_later callbacks ---

struct TimerHandle::State {
    bool cancelled = false;
};

void TimerHandle::cancel() noexcept {
    if (m_state) m_state->cancelled = true;
}

bool TimerHandle::cancelled() const noexcept { return m_state && m_state->cancelled; }

/// A plain callback in the ready queue or the timer heap. Owns itself: deleted after it ran.
struct EventLoop::Callback final : detail::Runnable, detail::TimerNode {
    Callback(EventLoop& owner, std::function<void()> fn)
        // new, not make_shared: on a device built without RTTI make_shared links libstdc++'s
        // shared_ptr support and its exception machinery (embedded/CORE_CHANGES.md).
        : loop(owner), function(std::move(fn)), state(new TimerHandle::State) {}

    void run() override {
        std::unique_ptr<Callback> self(this);
        if (state->cancelled) return;
        const TimePoint start = loop.m_clock;
#if ASYNCIO_EXCEPTIONS
        // As CPython's loop does: a callback that throws is reported and the loop goes on; the
        // exception must not unwind through the loop and abandon every task on it.
        try {
            function();
        } catch (const std::exception& error) {
            detail::report(std::string("exception in callback: ") + error.what());
        } catch (...) {
            detail::report("exception in callback: an exception not derived from std::exception");
        }
#else
        function();
#endif
        loop.m_clock = loop.m_platform->now();
        loop.note_step(loop.m_clock - start, nullptr);
    }
    void discard() noexcept override { delete this; }
    void fire() override { loop.schedule(*this); }

    EventLoop& loop;
    std::function<void()> function;
    std::shared_ptr<TimerHandle::State> state;
    Callback* next_threadsafe = nullptr;
};

class EventLoop::RunningScope {
public:
    explicit RunningScope(EventLoop& loop) : m_loop(loop), m_previous(t_running_loop) {
        if (loop.m_running) detail::fail<InvalidStateError>("this event loop is already running");
        loop.m_running = true;
        loop.m_stopping = false;
        loop.m_clock = loop.m_platform->now();
        t_running_loop = &loop;
    }
    RunningScope(const RunningScope&) = delete;
    RunningScope& operator=(const RunningScope&) = delete;
    ~RunningScope() {
        m_loop.m_running = false;
        t_running_loop = m_previous;
    }

private:
    EventLoop& m_loop;
    EventLoop* m_previous;
};

EventLoop::EventLoop(std::unique_ptr<Platform> platform) : m_platform(std::move(platform)) {}

EventLoop::~EventLoop() {
    if (!m_tasks.empty()) {
        RunningScope scope(*this);
        cancel_remaining_tasks();
    }
    Callback* pending = m_threadsafe_callbacks.exchange(nullptr);
    while (pending != nullptr) delete std::exchange(pending, pending->next_threadsafe);
    while (!m_ready.empty()) m_ready.pop_front().discard();
    while (!m_timers.empty()) {
        detail::TimerNode& timer = m_timers.top();
        timer.disarm();
        timer.discard();  // a Callback deletes itself; a task's timer lives in its frame
    }
}

// --- running ---

void EventLoop::run_forever() {
    RunningScope scope(*this);
    while (!m_stopping) run_once();
}

void EventLoop::run_until_done(detail::TaskState& task) {
    RunningScope scope(*this);
    while (!task.done() && !m_stopping) run_once();
}

void EventLoop::run_once() {
    poll_platform();
    fire_due_timers();
    run_external_events();
    run_ready();
}

void EventLoop::poll_platform() {
    std::optional<Duration> timeout;
    if (!m_ready.empty()) {
        // Tasks are ready: look at I/O without sleeping, but only now and then, and not at all
        // when nothing waits for I/O (wake-ups from other threads and interrupts arrive through
        // m_threadsafe_pending, which every pass checks, whether the platform was polled or not).
        if (!m_platform->has_pending_io()) return;
        if (++m_passes_since_poll < kPassesBetweenPolls) return;
        timeout = Duration::zero();
    } else if (!m_timers.empty()) {
        timeout = std::max(Duration::zero(), m_timers.top().deadline() - m_platform->now());
    }
    m_passes_since_poll = 0;
    m_platform->wait(timeout);
    m_clock = m_platform->now();
}

void EventLoop::fire_due_timers() {
    // m_clock is fresh: read after the last step or the wait that just ended.
    while (!m_timers.empty() && m_timers.top().deadline() <= m_clock) {
        detail::TimerNode& timer = m_timers.top();
        timer.disarm();
        timer.fire();
    }
}

void EventLoop::run_ready() {
    // Only what is ready now runs in this pass; what these steps make ready runs in the next,
    // after I/O and timers had their turn (the fairness CPython's _run_once gives). The pass
    // takes the whole queue at once, so an entry that leaves it meanwhile (a task destroyed
    // while ready) cannot make a later pass run more than was ready when it began.
    struct Pass {
        detail::IntrusiveList<detail::Runnable>& ready;
        detail::IntrusiveList<detail::Runnable> entries;
        // Should a step throw (out of memory), what did not run yet stays first in the queue.
        ~Pass() {
            entries.splice_back(ready);
            ready.splice_back(entries);
        }
    } pass{m_ready, {}};
    pass.entries.splice_back(m_ready);
    while (!pass.entries.empty()) pass.entries.pop_front().run();
}

void EventLoop::schedule(detail::Runnable& runnable) noexcept {
    // Already ready (in the queue or in the pass being run): it runs once, where it stands.
    if (static_cast<detail::ListHook&>(runnable).linked()) return;
    m_ready.push_back(runnable);
}

void EventLoop::note_long_step(Duration held, const detail::TaskState* task) {
    if (held > m_stats.longest_step) {
        m_stats.longest_step = held;
        if (task != nullptr) {
            task->copy_name_to(m_stats.longest_step_task);
        } else {
            m_stats.longest_step_task = "<callback>";
        }
    }
    if (m_stall_threshold > Duration::zero() && held > m_stall_threshold) {
        ++m_stats.stalls;
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(held).count();
        std::string name = "<callback>";
        if (task != nullptr) task->copy_name_to(name);
        detail::report("task '" + name + "' held the loop for " + std::to_string(ms) + " ms without awaiting");
    }
}

// --- tasks ---

void EventLoop::start(detail::TaskState& task) {
    if (task.is_root()) return;  // create_task() of a task already started: nothing to do
    if (task.status() != detail::TaskState::Status::created) {
        detail::fail<InvalidStateError>("create_task(): this coroutine is already running inline");
    }
    task.m_loop = this;
    task.m_next = task.frame();  // its first step starts at the top of its own frame
    task.add_ref();              // the loop's reference, dropped when the task is done
    task.m_id = static_cast<std::uint32_t>(++m_stats.tasks_created);
    m_tasks.push_back(task);
    ++m_task_count;
    schedule(task);
}

void EventLoop::on_task_done(detail::TaskState& task) noexcept {
    static_cast<detail::TaggedHook<detail::RegistryTag>&>(task).unlink();
#if !ASYNCIO_EXCEPTIONS
    // A wait that found a cancellation pending scheduled the task to be unwound, but did not
    // suspend it after all (it returned false from await_suspend), and the task then finished:
    // it must not run again.
    static_cast<detail::Runnable&>(task).unlink();
#endif
    --m_task_count;
    task.finish();
    task.release();
}

std::vector<TaskInfo> EventLoop::tasks() const {
    std::vector<TaskInfo> result;
    auto& tasks = const_cast<detail::IntrusiveList<detail::TaskState, detail::TaggedHook<detail::RegistryTag>>&>(m_tasks);
    tasks.for_each([&](detail::TaskState& task) {
        const char* state = task.waiting() ? "waiting" : "ready";
        TaskInfo& info = result.emplace_back(TaskInfo{{}, state, task.steps(), task.run_time()});
        task.copy_name_to(info.name);
    });
    return result;
}

bool EventLoop::can_progress() const noexcept {
    return !m_ready.empty() || !m_timers.empty() || m_platform->has_pending_io();
}

void EventLoop::cancel_remaining_tasks() {
    // asyncio.run(): cancel what is left and let it run its cleanup. A task that ignores the
    // cancellation and waits for something that can no longer come is destroyed where it waits.
    m_tasks.for_each([](detail::TaskState& task) { task.cancel(); });
    while (!m_tasks.empty() && can_progress()) run_once();
    m_tasks.for_each([this](detail::TaskState& task) {
        detail::report("task '" + task.name() + "' was still waiting at shutdown; destroyed");
        task.abandon();
        on_task_done(task);
    });
}

// --- callbacks ---

TimerHandle EventLoop::call_soon(std::function<void()> callback) {
    auto* entry = new Callback(*this, std::move(callback));
    TimerHandle handle(entry->state);
    schedule(*entry);
    return handle;
}

TimerHandle EventLoop::call_later(Duration delay, std::function<void()> callback) {
    return call_at(detail::deadline_after(m_platform->now(), delay), std::move(callback));
}

TimerHandle EventLoop::call_at(TimePoint when, std::function<void()> callback) {
    auto* entry = new Callback(*this, std::move(callback));
    TimerHandle handle(entry->state);
    m_timers.push(*entry, when);
    return handle;
}

void EventLoop::call_soon_threadsafe(std::function<void()> callback) {
    auto* entry = new Callback(*this, std::move(callback));
    entry->next_threadsafe = m_threadsafe_callbacks.load(std::memory_order_relaxed);
    while (!m_threadsafe_callbacks.compare_exchange_weak(entry->next_threadsafe, entry,
                                                          std::memory_order_release,
                                                          std::memory_order_relaxed)) {
    }
    notify_threadsafe();
}

// On ThreadSafeFlag::set()'s path from an interrupt handler: in IRAM on ESP-IDF (config.hpp).
ASYNCIO_ISR_ATTR void EventLoop::notify_threadsafe() noexcept {
    m_threadsafe_pending.store(true, std::memory_order_release);
    m_platform->wake();
}

void EventLoop::run_external_events() {
    // A plain load first: the common case (nothing happened) costs no locked instruction.
    if (!m_threadsafe_pending.load(std::memory_order_relaxed)) return;
    if (!m_threadsafe_pending.exchange(false, std::memory_order_acquire)) return;
    // The stack holds the newest first: reverse it to keep call order.
    Callback* newest_first = m_threadsafe_callbacks.exchange(nullptr, std::memory_order_acquire);
    Callback* oldest_first = nullptr;
    while (newest_first != nullptr) {
        Callback* next = newest_first->next_threadsafe;
        newest_first->next_threadsafe = oldest_first;
        oldest_first = newest_first;
        newest_first = next;
    }
    for (; oldest_first != nullptr; oldest_first = oldest_first->next_threadsafe) schedule(*oldest_first);
    m_external_waits.for_each([](detail::ExternalWait& wait) { wait.poll(); });
}

// --- the thread's loop ---

EventLoop* running_loop() noexcept { return t_running_loop; }

EventLoop& get_event_loop() {
    if (t_running_loop != nullptr) return *t_running_loop;
    thread_local EventLoop default_loop;
    return default_loop;
}

LoopClock::time_point LoopClock::now() { return get_event_loop().time(); }

}  // namespace asyncio
