// The LAN9118 driver: registers, reset, the TX and RX FIFOs, the interrupt. See lan9118.hpp for
// the contract.
//
// Things QEMU's model does that shape this code (checked against QEMU 7.2's hw/net/lan9118.c):
//   - The interrupt line is active low and open drain at reset, so the NVIC sees it asserted
//     until IRQ_CFG selects push-pull, active high (TYPE|POL) with EN: that is written before
//     the NVIC line is enabled, and the line's stale pending bit is cleared.
//   - RX_DP_CTRL's fast-forward leaves the FIFO's counters wrong: a frame is discarded by
//     reading all of its words, never with RX_FFWD.
//   - Every received frame carries its 4-byte FCS, counted in the status length: dropped here.
//   - MAC_CR comes out of reset promiscuous with the receiver off.
//   - The receive interrupt (RSFL) is raised when a frame arrives, not while frames wait: after
//     acknowledging it, receive() reads until the status FIFO is empty.

#include "lan9118.hpp"

#include "lwip/etharp.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/stats.h"

#include "cortex_m.hpp"

#include <cstring>

namespace lan9118 {

namespace {

using asyncio::port::reg;

// ---- registers (offsets from kBase) ----
constexpr std::uintptr_t kRxData = 0x00;     // RX data FIFO (pops one word per read)
constexpr std::uintptr_t kTxData = 0x20;     // TX data FIFO (pushes one word per write)
constexpr std::uintptr_t kRxStatus = 0x40;   // RX status FIFO (pops)
constexpr std::uintptr_t kTxStatus = 0x48;   // TX status FIFO (pops)
constexpr std::uintptr_t kIrqCfg = 0x54;
constexpr std::uintptr_t kIntSts = 0x58;     // write 1 to clear
constexpr std::uintptr_t kIntEn = 0x5C;
constexpr std::uintptr_t kByteTest = 0x64;
constexpr std::uintptr_t kFifoInt = 0x68;
constexpr std::uintptr_t kRxCfg = 0x6C;
constexpr std::uintptr_t kTxCfg = 0x70;
constexpr std::uintptr_t kHwCfg = 0x74;
constexpr std::uintptr_t kRxFifoInf = 0x7C;  // RXSUSED (status entries) << 16 | RXDUSED (bytes)
constexpr std::uintptr_t kTxFifoInf = 0x80;  // TXSUSED << 16 | TDFREE (bytes)
constexpr std::uintptr_t kPmtCtrl = 0x84;
constexpr std::uintptr_t kMacCsrCmd = 0xA4;
constexpr std::uintptr_t kMacCsrData = 0xA8;
constexpr std::uintptr_t kE2pCmd = 0xB0;

constexpr std::uint32_t kByteTestValue = 0x87654321;
constexpr std::uint32_t kIrqCfgType = 1u << 0;  // push-pull
constexpr std::uint32_t kIrqCfgPol = 1u << 4;   // active high
constexpr std::uint32_t kIrqCfgEn = 1u << 8;
constexpr std::uint32_t kIntRsfl = 1u << 3;     // RX status FIFO level: a frame arrived
constexpr std::uint32_t kHwCfgSrst = 1u << 0;
constexpr std::uint32_t kPmtReady = 1u << 0;
constexpr std::uint32_t kE2pMacLoaded = 1u << 8;
constexpr std::uint32_t kTxCfgOn = 1u << 1;
constexpr std::uint32_t kTxCfgSao = 1u << 2;    // TX status FIFO may overrun (we only count)
constexpr std::uint32_t kRxCfgOffset2 = 2u << 8;  // RXDOFF: two bytes before each frame

// TX command words.
constexpr std::uint32_t kTxCmdAFirst = 1u << 13;
constexpr std::uint32_t kTxCmdALast = 1u << 12;
constexpr unsigned kTxCmdAOffsetShift = 16;     // data start offset, bytes 0..31

// Status words.
constexpr std::uint32_t kRxStsError = 1u << 15;
constexpr std::uint32_t kRxStsFilterFail = 1u << 30;
constexpr std::uint32_t kTxStsError = 1u << 15;

// ---- MAC CSRs (indirect, through MAC_CSR_CMD/DATA) ----
constexpr std::uint32_t kCsrBusy = 1u << 31;
constexpr std::uint32_t kCsrRead = 1u << 30;
constexpr unsigned kMacCr = 1, kAddrH = 2, kAddrL = 3, kMiiAcc = 6, kMiiData = 7;
constexpr std::uint32_t kMacCrRxEn = 1u << 2;
constexpr std::uint32_t kMacCrTxEn = 1u << 3;
constexpr std::uint32_t kMacCrFullDuplex = 1u << 20;
constexpr std::uint32_t kMiiBusy = 1u << 0;
constexpr std::uint32_t kMiiWrite = 1u << 1;
constexpr std::uint32_t kPhyAddress = 1;        // the LAN9118's internal PHY
constexpr unsigned kPhyBcr = 0, kPhyBsr = 1;
constexpr std::uint32_t kBcrAutoNegotiate = 1u << 12, kBcrRestartAutoNegotiate = 1u << 9;
constexpr std::uint32_t kBsrLinkUp = 1u << 2;

constexpr unsigned kEthPad = ETH_PAD_SIZE;
static_assert(ETH_PAD_SIZE == 2, "RX_CFG's RXDOFF and the TX data offset are set for ETH_PAD_SIZE 2");
constexpr std::uint16_t kMaxFrame = 1514;  // without FCS, what lwIP sends at MTU 1500
constexpr unsigned kFcs = 4;
constexpr unsigned kSpinLimit = 100000;    // polls of a busy bit before giving up

Counters g_counters;
volatile bool g_pending = false;
void (*volatile g_hook)(void*) = nullptr;
void* volatile g_hook_argument = nullptr;
std::uint16_t g_tx_tag = 0;

inline volatile std::uint32_t& r(std::uintptr_t offset) noexcept { return reg<std::uint32_t>(kBase + offset); }

bool wait_clear(std::uintptr_t offset, std::uint32_t mask) noexcept {
    for (unsigned i = 0; i < kSpinLimit; ++i) {
        if ((r(offset) & mask) == 0) return true;
    }
    return false;
}

std::uint32_t mac_read(unsigned index) noexcept {
    wait_clear(kMacCsrCmd, kCsrBusy);
    r(kMacCsrCmd) = kCsrBusy | kCsrRead | index;
    wait_clear(kMacCsrCmd, kCsrBusy);
    return r(kMacCsrData);
}

void mac_write(unsigned index, std::uint32_t value) noexcept {
    wait_clear(kMacCsrCmd, kCsrBusy);
    r(kMacCsrData) = value;
    r(kMacCsrCmd) = kCsrBusy | index;
    wait_clear(kMacCsrCmd, kCsrBusy);
}

bool mii_idle() noexcept {
    for (unsigned i = 0; i < kSpinLimit; ++i) {
        if ((mac_read(kMiiAcc) & kMiiBusy) == 0) return true;
    }
    return false;
}

std::uint16_t phy_read(unsigned phy_register) noexcept {
    mii_idle();
    mac_write(kMiiAcc, (kPhyAddress << 11) | (phy_register << 6) | kMiiBusy);
    mii_idle();
    return static_cast<std::uint16_t>(mac_read(kMiiData));
}

void phy_write(unsigned phy_register, std::uint16_t value) noexcept {
    mii_idle();
    mac_write(kMiiData, value);
    mac_write(kMiiAcc, (kPhyAddress << 11) | (phy_register << 6) | kMiiWrite | kMiiBusy);
    mii_idle();
}

/// Pushes one buffer of a frame: its words from the 4-byte boundary at or before `data`; the
/// controller skips the `offset` leading bytes (cmd A says how many). Partial words at either
/// end are assembled byte-wise, so nothing outside the buffer is read.
void write_buffer(const std::uint8_t* data, std::size_t size) noexcept {
    const std::size_t offset = reinterpret_cast<std::uintptr_t>(data) & 3u;
    if (offset != 0) {
        std::uint32_t word = 0;
        const std::size_t head = size < 4 - offset ? size : 4 - offset;
        std::memcpy(reinterpret_cast<std::uint8_t*>(&word) + offset, data, head);
        r(kTxData) = word;
        data += head;
        size -= head;
    }
    for (; size >= 4; data += 4, size -= 4) r(kTxData) = *reinterpret_cast<const std::uint32_t*>(data);
    if (size != 0) {
        std::uint32_t word = 0;
        std::memcpy(&word, data, size);
        r(kTxData) = word;
    }
}

/// lwIP's linkoutput: the frame in `p` (a chain; the first ETH_PAD_SIZE bytes are padding) as
/// one cmd A/cmd B/data group per non-empty buffer, first-segment flag on the first, last-segment
/// on the last. `p` stays lwIP's (TCP keeps it for retransmission).
err_t output(struct netif*, struct pbuf* p) {
    if (p->tot_len <= kEthPad || p->tot_len - kEthPad > kMaxFrame) {
        ++g_counters.tx_errors;
        LINK_STATS_INC(link.err);
        return ERR_IF;
    }
    const std::uint32_t frame_length = p->tot_len - kEthPad;

    // Room for the words and the two command words of every buffer (on QEMU the FIFO is always
    // empty here: a frame leaves as its last word is written).
    std::uint32_t needed = 0;
    for (const struct pbuf* q = p; q != nullptr; q = q->next) needed += q->len + 3 + 8 + 3;
    bool room = false;
    for (unsigned i = 0; i < kSpinLimit && !room; ++i) room = (r(kTxFifoInf) & 0xFFFFu) >= needed;
    if (!room) {
        ++g_counters.tx_errors;
        LINK_STATS_INC(link.memerr);
        return ERR_MEM;
    }

    const std::uint32_t cmd_b = (static_cast<std::uint32_t>(++g_tx_tag) << 16) | frame_length;
    std::uint32_t written = 0;
    std::uint32_t skip = kEthPad;
    for (const struct pbuf* q = p; q != nullptr && written < frame_length; q = q->next) {
        const auto* data = static_cast<const std::uint8_t*>(q->payload);
        std::uint32_t size = q->len;
        if (skip != 0) {
            const std::uint32_t n = size < skip ? size : skip;
            data += n;
            size -= n;
            skip -= n;
        }
        if (size > frame_length - written) size = frame_length - written;
        if (size == 0) continue;
        std::uint32_t cmd_a = (static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(data) & 3u)
                               << kTxCmdAOffsetShift) | size;
        if (written == 0) cmd_a |= kTxCmdAFirst;
        written += size;
        if (written == frame_length) cmd_a |= kTxCmdALast;
        r(kTxData) = cmd_a;
        r(kTxData) = cmd_b;
        write_buffer(data, size);
    }
    ++g_counters.tx_frames;
    LINK_STATS_INC(link.xmit);
    return ERR_OK;
}

/// Reads `words` words of the current frame from the RX data FIFO into the chain `p` (stopping
/// at its end; the words past it, the FCS and alignment, are read and thrown away).
void read_frame(struct pbuf* p, std::uint32_t words) noexcept {
    struct pbuf* q = p;
    auto* out = q != nullptr ? static_cast<std::uint8_t*>(q->payload) : nullptr;
    std::uint32_t room = q != nullptr ? q->len : 0;
    for (; words != 0; --words) {
        const std::uint32_t word = r(kRxData);
        if (room >= 4) {
            std::memcpy(out, &word, 4);
            out += 4;
            room -= 4;
            continue;
        }
        for (unsigned byte = 0; byte < 4; ++byte) {
            while (room == 0 && q != nullptr) {  // the next pbuf of the chain
                q = q->next;
                out = q != nullptr ? static_cast<std::uint8_t*>(q->payload) : nullptr;
                room = q != nullptr ? q->len : 0;
            }
            if (q == nullptr) break;
            *out++ = static_cast<std::uint8_t>(word >> (8 * byte));
            --room;
        }
    }
}

void discard_words(std::uint32_t words) noexcept {
    for (; words != 0; --words) {
        const std::uint32_t word = r(kRxData);  // the read pops it
        static_cast<void>(word);
    }
}

}  // namespace

err_t netif_init(struct netif* netif) {
    if (r(kByteTest) != kByteTestValue) return ERR_IF;

    r(kHwCfg) = kHwCfgSrst;
    if (!wait_clear(kHwCfg, kHwCfgSrst)) return ERR_IF;
    for (unsigned i = 0; i < kSpinLimit && (r(kPmtCtrl) & kPmtReady) == 0; ++i) {
    }

    // The MAC address: loaded from the EEPROM into ADDRL (bytes 0..3) and ADDRH (bytes 4..5).
    const std::uint32_t low = mac_read(kAddrL), high = mac_read(kAddrH) & 0xFFFFu;
    const bool loaded = (r(kE2pCmd) & kE2pMacLoaded) != 0 && (low != 0 || high != 0) &&
                        (low != 0xFFFFFFFFu || high != 0xFFFFu);
    std::uint8_t mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};  // locally administered
    if (loaded) {
        for (unsigned i = 0; i < 4; ++i) mac[i] = static_cast<std::uint8_t>(low >> (8 * i));
        mac[4] = static_cast<std::uint8_t>(high);
        mac[5] = static_cast<std::uint8_t>(high >> 8);
    } else {
        mac_write(kAddrL, mac[0] | mac[1] << 8 | mac[2] << 16 | static_cast<std::uint32_t>(mac[3]) << 24);
        mac_write(kAddrH, mac[4] | mac[5] << 8);
    }

    phy_write(kPhyBcr, kBcrAutoNegotiate | kBcrRestartAutoNegotiate);

    r(kFifoInt) = r(kFifoInt) & ~0xFFu;  // RX status level 0: interrupt at the first frame
    r(kRxCfg) = kRxCfgOffset2;
    r(kTxCfg) = kTxCfgOn | kTxCfgSao;
    r(kIrqCfg) = kIrqCfgEn | kIrqCfgPol | kIrqCfgType;
    r(kIntSts) = 0xFFFFFFFFu;
    r(kIntEn) = kIntRsfl;
    mac_write(kMacCr, kMacCrRxEn | kMacCrTxEn | kMacCrFullDuplex);  // not PRMS; BCAST=0 accepts broadcast

    netif->name[0] = 'e';
    netif->name[1] = 'n';
    netif->output = etharp_output;
    netif->linkoutput = output;
    netif->mtu = 1500;
    netif->hwaddr_len = ETH_HWADDR_LEN;
    std::memcpy(netif->hwaddr, mac, sizeof mac);
    netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;

    // The line was held asserted until IRQ_CFG was written: forget that, then listen.
    asyncio::port::reg<std::uint32_t>(0xE000E280) = 1u << kIrq;  // NVIC ICPR0
    asyncio::port::nvic_enable(kIrq);
    return ERR_OK;
}

unsigned receive(struct netif* netif) {
    g_pending = false;
    r(kIntSts) = kIntRsfl;  // a frame arriving from here on raises it again

    unsigned frames = 0;
    while (((r(kRxFifoInf) >> 16) & 0xFFu) != 0) {
        ++frames;
        const std::uint32_t status = r(kRxStatus);
        const std::uint32_t length = (status >> 16) & 0x3FFFu;    // with the FCS
        const std::uint32_t words = (length + kEthPad + 3) / 4;  // RXDOFF bytes first
        if ((status & (kRxStsError | kRxStsFilterFail)) != 0 || length < 14 + kFcs || length > 2048) {
            discard_words(words);
            ++g_counters.rx_errors;
            LINK_STATS_INC(link.err);
            continue;
        }
        const auto size = static_cast<u16_t>(length - kFcs + kEthPad);
        struct pbuf* p = pbuf_alloc(PBUF_RAW, size, PBUF_POOL);
        if (p == nullptr) {
            discard_words(words);
            ++g_counters.rx_dropped;
            LINK_STATS_INC(link.memerr);
            LINK_STATS_INC(link.drop);
            continue;
        }
        read_frame(p, words);
        ++g_counters.rx_frames;
        LINK_STATS_INC(link.recv);
        if (netif->input(p, netif) != ERR_OK) pbuf_free(p);
    }

    // Transmit statuses: counted, so the FIFO does not fill on hardware that honours it.
    while (((r(kTxFifoInf) >> 16) & 0xFFu) != 0) {
        if ((r(kTxStatus) & kTxStsError) != 0) ++g_counters.tx_errors;
    }

    r(kIntEn) = kIntRsfl;  // unmask (the handler masked it)
    return frames;
}

bool irq_pending() noexcept { return g_pending; }

void set_irq_hook(void (*hook)(void*), void* argument) noexcept {
    asyncio::port::CriticalSection masked;
    g_hook_argument = argument;
    g_hook = hook;
}

bool link_up() { return (phy_read(kPhyBsr) & kBsrLinkUp) != 0; }

Counters counters() noexcept {
    asyncio::port::CriticalSection masked;
    return g_counters;
}

}  // namespace lan9118

/// NVIC interrupt 13 (boards/mps2/vectors.cpp). Masks the receive interrupt until receive() has
/// emptied the FIFO (on real hardware RSFL stays asserted while frames wait), acknowledges it,
/// flags the work and wakes whoever sleeps.
extern "C" void ETHERNET_IRQHandler() {
    using namespace lan9118;
    const std::uint32_t status = r(kIntSts) & r(kIntEn);
    r(kIntEn) = 0;
    r(kIntSts) = status;
    g_pending = true;
    ++g_counters.interrupts;
    if (auto hook = g_hook) hook(g_hook_argument);
}
