// The poll() back-end's port for Linux: CLOCK_MONOTONIC and a non-blocking eventfd, the same kind
// of wake-up descriptor the ESP-IDF port makes (see poll_port.hpp), so that the Linux build of the
// poll() back-end exercises the wake-up path an ESP32 runs.
#include "poll_port.hpp"

#include <sys/eventfd.h>

#include <cerrno>
#include <ctime>
#include <system_error>

namespace asyncio::detail::poll_port {

TimePoint now() noexcept {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return TimePoint(std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec));
}

int open_wakeup_descriptor() {
    const int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0) throw std::system_error(errno, std::system_category(), "eventfd");
    return fd;
}

}  // namespace asyncio::detail::poll_port
