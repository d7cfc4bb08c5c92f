// What lwIP needs from a NO_SYS port on the host: sys_now(), its timers' clock.
#include <lwip/sys.h>

#include <chrono>

/// Milliseconds of the monotonic clock (wraps after 49 days, which lwIP's timer arithmetic allows).
extern "C" u32_t sys_now(void) {
    const auto since_boot = std::chrono::steady_clock::now().time_since_epoch();
    return static_cast<u32_t>(std::chrono::duration_cast<std::chrono::milliseconds>(since_boot).count());
}
