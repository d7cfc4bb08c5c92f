#pragma once
// The board's network: lwIP (raw API, NO_SYS) on the LAN9118, configured by DHCP. What the io
// back-end and the board's main call; everything here runs on the main loop, except the hook
// given to set_irq_hook(), which runs in the Ethernet interrupt handler.
//
// A main loop drives it like this (the asyncio Platform's wait() sleeps in WFI):
//
//     board_net::set_irq_hook([](void* p) { static_cast<asyncio::Platform*>(p)->wake(); }, &platform);
//     board_net::start("sensor-server");
//     for (;;) {
//         board_net::poll();                                   // frames in, lwIP timers
//         ... run what became ready ...
//         if (!board_net::work_pending())
//             platform.wait(std::chrono::milliseconds(board_net::ms_until_next_timer()));
//     }
//
// lwIP's callbacks (tcp_accept, tcp_recv, tcp_sent, tcp_err, the netif status callback) run
// inside poll() and inside the lwIP calls that send (tcp_write/tcp_output/tcp_recved), never in
// the interrupt handler.

#include <cstdint>

struct netif;

namespace board_net {

/// The interface's IPv4 configuration, each address as lwIP keeps it: network byte order in
/// memory (on this little-endian core, the first octet is the low byte). 0 when not known.
struct Facts {
    std::uint32_t ip = 0;
    std::uint32_t netmask = 0;
    std::uint32_t gateway = 0;
    std::uint32_t dns = 0;  ///< the first DNS server DHCP offered
};

/// Counters of the driver and of lwIP's allocators, since start().
struct Stats {
    std::uint32_t rx_frames = 0;     ///< frames handed to lwIP
    std::uint32_t tx_frames = 0;     ///< frames sent
    std::uint32_t rx_dropped = 0;    ///< frames discarded: the pbuf pool was empty
    std::uint32_t rx_errors = 0;     ///< frames discarded: error status or bad length
    std::uint32_t tx_errors = 0;     ///< frames not sent
    std::uint32_t interrupts = 0;    ///< Ethernet interrupts taken
    std::uint32_t memp_errors = 0;   ///< failed allocations from all of lwIP's fixed pools
    std::uint32_t pbuf_pool_errors = 0;  ///< ... of which from the RX pbuf pool
    std::uint32_t tcp_pcb_errors = 0;    ///< ... of which from the TCP pcb pool
    std::uint32_t tcp_seg_errors = 0;    ///< ... of which from the TCP segment pool (tcp_write)
    std::uint32_t pbuf_ref_errors = 0;   ///< ... of which from PBUF_REF/ROM (tcp_write, no COPY)
    std::uint32_t heap_errors = 0;   ///< failed mem_malloc()s (MEM_SIZE heap: tcp_write COPY data)
    std::uint32_t heap_used = 0;     ///< bytes of the heap in use now
    std::uint32_t heap_max = 0;      ///< the most bytes of the heap ever in use
    std::uint32_t pbuf_pool_used = 0;  ///< RX pbufs in use now
    std::uint32_t pbuf_pool_max = 0;   ///< the most RX pbufs ever in use
    std::uint32_t tcp_pcb_max = 0;     ///< the most TCP pcbs ever in use (TIME_WAIT included)
};

/// Brings the network up: lwip_init(), the LAN9118 as the default interface (netif_add with
/// netif_input), up, link up as the PHY reports it, then dhcp_start(). `hostname` (sent to the
/// DHCP server) must outlive the network: a string literal. Starts the port's tick clock if no
/// Platform has. Call once; returns false if no LAN9118 answered (nothing else is then usable).
bool start(const char* hostname);

/// Moves every received frame into lwIP (callbacks run here), then runs lwIP's due timers
/// (sys_check_timeouts). Main loop only; cheap when there is nothing to do.
void poll();

/// True when the interrupt handler flagged frames that poll() has not read yet: the loop
/// must not sleep.
bool work_pending() noexcept;

/// Milliseconds until lwIP's next timer is due (sys_timeouts_sleeptime()): how long the loop
/// may sleep if nothing else wakes it. 0: poll() now. UINT32_MAX: no timer.
std::uint32_t ms_until_next_timer();

/// True once DHCP has supplied an address (BOUND, RENEWING or REBINDING).
bool has_address();

Facts facts();

/// `hook(argument)` runs in the Ethernet interrupt handler each time frames arrive, after the
/// flag behind work_pending() is set; it must only do what is safe in an interrupt (asyncio's
/// Platform::wake()). Set it before start(); nullptr removes it.
void set_irq_hook(void (*hook)(void* argument), void* argument) noexcept;

/// `callback()` runs inside poll() whenever the interface's address, up or link state changes
/// (DHCP bound, lease lost, cable). nullptr removes it.
void set_status_callback(void (*callback)());

Stats stats();

/// The lwIP interface, for what this header does not cover (e.g. netif_ip4_addr()).
struct netif* interface() noexcept;

/// Writes `address` (network byte order, as in Facts) as dotted decimal, NUL-terminated.
void format_ipv4(std::uint32_t address, char out[16]) noexcept;

}  // namespace board_net
