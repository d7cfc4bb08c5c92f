// The poll() back-end's port for ESP-IDF (FreeRTOS + lwIP): time from esp_timer, and the wake-up
// descriptor from ESP-IDF's eventfd VFS, made with EFD_SUPPORT_ISR so that ThreadSafeFlag::set()
// may be called from an interrupt handler. Everything else of the back-end is
// src/io/poll_poller.cpp, the same code the Linux build tests (see poll_port.hpp, docs/ESP32.md).
//
// Never compiled with the Xtensa toolchain in this repository's CI: a ctest only checks that it
// compiles against the stand-in headers in ports/esp-idf/test-stubs/.
#include "poll_port.hpp"

#include <esp_err.h>
#include <esp_timer.h>
#include <esp_vfs_eventfd.h>

#include <cerrno>
#include <chrono>
#include <system_error>

/// How many eventfds the VFS holds, when this port registers it: one per event loop, plus those
/// the application makes. An application that registers the eventfd VFS itself decides instead.
#ifndef ASYNCIO_ESP_EVENTFD_MAX
#define ASYNCIO_ESP_EVENTFD_MAX 4
#endif

namespace asyncio::detail::poll_port {

namespace {

/// ESP-IDF's error codes have no errno; keep the meaning that matters to the caller.
int errno_of(esp_err_t error) noexcept { return error == ESP_ERR_NO_MEM ? ENOMEM : EIO; }

/// Registers the eventfd VFS once per program. Already registered (by the application, with its
/// own size) is fine; a failure throws, and the next loop tries again.
bool register_eventfd_vfs() {
    esp_vfs_eventfd_config_t config{};  // not ESP_VFS_EVENTD_CONFIG_DEFAULT(): a C compound literal
    config.max_fds = ASYNCIO_ESP_EVENTFD_MAX;
    const esp_err_t result = esp_vfs_eventfd_register(&config);
    if (result != ESP_OK && result != ESP_ERR_INVALID_STATE) {
        throw std::system_error(errno_of(result), std::generic_category(), "esp_vfs_eventfd_register");
    }
    return true;
}

}  // namespace

TimePoint now() noexcept { return TimePoint(std::chrono::microseconds(esp_timer_get_time())); }

int open_wakeup_descriptor() {
    [[maybe_unused]] static const bool registered = register_eventfd_vfs();
    // ESP-IDF's eventfd takes no other flag: its reads never block, and there is no exec().
    const int fd = ::eventfd(0, EFD_SUPPORT_ISR);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
    return fd;
}

}  // namespace asyncio::detail::poll_port
