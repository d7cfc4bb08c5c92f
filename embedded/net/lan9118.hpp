#pragma once
// lwIP network interface for the SMSC LAN9118 Ethernet controller of the ARM MPS2 boards (as
// QEMU's mps2-an385 models it: registers at 0x40200000, NVIC interrupt 13), written from the
// controller's register map. One controller, so the driver keeps its state in globals.
//
// Execution contexts:
//   netif_init, output (linkoutput), receive, link_up   the main loop only (they touch lwIP)
//   the interrupt handler                               masks and acknowledges the receive
//                                                       interrupt, sets the pending flag, calls
//                                                       the hook: never touches lwIP or a pbuf
//
// Frame layout: the controller puts two zero bytes before every received frame (RXDOFF=2) and is
// told to skip two bytes before every frame it sends (TX data start offset), which is exactly
// lwIP's ETH_PAD_SIZE=2: the IP header lands on a 4-byte boundary.

#include "lwip/err.h"

#include <cstdint>

struct netif;

namespace lan9118 {

/// Where the MPS2 boards put the controller.
inline constexpr std::uintptr_t kBase = 0x40200000;
inline constexpr unsigned kIrq = 13;

/// What the driver saw since netif_init (all counters wrap at 2^32).
struct Counters {
    std::uint32_t rx_frames = 0;   ///< frames handed to lwIP
    std::uint32_t tx_frames = 0;   ///< frames written to the TX FIFO
    std::uint32_t rx_dropped = 0;  ///< frames read and discarded because the pbuf pool was empty
    std::uint32_t rx_errors = 0;   ///< frames discarded for an error status or a bad length
    std::uint32_t tx_errors = 0;   ///< frames not sent (too long, TX FIFO full) or with error status
    std::uint32_t interrupts = 0;  ///< receive interrupts taken
};

/// lwIP's init function for netif_add(): checks that a LAN9118 answers, resets it, reads the MAC
/// address QEMU loads from its EEPROM (52:54:00:12:34:56 unless `-nic ...,mac=` says otherwise;
/// a locally administered 02:00:00:00:00:01 if none was loaded), turns on RX and TX (not
/// promiscuous, broadcast on), enables the receive interrupt and fills in `netif`: name "en",
/// MTU 1500, ETHARP|ETHERNET|BROADCAST, output = etharp_output, linkoutput = this driver.
/// Returns ERR_IF when no controller answers at kBase. The link is left down: the caller sets
/// it from link_up().
err_t netif_init(struct netif* netif);

/// Moves every frame waiting in the controller's RX FIFO into netif->input (freeing the pbuf
/// when input refuses it), clears the pending flag and re-enables the receive interrupt.
/// Main loop only. Returns the number of frames read, dropped ones included.
unsigned receive(struct netif* netif);

/// True when the interrupt handler saw frames that receive() has not read yet.
bool irq_pending() noexcept;

/// `hook(argument)` is called from the interrupt handler after it flagged new frames (asyncio's
/// Platform::wake() is the intended use). nullptr removes it.
void set_irq_hook(void (*hook)(void* argument), void* argument) noexcept;

/// The PHY's link status (basic status register), read through the MAC's MII registers.
bool link_up();

Counters counters() noexcept;

}  // namespace lan9118
