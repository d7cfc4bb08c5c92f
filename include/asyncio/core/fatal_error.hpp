#pragma once
// fatal_error: the end of a program that broke one of asyncio's rules, where the exceptions
// profile throws an exception nobody is expected to catch (InvalidStateError, QueueFull on
// put_nowait) and the -fno-exceptions profile cannot. It is "uncaught exception -> terminate",
// made explicit and hookable: a device logs the reason and resets.
//
//   asyncio::set_fatal_error_handler([](const char* what) noexcept { log(what); reset_board(); });

#include <asyncio/core/config.hpp>

#include <type_traits>

namespace asyncio {

/// Called with a description of what went wrong; must not return (if it does, abort() follows).
using FatalErrorHandler = void (*)(const char* what) noexcept;

/// Runs the handler (default: platform_report(what), then std::abort()). Never returns.
[[noreturn]] void fatal_error(const char* what) noexcept;

/// Installs `handler` (nullptr: the default) and returns the one installed before.
FatalErrorHandler set_fatal_error_handler(FatalErrorHandler handler) noexcept;

namespace detail {
/// Throws `Error` (built from `what` if it takes a message) with exceptions, else fatal_error(what).
template <class Error>
[[noreturn]] void fail(const char* what) {
#if ASYNCIO_EXCEPTIONS
    if constexpr (std::is_constructible_v<Error, const char*>) {
        throw Error(what);
    } else {
        throw Error();
    }
#else
    fatal_error(what);
#endif
}
}  // namespace detail

}  // namespace asyncio
