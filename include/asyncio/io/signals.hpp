#pragma once

#include <csignal>
#include <functional>

namespace asyncio {

/// Runs `callback` in the loop when the process receives `signal_number`, so a program can shut
/// down gracefully on SIGINT/SIGTERM (loop.add_signal_handler in CPython):
///
///     asyncio::add_signal_handler(SIGTERM, [&server] { server.close(); });
///
/// Installs `callback` on this thread's loop (get_event_loop(): the running one, normally). The
/// signal handler itself only sets a flag (async-signal-safe); the callback runs later as a
/// normal loop step, once for one or more deliveries that arrived meanwhile. Replaces an earlier callback for the same signal.
/// A callback that throws is reported (set_error_reporter) and stays installed.
/// Lifetime: the handler belongs to the loop's run: when the run ends (or remove_signal_handler()
/// is called) the signal's default action is restored.
/// Throws std::invalid_argument for a bad number, std::system_error for SIGKILL/SIGSTOP.
void add_signal_handler(int signal_number, std::function<void()> callback);

/// Removes the callback add_signal_handler() installed and restores the signal's default action.
/// Returns false if no handler was installed. Throws std::invalid_argument for a bad number.
bool remove_signal_handler(int signal_number);

}  // namespace asyncio
