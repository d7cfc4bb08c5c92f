#pragma once
// add_signal_handler(): run a callback in the loop when the process receives a signal, so a
// program can shut down gracefully on SIGINT/SIGTERM (loop.add_signal_handler in CPython).
//
//   asyncio::add_signal_handler(SIGTERM, [&server] { server.close(); });

#include <csignal>
#include <functional>

namespace asyncio {

/// Installs `callback` for `signal_number` on the running loop. The signal handler itself only
/// sets a flag (async-signal-safe); the callback runs later as a normal loop step, once for one or
/// more deliveries that arrived meanwhile. Replaces an earlier callback for the same signal.
/// A callback that throws is reported (set_error_reporter) and stays installed.
/// Lifetime: the handler belongs to the loop's run: when the run ends (or remove_signal_handler()
/// is called) the signal's default action is restored.
/// Throws std::invalid_argument for a bad number, std::system_error for SIGKILL/SIGSTOP.
void add_signal_handler(int signal_number, std::function<void()> callback);

/// Restores the default action. Returns false if no handler was installed.
bool remove_signal_handler(int signal_number);

}  // namespace asyncio
