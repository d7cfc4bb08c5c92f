// asio_server: the same little JSON server written the usual Boost.Asio C++20-coroutine way.
//
// Comparison server for bench/http/run.py: one io_context run by one thread, co_spawn and
// use_awaitable, one coroutine per connection. Each request head is read with async_read_until
// "\r\n\r\n" on a dynamic string buffer; every further complete request already in the buffer
// (pipelining) is answered too, and the responses of one batch go out in one async_write.
// "Connection: close" (or HTTP/1.0 without keep-alive) closes after the response.
// The body is the --body-file template; the 13-digit number after "ts": is replaced by the
// current Unix time in milliseconds for every response (the same bytes apart from ts).
//
//   asio_server [--host 127.0.0.1] [--port 18082] [--body-file FILE]
//
// SIGINT/SIGTERM stop the io_context; the program exits 0.
#include <boost/asio.hpp>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using asio::ip::tcp;

namespace {

std::string g_prefix;       // response bytes before the ts digits (or the whole response)
std::string g_prefix_close; // the same with "Connection: close"
std::string g_suffix;     // response bytes after the ts digits
std::size_t g_ts_len = 0; // number of ts digits in the template (0: canned body)

char lower(char c) { return (c >= 'A' && c <= 'Z') ? char(c + ('a' - 'A')) : c; }

bool ieq_prefix(std::string_view s, std::string_view lower_word) {
    if (s.size() < lower_word.size()) return false;
    for (std::size_t i = 0; i < lower_word.size(); ++i)
        if (lower(s[i]) != lower_word[i]) return false;
    return true;
}

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

void append_response(std::string& out, bool close) {
    out += close ? g_prefix_close : g_prefix;
    if (g_ts_len == 0) return;
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch()).count();
    char digits[24];
    auto res = std::to_chars(digits, digits + sizeof digits, ms);
    out.append(digits, res.ptr);
    out += g_suffix;
}

awaitable<void> session(tcp::socket sock) {
    sock.set_option(tcp::no_delay(true));
    std::string in;
    std::string out;
    try {
        for (;;) {
            std::size_t n = co_await asio::async_read_until(sock, asio::dynamic_buffer(in, 16 * 1024), "\r\n\r\n",
                                                            use_awaitable);
            out.clear();
            bool close = false;
            for (;;) {
                close = wants_close(std::string_view(in.data(), n - 4));
                append_response(out, close);
                in.erase(0, n);
                if (close) break;
                std::size_t end = in.find("\r\n\r\n");
                if (end == std::string::npos) break;
                n = end + 4;
            }
            co_await asio::async_write(sock, asio::buffer(out), use_awaitable);
            if (close) {
                boost::system::error_code ec;
                sock.shutdown(tcp::socket::shutdown_send, ec);
                co_return;
            }
        }
    } catch (const boost::system::system_error&) {
        // EOF, reset, or a request head over 16 KiB: drop the connection.
    }
}

awaitable<void> listener(tcp::acceptor acceptor) {
    asio::steady_timer pause(acceptor.get_executor());
    for (;;) {
        auto [ec, sock] = co_await acceptor.async_accept(asio::as_tuple(use_awaitable));
        if (!ec) {
            asio::co_spawn(acceptor.get_executor(), session(std::move(sock)), asio::detached);
        } else if (ec == asio::error::operation_aborted) {
            co_return;
        } else {  // e.g. EMFILE: retry shortly
            pause.expires_after(std::chrono::milliseconds(10));
            co_await pause.async_wait(use_awaitable);
        }
    }
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
    std::string host = "127.0.0.1";
    unsigned short port = 18082;
    std::string body = R"({"ts":1732550000000,"temperature_c":21.5})";
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        if (a == "--port" && i + 1 < argc) port = static_cast<unsigned short>(std::atoi(argv[++i]));
        else if (a == "--host" && i + 1 < argc) host = argv[++i];
        else if (a == "--body-file" && i + 1 < argc) body = read_file(argv[++i]);
        else {
            std::fprintf(stderr, "usage: %s [--host H] [--port P] [--body-file FILE]\n", argv[0]);
            return a == "--help" ? 0 : 2;
        }
    }
    std::string head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                       std::to_string(body.size()) + "\r\n";
    std::string head_close = head + "Connection: close\r\n\r\n";
    head += "\r\n";
    std::size_t ts = body.find("\"ts\":");
    std::size_t digits = 0;
    if (ts != std::string::npos) {
        ts += 5;
        while (ts + digits < body.size() && body[ts + digits] >= '0' && body[ts + digits] <= '9') ++digits;
    }
    if (digits == 13) {  // a millisecond timestamp keeps 13 digits until the year 2286
        g_prefix = head + body.substr(0, ts);
        g_prefix_close = head_close + body.substr(0, ts);
        g_suffix = body.substr(ts + digits);
        g_ts_len = digits;
    } else {
        g_prefix = head + body;
        g_prefix_close = head_close + body;
    }

    asio::io_context ctx(1);
    asio::signal_set signals(ctx, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code&, int) { ctx.stop(); });
    tcp::acceptor acceptor(ctx);
    tcp::endpoint ep(asio::ip::make_address(host), port);
    acceptor.open(ep.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(ep);
    acceptor.listen(4096);
    asio::co_spawn(ctx, listener(std::move(acceptor)), asio::detached);
    ctx.run();
    return 0;
}
