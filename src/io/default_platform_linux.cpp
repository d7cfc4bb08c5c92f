// Which Linux back-end a new loop gets: the build's default (CMake ASYNCIO_POLLER=epoll|uring),
// or the environment variable ASYNCIO_POLLER=epoll|uring when it is set. Where the kernel refuses
// io_uring (too old, seccomp, kernel.io_uring_disabled), the loop runs on epoll and says so once.
#include "edge_triggered_poller.hpp"

#include <asyncio/core/platform.hpp>

#include <atomic>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

#ifndef ASYNCIO_DEFAULT_POLLER
#define ASYNCIO_DEFAULT_POLLER "epoll"
#endif

namespace asyncio::detail {
namespace {

std::string_view requested_backend() {
    const char* chosen = std::getenv("ASYNCIO_POLLER");
    if (chosen == nullptr || *chosen == '\0') return ASYNCIO_DEFAULT_POLLER;
    const std::string_view name = chosen;
    if (name != "epoll" && name != "uring") {
        throw std::invalid_argument("ASYNCIO_POLLER='" + std::string(name) +
                                    "': this build's loops run on epoll or uring (poll() is a build option: "
                                    "cmake -DASYNCIO_POLLER=poll)");
    }
    return name;
}

/// Said once per process, not once per loop (a test suite starts thousands).
void report_fallback_once(const std::string& reason) {
    static std::atomic<bool> reported{false};
    if (reported.exchange(true)) return;
    const std::string message = "io_uring unavailable (" + reason + "): using epoll";
    platform_report(message.c_str());
}

}  // namespace
}  // namespace asyncio::detail

std::unique_ptr<asyncio::Platform> asyncio::make_default_platform() {
    if (detail::requested_backend() == "uring") {
#if ASYNCIO_HAVE_URING
        try {
            return detail::make_uring_poller();
        } catch (const std::system_error& error) {
            detail::report_fallback_once(error.what());
        }
#else
        detail::report_fallback_once("this build has no liburing");
#endif
    }
    return detail::make_epoll_poller();
}
