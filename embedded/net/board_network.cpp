// The board's network: one lwIP interface on the LAN9118, DHCP, the timers, the counters.

#include "board_network.hpp"

#include "lan9118.hpp"

#include "lwip/dhcp.h"
#include "lwip/dns.h"
#include "lwip/init.h"
#include "lwip/memp.h"
#include "lwip/netif.h"
#include "lwip/stats.h"
#include "lwip/sys.h"
#include "lwip/timeouts.h"
#include "netif/ethernet.h"

#include "arch/cc.h"
#include "tick_platform.hpp"

#include <cstring>

namespace board_net {

namespace {

struct netif g_netif;
bool g_started = false;
void (*g_status_callback)() = nullptr;

constexpr u32_t kLinkCheckMs = 1000;

/// Follows the PHY's link (QEMU's monitor `set_link` toggles it) once a second.
void link_check(void*) {
    const bool up = lan9118::link_up();
    if (up && !netif_is_link_up(&g_netif)) {
        netif_set_link_up(&g_netif);  // DHCP starts over (dhcp_network_changed)
    } else if (!up && netif_is_link_up(&g_netif)) {
        netif_set_link_down(&g_netif);
    }
    sys_timeout(kLinkCheckMs, link_check, nullptr);
}

void on_status(struct netif*) {
    if (auto callback = g_status_callback) callback();
}

std::uint32_t memp_errors(memp_t pool) {
    return lwip_stats.memp[pool] != nullptr ? lwip_stats.memp[pool]->err : 0;
}

}  // namespace

bool start(const char* hostname) {
    if (g_started) return true;
    asyncio::port::detail::clock_start();  // sys_now() counts its ticks
    lwip_init();
    if (netif_add(&g_netif, IP4_ADDR_ANY4, IP4_ADDR_ANY4, IP4_ADDR_ANY4, nullptr, lan9118::netif_init,
                  netif_input) == nullptr) {
        return false;
    }
    g_started = true;
    std::uint32_t mac_low = 0;
    std::memcpy(&mac_low, g_netif.hwaddr + 2, 4);
    lwip_port_seed(mac_low ^ sys_now());
    netif_set_hostname(&g_netif, hostname);
    netif_set_status_callback(&g_netif, on_status);
    netif_set_default(&g_netif);
    netif_set_up(&g_netif);
    if (lan9118::link_up()) netif_set_link_up(&g_netif);
    sys_timeout(kLinkCheckMs, link_check, nullptr);
    dhcp_start(&g_netif);  // with the link down it waits until link_check() raises it
    return true;
}

void poll() {
    if (!g_started) return;
    lan9118::receive(&g_netif);
    sys_check_timeouts();
}

bool work_pending() noexcept { return lan9118::irq_pending(); }

std::uint32_t ms_until_next_timer() { return g_started ? sys_timeouts_sleeptime() : UINT32_MAX; }

bool has_address() { return g_started && dhcp_supplied_address(&g_netif) != 0; }

Facts facts() {
    Facts facts;
    if (!g_started) return facts;
    facts.ip = ip4_addr_get_u32(netif_ip4_addr(&g_netif));
    facts.netmask = ip4_addr_get_u32(netif_ip4_netmask(&g_netif));
    facts.gateway = ip4_addr_get_u32(netif_ip4_gw(&g_netif));
    if (const ip_addr_t* dns = dns_getserver(0)) facts.dns = ip4_addr_get_u32(ip_2_ip4(dns));
    return facts;
}

void set_irq_hook(void (*hook)(void*), void* argument) noexcept { lan9118::set_irq_hook(hook, argument); }

void set_status_callback(void (*callback)()) { g_status_callback = callback; }

Stats stats() {
    const lan9118::Counters driver = lan9118::counters();
    Stats s;
    s.rx_frames = driver.rx_frames;
    s.tx_frames = driver.tx_frames;
    s.rx_dropped = driver.rx_dropped;
    s.rx_errors = driver.rx_errors;
    s.tx_errors = driver.tx_errors;
    s.interrupts = driver.interrupts;
    for (int pool = 0; pool < MEMP_MAX; ++pool) s.memp_errors += memp_errors(static_cast<memp_t>(pool));
    s.pbuf_pool_errors = memp_errors(MEMP_PBUF_POOL);
    s.tcp_pcb_errors = memp_errors(MEMP_TCP_PCB);
    s.tcp_seg_errors = memp_errors(MEMP_TCP_SEG);
    s.pbuf_ref_errors = memp_errors(MEMP_PBUF);
    s.heap_errors = lwip_stats.mem.err;
    s.heap_used = lwip_stats.mem.used;
    s.heap_max = lwip_stats.mem.max;
    if (const auto* pool = lwip_stats.memp[MEMP_PBUF_POOL]) {
        s.pbuf_pool_used = pool->used;
        s.pbuf_pool_max = pool->max;
    }
    if (const auto* pool = lwip_stats.memp[MEMP_TCP_PCB]) s.tcp_pcb_max = pool->max;
    return s;
}

struct netif* interface() noexcept { return &g_netif; }

void format_ipv4(std::uint32_t address, char out[16]) noexcept {
    std::uint8_t octets[4];
    std::memcpy(octets, &address, 4);  // network order: the first octet first in memory
    char* p = out;
    for (int i = 0; i < 4; ++i) {
        unsigned value = octets[i];
        if (value >= 100) *p++ = static_cast<char>('0' + value / 100);
        if (value >= 10) *p++ = static_cast<char>('0' + value / 10 % 10);
        *p++ = static_cast<char>('0' + value % 10);
        if (i != 3) *p++ = '.';
    }
    *p = '\0';
}

}  // namespace board_net
