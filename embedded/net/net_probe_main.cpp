// net_probe: the board's network end to end under QEMU (embedded/net/probe-test.sh runs it).
// Boots, gets an address by DHCP, prints
//   DHCP ip 10.0.2.15 netmask 255.255.255.0 gateway 10.0.2.2 dns 10.0.2.3
// and serves HTTP/1.0 on port 80 with lwIP's raw TCP API, one answer per connection, then close:
//   /          a 16-byte text
//   /big       64 KiB of a 64-byte line pattern, written without copying (PBUF_ROM segments:
//              every frame leaves as a chain of a header pbuf and a data pbuf at odd addresses)
//   /bigcopy   the same bytes written with TCP_WRITE_FLAG_COPY (the heap holds them)
//   /stats     the driver's and lwIP's counters, one line
//   /quit      answers, then prints the counters and ends the emulation (status 0, or 1 if a
//              connection failed inside lwIP)
// The loop is the simplest that is correct: poll the network, then sleep in WFI until the
// Ethernet interrupt or lwIP's next timer.

#include "board_network.hpp"

#include "lwip/sys.h"
#include "lwip/tcp.h"

#include "semihosting.hpp"
#include "tick_platform.hpp"

#include <chrono>
#include <cstdint>
#include <cstring>

namespace {

constexpr u16_t kPort = 80;
constexpr int kMaxConnections = 8;
constexpr u8_t kPollInterval = 1;  // tcp_poll: every 500 ms (retries a write that found no heap)
constexpr u8_t kIdlePolls = 20;    // a connection quiet for 10 s is aborted
constexpr std::uint32_t kDhcpTimeoutMs = 15000;
constexpr std::uint32_t kBigSize = 64 * 1024;

constexpr char kHello[] =
    "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 16\r\n\r\nhello from lwIP\n";
constexpr char kNotFound[] = "HTTP/1.0 404 Not Found\r\nContent-Length: 10\r\n\r\nnot found\n";
constexpr char kBigHeader[] = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 65536\r\n\r\n";
constexpr char kBye[] = "HTTP/1.0 200 OK\r\nContent-Length: 4\r\n\r\nbye\n";

// The body of /big: byte i is kLine[i % 64]. kPattern repeats the line so that a window of up to
// one MSS starting anywhere in its first line is contiguous (zero-copy writes point into it).
constexpr char kLine[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+\n";
constexpr std::size_t kLineLength = sizeof kLine - 1;
static_assert(kLineLength == 64);
constexpr std::size_t kPatternLength = kLineLength + TCP_MSS;
struct Pattern {
    char bytes[kPatternLength];
};
constexpr Pattern make_pattern() {
    Pattern p{};
    for (std::size_t i = 0; i < kPatternLength; ++i) p.bytes[i] = kLine[i % kLineLength];
    return p;
}
constexpr Pattern kPattern = make_pattern();

struct Connection {
    struct tcp_pcb* pcb = nullptr;  ///< nullptr: the slot is free
    char target[24] = {};           ///< the request target, cut at 23 characters
    std::uint8_t target_length = 0;
    std::uint8_t spaces = 0;        ///< spaces seen on the request line (the target is after one)
    std::uint32_t tail = 0;         ///< the last 4 bytes received, to find the blank line
    bool responding = false;
    bool header_queued = false;
    bool copy = false;
    const char* header = nullptr;   ///< the answer's head (the whole answer when there is no body)
    std::uint8_t idle_polls = 0;
    std::uint32_t body_sent = 0;
    std::uint32_t body_size = 0;
};

Connection g_connections[kMaxConnections];
struct tcp_pcb* g_listener = nullptr;
std::uint32_t g_accepted = 0, g_refused = 0, g_failed = 0, g_served = 0, g_idle_aborts = 0;
std::uint32_t g_write_waits = 0;  ///< tcp_write() answered ERR_MEM (out of heap or queue)
bool g_quit = false;
std::uint32_t g_quit_at = 0;

// ---- output without stdio ----
char* append(char* out, const char* text) {
    while (*text != '\0') *out++ = *text++;
    return out;
}
char* append(char* out, std::uint32_t value) {
    char digits[10];
    int n = 0;
    do {
        digits[n++] = static_cast<char>('0' + value % 10);
        value /= 10;
    } while (value != 0);
    while (n > 0) *out++ = digits[--n];
    return out;
}
char* append_ip(char* out, std::uint32_t address) {
    char text[16];
    board_net::format_ipv4(address, text);
    return append(out, text);
}

/// "rx_frames=.. tx_frames=.. ..." (at most ~400 bytes).
char* append_stats(char* out) {
    const board_net::Stats s = board_net::stats();
    const struct {
        const char* name;
        std::uint32_t value;
    } fields[] = {
        {"rx_frames", s.rx_frames},       {"tx_frames", s.tx_frames},
        {"rx_dropped", s.rx_dropped},     {"rx_errors", s.rx_errors},
        {"tx_errors", s.tx_errors},       {"interrupts", s.interrupts},
        {"memp_errors", s.memp_errors},   {"pbuf_pool_errors", s.pbuf_pool_errors},
        {"tcp_pcb_errors", s.tcp_pcb_errors}, {"tcp_seg_errors", s.tcp_seg_errors},
        {"pbuf_ref_errors", s.pbuf_ref_errors}, {"heap_errors", s.heap_errors},
        {"heap_max", s.heap_max},         {"pbuf_pool_max", s.pbuf_pool_max},
        {"tcp_pcb_max", s.tcp_pcb_max},   {"accepted", g_accepted},
        {"served", g_served},             {"refused", g_refused},
        {"failed", g_failed},             {"idle_aborts", g_idle_aborts},
        {"write_waits", g_write_waits},
    };
    for (const auto& field : fields) {
        out = append(out, field.name);
        out = append(out, "=");
        out = append(out, field.value);
        out = append(out, " ");
    }
    return out;
}

// ---- the server ----
void forget(Connection& c) { c = Connection{}; }

/// Clears the callbacks (nothing may call back into a freed slot) and closes. Returns what the
/// calling callback must return: ERR_ABRT if the close failed and the pcb was aborted instead.
err_t finish(Connection& c) {
    struct tcp_pcb* pcb = c.pcb;
    tcp_arg(pcb, nullptr);
    tcp_recv(pcb, nullptr);
    tcp_sent(pcb, nullptr);
    tcp_err(pcb, nullptr);
    tcp_poll(pcb, nullptr, 0);
    forget(c);
    if (tcp_close(pcb) != ERR_OK) {
        tcp_abort(pcb);
        return ERR_ABRT;
    }
    return ERR_OK;
}

err_t fail(Connection& c) {
    ++g_failed;
    struct tcp_pcb* pcb = c.pcb;
    tcp_arg(pcb, nullptr);
    tcp_err(pcb, nullptr);
    forget(c);
    tcp_abort(pcb);
    return ERR_ABRT;
}

/// Queues the header, then as much of the body as the send buffer, the queue and the heap take,
/// and sends. Out of heap (ERR_MEM) it stops: the sent callback, or the poll timer when nothing
/// of this connection is in flight, tries again. Closes once everything is queued (lwIP sends
/// the FIN after the data).
err_t send_more(Connection& c) {
    if (!c.header_queued) {
        u8_t flags = TCP_WRITE_FLAG_COPY;
        if (c.body_size != 0) flags |= TCP_WRITE_FLAG_MORE;
        const err_t err = tcp_write(c.pcb, c.header, static_cast<u16_t>(std::strlen(c.header)), flags);
        if (err == ERR_MEM) {
            ++g_write_waits;
            return ERR_OK;
        }
        if (err != ERR_OK) return fail(c);
        c.header_queued = true;
    }
    while (c.body_sent < c.body_size) {
        std::uint32_t n = c.body_size - c.body_sent;
        if (n > TCP_MSS) n = TCP_MSS;
        if (n > tcp_sndbuf(c.pcb)) n = tcp_sndbuf(c.pcb);
        if (n == 0 || tcp_sndqueuelen(c.pcb) + 2 > TCP_SND_QUEUELEN) break;
        const char* data = &kPattern.bytes[c.body_sent % kLineLength];
        u8_t flags = c.copy ? u8_t{TCP_WRITE_FLAG_COPY} : u8_t{0};
        if (c.body_sent + n < c.body_size) flags |= TCP_WRITE_FLAG_MORE;
        const err_t err = tcp_write(c.pcb, data, static_cast<u16_t>(n), flags);
        if (err == ERR_MEM) {
            ++g_write_waits;
            break;
        }
        if (err != ERR_OK) return fail(c);
        c.body_sent += n;
    }
    // ERR_MEM here (no heap for a header) is retried by lwIP's timers: not an error.
    tcp_output(c.pcb);
    if (c.body_sent == c.body_size) {
        ++g_served;
        return finish(c);
    }
    return ERR_OK;
}

/// Chooses the answer for the request target; /stats is built into the connection's buffer.
err_t respond(Connection& c) {
    c.responding = true;
    c.target[c.target_length] = '\0';
    c.header = kNotFound;
    if (std::strcmp(c.target, "/") == 0) {
        c.header = kHello;
    } else if (std::strcmp(c.target, "/big") == 0 || std::strcmp(c.target, "/bigcopy") == 0) {
        c.header = kBigHeader;
        c.body_size = kBigSize;
        c.copy = c.target[4] != '\0';
    } else if (std::strcmp(c.target, "/stats") == 0) {
        static char stats[512];  // one /stats answer at a time is plenty for a probe
        char body[400];
        char* end = append_stats(body);
        *end++ = '\n';
        char* p = append(stats, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ");
        p = append(p, static_cast<std::uint32_t>(end - body));
        p = append(p, "\r\n\r\n");
        std::memcpy(p, body, static_cast<std::size_t>(end - body));
        p[end - body] = '\0';
        c.header = stats;
    } else if (std::strcmp(c.target, "/quit") == 0) {
        c.header = kBye;
        g_quit = true;
    }
    return send_more(c);
}

err_t on_recv(void* arg, struct tcp_pcb* pcb, struct pbuf* p, err_t err) {
    auto& c = *static_cast<Connection*>(arg);
    if (p == nullptr) {  // the peer closed
        if (c.responding) return ERR_OK;
        return finish(c);
    }
    if (err != ERR_OK) {
        pbuf_free(p);
        return ERR_OK;
    }
    c.idle_polls = 0;
    bool complete = false;
    for (const struct pbuf* q = p; q != nullptr && !complete; q = q->next) {
        const auto* bytes = static_cast<const char*>(q->payload);
        for (u16_t i = 0; i < q->len; ++i) {
            const char ch = bytes[i];
            c.tail = (c.tail << 8) | static_cast<std::uint8_t>(ch);
            if (c.tail == 0x0D0A0D0Au) {
                complete = true;
                break;
            }
            if (ch == ' ' || ch == '\r') {
                ++c.spaces;
            } else if (c.spaces == 1 && c.target_length + 1u < sizeof c.target) {
                c.target[c.target_length++] = ch;
            }
        }
    }
    tcp_recved(pcb, p->tot_len);
    pbuf_free(p);
    if (complete && !c.responding) return respond(c);
    return ERR_OK;
}

err_t on_sent(void* arg, struct tcp_pcb*, u16_t) {
    auto& c = *static_cast<Connection*>(arg);
    c.idle_polls = 0;
    if (!c.responding) return ERR_OK;
    return send_more(c);
}

err_t on_poll(void* arg, struct tcp_pcb*) {
    auto& c = *static_cast<Connection*>(arg);
    if (++c.idle_polls > kIdlePolls) {
        ++g_idle_aborts;
        return fail(c);
    }
    if (!c.responding) return ERR_OK;
    return send_more(c);
}

void on_error(void* arg, err_t) {
    // The pcb is gone already (reset by the peer, or aborted by lwIP): only the slot is freed.
    ++g_failed;
    forget(*static_cast<Connection*>(arg));
}

err_t on_accept(void*, struct tcp_pcb* pcb, err_t err) {
    if (pcb == nullptr || err != ERR_OK) {  // no pcb was free for the connection
        ++g_refused;
        return ERR_VAL;
    }
    Connection* c = nullptr;
    for (auto& slot : g_connections) {
        if (slot.pcb == nullptr) {
            c = &slot;
            break;
        }
    }
    if (c == nullptr) {
        ++g_refused;
        tcp_abort(pcb);
        return ERR_ABRT;
    }
    ++g_accepted;
    c->pcb = pcb;
    tcp_nagle_disable(pcb);
    tcp_arg(pcb, c);
    tcp_recv(pcb, on_recv);
    tcp_sent(pcb, on_sent);
    tcp_err(pcb, on_error);
    tcp_poll(pcb, on_poll, kPollInterval);
    return ERR_OK;
}

bool listen() {
    struct tcp_pcb* pcb = tcp_new_ip_type(IPADDR_TYPE_ANY);
    if (pcb == nullptr) return false;
    ip_set_option(pcb, SOF_REUSEADDR);
    if (tcp_bind(pcb, IP_ANY_TYPE, kPort) != ERR_OK) {
        tcp_abort(pcb);
        return false;
    }
    struct tcp_pcb* listener = tcp_listen_with_backlog(pcb, kMaxConnections);
    if (listener == nullptr) {
        tcp_abort(pcb);
        return false;
    }
    g_listener = listener;
    tcp_accept(g_listener, on_accept);
    return true;
}

void wake_platform(void* platform) { static_cast<asyncio::port::TickPlatform*>(platform)->wake(); }

void say(const char* text) { asyncio::port::semihost_write(text); }

}  // namespace

int main() {
    asyncio::port::TickPlatform platform;
    board_net::set_irq_hook(wake_platform, &platform);
    if (!board_net::start("net-probe")) {
        say("net_probe: no LAN9118 at 0x40200000\n");
        return 1;
    }
    say("net_probe: LAN9118 up, waiting for DHCP\n");

    const std::uint32_t started = sys_now();
    bool serving = false;
    for (;;) {
        board_net::poll();
        if (!serving && board_net::has_address()) {
            const board_net::Facts f = board_net::facts();
            char line[128];
            char* p = append(line, "DHCP ip ");
            p = append_ip(p, f.ip);
            p = append(p, " netmask ");
            p = append_ip(p, f.netmask);
            p = append(p, " gateway ");
            p = append_ip(p, f.gateway);
            p = append(p, " dns ");
            p = append_ip(p, f.dns);
            p = append(p, "\n");
            *p = '\0';
            say(line);
            if (!listen()) {
                say("net_probe: cannot listen on port 80\n");
                return 1;
            }
            say("net_probe: listening on port 80\n");
            serving = true;
        }
        if (!serving && sys_now() - started > kDhcpTimeoutMs) {
            say("net_probe: no DHCP answer\n");
            return 1;
        }
        if (g_quit && g_quit_at == 0) g_quit_at = sys_now() | 1u;
        if (g_quit && sys_now() - g_quit_at > 500) {  // let the last answer and FIN leave
            char line[512];
            char* p = append(line, "STATS ");
            p = append_stats(p);
            p = append(p, "\n");
            *p = '\0';
            say(line);
            return g_failed == 0 ? 0 : 1;
        }
        if (!board_net::work_pending()) {
            std::uint32_t ms = board_net::ms_until_next_timer();
            if (ms > 100) ms = 100;  // the DHCP and quit checks above
            platform.wait(std::chrono::milliseconds(ms));
        }
    }
}
