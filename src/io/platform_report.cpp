// Hosted builds: the core's diagnostics go to stderr (asyncio::platform_report, platform.hpp).
// It lives in the io layer, beside make_default_platform(), because the core needs no stdio.

#include <asyncio/core/platform.hpp>

#include <cstdio>

void asyncio::platform_report(const char* message) noexcept {
    std::fputs("asyncio: ", stderr);
    std::fputs(message, stderr);
    std::fputc('\n', stderr);
}
