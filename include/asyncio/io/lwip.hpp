#pragma once

#include <asyncio/core/platform.hpp>

#include <cstddef>
#include <memory>

/// The io layer on lwIP's raw API (NO_SYS=1: no RTOS, one thread), the way MicroPython's
/// bare-metal ports use lwIP. Stream, start_server() and open_connection() keep their API; under
/// them a small socket table (src/io/lwip/socket_table.hpp) turns lwIP's TCP callbacks into the
/// readiness the rest of the io layer waits for, and the loop drives lwIP:
///
/// - each turn of the loop that would sleep first moves received frames into lwIP (the board's
///   netif driver) and runs lwIP's timers (sys_check_timeouts());
/// - then it sleeps in the board's idle wait (WFI) until the next asyncio timer or lwIP timer
///   is due, or the Ethernet interrupt wakes it.
///
/// A board program makes the platform and hands it to run():
///
///     asyncio::run(main_task(), asyncio::lwip::make_platform(std::make_unique<port::TickPlatform>(),
///                                                            {&board_net::receive, &board_net::set_irq_hook}));
///
/// or defines make_default_platform() to return it. lwIP must be initialised (lwip_init(), the
/// netif added) before the loop starts; nothing here calls lwIP from an interrupt handler.
namespace asyncio::lwip {

/// What the loop needs of the board's network interface.
struct NetworkInterface {
    /// Moves every frame the interface has received into lwIP (netif->input). Called by the loop
    /// only, never from an interrupt.
    void (*receive)() = nullptr;
    /// Arranges for `wake(argument)` to be called from the interface's interrupt handler when a
    /// frame arrives (so that an idle loop wakes up). May be nullptr: the loop then polls the
    /// interface at every lwIP timer tick (250 ms) only.
    void (*set_interrupt_hook)(void (*wake)(void* argument), void* argument) = nullptr;
};

/// The platform of a loop whose sockets are lwIP's: time and idle waiting from `idle` (the
/// board's tick platform), lwIP driven as described above.
[[nodiscard]] std::unique_ptr<Platform> make_platform(std::unique_ptr<Platform> idle, NetworkInterface interface);

/// How full the socket table is, for metrics.
struct SocketCounts {
    std::size_t in_use = 0;    ///< sockets of the table in use now (listeners included)
    std::size_t capacity = 0;  ///< the table's size: ASYNCIO_LWIP_MAX_SOCKETS
    std::size_t refused = 0;   ///< connections refused since start because the table was full
};
/// The socket table's counts now. Call it on the loop's thread.
[[nodiscard]] SocketCounts socket_counts() noexcept;

}  // namespace asyncio::lwip
