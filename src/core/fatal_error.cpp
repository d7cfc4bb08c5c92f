#include <asyncio/core/fatal_error.hpp>
#include <asyncio/core/platform.hpp>

#include <atomic>
#include <cstdlib>

namespace asyncio {

namespace {
// Atomic: installed from main, read from wherever the error happens (any thread, a handler).
std::atomic<FatalErrorHandler> g_handler{nullptr};
}  // namespace

void fatal_error(const char* what) noexcept {
    if (FatalErrorHandler handler = g_handler.load(std::memory_order_acquire)) {
        handler(what);
    } else {
        platform_report(what);
    }
    std::abort();  // not std::terminate(), which links the exception runtime on a device
}

FatalErrorHandler set_fatal_error_handler(FatalErrorHandler handler) noexcept {
    return g_handler.exchange(handler, std::memory_order_acq_rel);
}

}  // namespace asyncio
