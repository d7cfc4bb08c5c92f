#pragma once
// The build profile of the core. ASYNCIO_EXCEPTIONS is 1 when the core is compiled with C++
// exceptions (the default wherever the compiler has them on), 0 for the -fno-exceptions profile.
// A build may define it to 0 with exceptions on, to get the profile's behaviour; not the reverse.
//
// What the profile without exceptions means (docs/EMBEDDED.md, "Without exceptions"):
//   - cancel() unwinds the task: at its next step the loop destroys its coroutine frames instead
//     of resuming them, innermost first, running every destructor (guards, awaiters); the task
//     ends cancelled(), and a task that joins it (co_await, gather) is cancelled in turn;
//   - time limits are try_wait_for() (an empty optional on time-out), not wait_for/timeout();
//   - a misuse that would throw (InvalidStateError, QueueFull...) calls fatal_error();
//   - a coroutine whose frame cannot be allocated returns an empty Task (`!task`).

#ifndef ASYNCIO_EXCEPTIONS
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)
#define ASYNCIO_EXCEPTIONS 1
#else
#define ASYNCIO_EXCEPTIONS 0
#endif
#endif

#if ASYNCIO_EXCEPTIONS && !(defined(__cpp_exceptions) || defined(__EXCEPTIONS))
#error "ASYNCIO_EXCEPTIONS=1 needs C++ exceptions (remove -fno-exceptions)"
#endif

// ASYNCIO_ISR_ATTR marks the functions an interrupt handler runs through ThreadSafeFlag::set():
// set() itself, EventLoop::notify_threadsafe() and the platform's wake(). On ESP-IDF it is
// IRAM_ATTR, which places them in internal RAM as ESP-IDF wants of interrupt code; elsewhere it is
// empty. A build may define it itself (to an attribute, or to nothing).
#ifndef ASYNCIO_ISR_ATTR
#if defined(ESP_PLATFORM)
#include <esp_attr.h>
#define ASYNCIO_ISR_ATTR IRAM_ATTR
#else
#define ASYNCIO_ISR_ATTR
#endif
#endif
