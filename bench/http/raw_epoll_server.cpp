// raw_epoll_server: the least work one thread can do to answer HTTP/1.1 keep-alive requests.
//
// Comparison server for bench/http/run.py (the "physical limit for one thread"). It does not
// parse requests beyond finding each "\r\n\r\n" and looking for "Connection: close" (and an
// HTTP/1.0 request line); every complete request gets the same canned response (with
// "Connection: close" added when it closes the connection). All requests
// found in one read are answered with one send(), so pipelining is supported. State is a
// shared read/write buffer for the thread plus, per connection, only what is left over between
// two reads (a partial request, unsent output).
//
//   raw_epoll_server [--host 127.0.0.1] [--port 18081] [--body-file FILE]
//
// SIGINT/SIGTERM make it close everything and exit 0 (callgrind writes its output on exit).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

volatile sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

constexpr std::size_t kMaxHeader = 16 * 1024;  // a request head larger than this closes the connection
constexpr std::size_t kReadSize = 64 * 1024;

struct Conn {
    bool open = false;
    bool close_after = false;   // the last answered request asked for Connection: close
    bool want_out = false;      // registered for EPOLLOUT (output pending)
    std::string in;             // partial request left over from the previous read
    std::string out;            // response bytes the kernel did not take yet
};

char lower(char c) { return (c >= 'A' && c <= 'Z') ? char(c + ('a' - 'A')) : c; }

bool ieq_prefix(std::string_view s, std::string_view lower_word) {
    if (s.size() < lower_word.size()) return false;
    for (std::size_t i = 0; i < lower_word.size(); ++i)
        if (lower(s[i]) != lower_word[i]) return false;
    return true;
}

// head = request line + headers, without the final "\r\n\r\n".
bool wants_close(std::string_view head) {
    std::size_t eol = head.find("\r\n");
    std::string_view line = head.substr(0, eol);
    bool http10 = line.size() >= 8 && line.substr(line.size() - 8) == "HTTP/1.0";
    bool close = http10, keep_alive = false;
    std::size_t pos = eol;
    while (pos != std::string_view::npos && pos + 2 < head.size()) {
        std::size_t start = pos + 2;
        std::size_t next = head.find("\r\n", start);
        std::string_view h = head.substr(start, next == std::string_view::npos ? head.npos : next - start);
        if (ieq_prefix(h, "connection:")) {
            std::string_view v = h.substr(11);
            while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
            if (ieq_prefix(v, "close")) close = true;
            else if (ieq_prefix(v, "keep-alive")) keep_alive = true;
        }
        pos = next;
    }
    if (http10 && keep_alive) close = false;
    return close;
}

std::string read_file(const char* path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) { std::perror(path); std::exit(2); }
    std::ostringstream ss;
    ss << f.rdbuf();
    std::string s = ss.str();
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    return s;
}

}  // namespace

int main(int argc, char** argv) {
    const char* host = "127.0.0.1";
    int port = 18081;
    std::string body = R"({"ts":1732550000000,"temperature_c":21.5})";
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        if (a == "--port" && i + 1 < argc) port = std::atoi(argv[++i]);
        else if (a == "--host" && i + 1 < argc) host = argv[++i];
        else if (a == "--body-file" && i + 1 < argc) body = read_file(argv[++i]);
        else {
            std::fprintf(stderr, "usage: %s [--host H] [--port P] [--body-file FILE]\n", argv[0]);
            return a == "--help" ? 0 : 2;
        }
    }
    const std::string length = "Content-Length: " + std::to_string(body.size()) + "\r\n";
    const std::string response = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + length + "\r\n" + body;
    const std::string response_close =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + length + "Connection: close\r\n\r\n" + body;

    struct sigaction sa{};
    sa.sa_handler = on_signal;  // no SA_RESTART: epoll_wait returns EINTR
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    signal(SIGPIPE, SIG_IGN);

    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) { std::fprintf(stderr, "bad host %s\n", host); return 2; }
    if (bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) { std::perror("bind"); return 1; }
    if (listen(lfd, 4096) < 0) { std::perror("listen"); return 1; }

    int ep = epoll_create1(EPOLL_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = lfd;
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);

    std::vector<Conn> conns(1024);
    std::vector<char> rbuf(kReadSize);
    std::string out;
    out.reserve(kReadSize);
    epoll_event events[256];

    auto close_conn = [&](int fd) {
        Conn& c = conns[fd];
        c = Conn{};
        close(fd);  // also removes it from the epoll set
    };
    auto set_out_interest = [&](int fd, bool want) {
        Conn& c = conns[fd];
        if (c.want_out == want) return;
        c.want_out = want;
        epoll_event e{};
        e.events = want ? EPOLLOUT : EPOLLIN;
        e.data.fd = fd;
        epoll_ctl(ep, EPOLL_CTL_MOD, fd, &e);
    };
    // Sends c.out (or `data` if c.out is empty); returns false if the connection was closed.
    auto send_all = [&](int fd, const char* data, std::size_t len) -> bool {
        Conn& c = conns[fd];
        while (len > 0) {
            ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
            if (n > 0) { data += n; len -= static_cast<std::size_t>(n); continue; }
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
            close_conn(fd);
            return false;
        }
        if (len > 0) {
            c.out.assign(data, len);
            set_out_interest(fd, true);
            return true;
        }
        c.out.clear();
        if (c.close_after) { shutdown(fd, SHUT_WR); close_conn(fd); return false; }
        set_out_interest(fd, false);
        return true;
    };

    while (!g_stop) {
        int n = epoll_wait(ep, events, 256, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            std::perror("epoll_wait");
            return 1;
        }
        for (int i = 0; i < n; ++i) {
            int fd = events[i].data.fd;
            if (fd == lfd) {
                for (;;) {
                    int cfd = accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (cfd < 0) break;  // EAGAIN, or EMFILE etc.: try again on the next wake-up
                    setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    if (static_cast<std::size_t>(cfd) >= conns.size()) conns.resize(static_cast<std::size_t>(cfd) * 2);
                    conns[cfd].open = true;
                    epoll_event e{};
                    e.events = EPOLLIN;
                    e.data.fd = cfd;
                    epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &e);
                }
                continue;
            }
            Conn& c = conns[fd];
            if (!c.open) continue;
            if (c.want_out) {  // only registered for EPOLLOUT while output is pending
                std::string pending = std::move(c.out);
                send_all(fd, pending.data(), pending.size());
                continue;
            }
            // Read what is there; prepend a left-over partial request if there is one.
            const char* data;
            std::size_t len;
            ssize_t r;
            do r = recv(fd, rbuf.data(), rbuf.size(), 0); while (r < 0 && errno == EINTR);
            if (r <= 0) {
                if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) continue;
                close_conn(fd);
                continue;
            }
            if (c.in.empty()) {
                data = rbuf.data();
                len = static_cast<std::size_t>(r);
            } else {
                c.in.append(rbuf.data(), static_cast<std::size_t>(r));
                data = c.in.data();
                len = c.in.size();
            }
            std::string_view view(data, len);
            out.clear();
            std::size_t pos = 0;
            while (!c.close_after) {
                std::size_t end = view.find("\r\n\r\n", pos);
                if (end == std::string_view::npos) break;
                if (wants_close(view.substr(pos, end - pos))) {
                    c.close_after = true;
                    out += response_close;
                } else {
                    out += response;
                }
                pos = end + 4;
            }
            if (c.close_after) {
                c.in.clear();
            } else if (pos < len) {
                if (len - pos > kMaxHeader) { close_conn(fd); continue; }
                if (data == c.in.data()) c.in.erase(0, pos);
                else c.in.assign(data + pos, len - pos);
            } else {
                c.in.clear();
            }
            if (!out.empty()) send_all(fd, out.data(), out.size());
        }
    }
    for (std::size_t fd = 0; fd < conns.size(); ++fd)
        if (conns[fd].open) close(static_cast<int>(fd));
    close(lfd);
    close(ep);
    return 0;
}
