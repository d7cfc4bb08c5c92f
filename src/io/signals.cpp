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

/// Owns the watch. When the task ends (handler removed, or the loop shut down), the signal goes
/// back to its default action before the watch is freed, so the handler never sees a dead watch.
Task<> watch_signal(std::unique_ptr<SignalWatch> watch, int signal_number) {
    struct Uninstall {
        SignalWatch* watch;
        int signal_number;
        ~Uninstall() {
            SignalWatch* expected = watch;
            if (g_watches[static_cast<std::size_t>(signal_number)].compare_exchange_strong(expected, nullptr)) {
                std::signal(signal_number, SIG_DFL);
            }
        }
    } uninstall{watch.get(), signal_number};
    for (;;) {
        co_await watch->raised.wait();
        watch->callback();
    }
}

void check_signal_number(int signal_number) {
    if (signal_number <= 0 || signal_number >= kMaxSignal) throw std::invalid_argument("invalid signal number");
}

}  // namespace

void add_signal_handler(int signal_number, std::function<void()> callback) {
    check_signal_number(signal_number);
    remove_signal_handler(signal_number);
    auto watch = std::make_unique<SignalWatch>();
    watch->callback = std::move(callback);
    SignalWatch* installed = watch.get();
    installed->watcher = &create_task(watch_signal(std::move(watch), signal_number), "signal " + std::to_string(signal_number)).state();
    g_watches[static_cast<std::size_t>(signal_number)].store(installed);
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    if (::sigaction(signal_number, &action, nullptr) < 0) throw std::system_error(errno, std::system_category(), "sigaction");
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
