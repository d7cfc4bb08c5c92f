#include <asyncio/io/signals.hpp>

#include <asyncio/core/errors.hpp>
#include <asyncio/core/task.hpp>
#include <asyncio/core/thread_safe_flag.hpp>

#include <array>
#include <atomic>
#include <cerrno>
#include <memory>
#include <system_error>

namespace asyncio {

namespace {

/// One installed handler: the flag the signal handler sets and the task that waits on it.
struct SignalWatch {
    ThreadSafeFlag raised;
    std::function<void()> callback;
    detail::TaskState* watcher = nullptr;  ///< not owning: the task owns this watch
};

constexpr int kMaxSignal = 65;
std::array<std::atomic<SignalWatch*>, kMaxSignal> g_watches{};

void on_signal(int signal_number) {
    if (SignalWatch* watch = g_watches[static_cast<std::size_t>(signal_number)].load()) watch->raised.set();
}

/// Frees a watch, first putting the signal back to its default action if the watch is still the
/// installed one, so the signal handler never sees a freed watch.
struct Uninstall {
    int signal_number;
    void operator()(SignalWatch* watch) const noexcept {
        SignalWatch* expected = watch;
        if (g_watches[static_cast<std::size_t>(signal_number)].compare_exchange_strong(expected, nullptr)) {
            std::signal(signal_number, SIG_DFL);
        }
        delete watch;
    }
};
using OwnedWatch = std::unique_ptr<SignalWatch, Uninstall>;

/// Owns the watch through its parameter: the watch is uninstalled and freed with the frame, also
/// when the task is cancelled before its first step (the loop shutting down at once).
Task<> watch_signal(OwnedWatch watch, int signal_number) {
    for (;;) {
        co_await watch->raised.wait();
        // A callback that throws is reported, and the handler stays installed (a call_soon
        // callback is treated the same way by the loop).
        try {
            watch->callback();
        } catch (...) {
            detail::report("signal " + std::to_string(signal_number) + " handler failed: " +
                           detail::describe(std::current_exception()));
        }
    }
}

void check_signal_number(int signal_number) {
    if (signal_number <= 0 || signal_number >= kMaxSignal) throw std::invalid_argument("invalid signal number");
}

}  // namespace

void add_signal_handler(int signal_number, std::function<void()> callback) {
    check_signal_number(signal_number);
    remove_signal_handler(signal_number);
    OwnedWatch watch(new SignalWatch, Uninstall{signal_number});
    watch->callback = std::move(callback);
    SignalWatch* installed = watch.get();
    installed->watcher = &create_task(watch_signal(std::move(watch), signal_number), "signal " + std::to_string(signal_number)).state();
    g_watches[static_cast<std::size_t>(signal_number)].store(installed);
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    if (::sigaction(signal_number, &action, nullptr) < 0) {
        const int error = errno;  // SIGKILL, SIGSTOP: nothing is left installed
        remove_signal_handler(signal_number);
        throw std::system_error(error, std::system_category(), "sigaction");
    }
}

bool remove_signal_handler(int signal_number) {
    check_signal_number(signal_number);
    SignalWatch* watch = g_watches[static_cast<std::size_t>(signal_number)].exchange(nullptr);
    if (watch == nullptr) return false;
    std::signal(signal_number, SIG_DFL);
    watch->watcher->cancel();  // the task frees the watch when it ends
    return true;
}

}  // namespace asyncio
