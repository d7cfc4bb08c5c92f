#pragma once
// The only part of the poll() back-end that differs between systems: where time comes from and
// how the wake-up descriptor is made. Everything else (poll_poller.cpp) is one code path, built
// and tested on Linux with ASYNCIO_POLLER=poll and compiled unchanged for an ESP32 by ESP-IDF.
//
//   Linux (src/io/poll_port_linux.cpp):   CLOCK_MONOTONIC, eventfd(EFD_NONBLOCK | EFD_CLOEXEC)
//   ESP-IDF (ports/esp-idf/src/...):      esp_timer_get_time(), the eventfd VFS (EFD_SUPPORT_ISR)
//
// Both wake-up descriptors are eventfds with the same contract, which poll_poller.cpp relies on:
// - write() of one 8-byte count adds it to the counter, never blocks, and may be called from any
//   thread (on the ESP32 also from an interrupt handler);
// - poll() reports POLLIN while the counter is not zero;
// - one read() of 8 bytes returns the counter and resets it to zero (on Linux a read of a zero
//   counter fails with EAGAIN; on ESP-IDF it returns 0; the poller reads only after POLLIN).

#include <asyncio/core/platform.hpp>

namespace asyncio::detail::poll_port {

/// The monotonic clock, from an arbitrary origin (boot on the ESP32).
TimePoint now() noexcept;

/// Opens the eventfd that wakes poll() (counter 0); the caller closes it with close().
/// Throws std::system_error naming the call that failed.
int open_wakeup_descriptor();

}  // namespace asyncio::detail::poll_port
