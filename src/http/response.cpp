#include <asyncio/http/response.hpp>
#include <asyncio/http/utc_time.hpp>

#include "word_scan.hpp"

#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <stdexcept>

namespace asyncio::http {

std::string_view reason_phrase(int status) noexcept {
    switch (status) {
        case 100: return "Continue";
        case 101: return "Switching Protocols";
        case 200: return "OK";
        case 201: return "Created";
        case 204: return "No Content";
        case 301: return "Moved Permanently";
        case 302: return "Found";
        case 304: return "Not Modified";
        case 400: return "Bad Request";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 408: return "Request Timeout";
        case 411: return "Length Required";
        case 413: return "Content Too Large";
        case 414: return "URI Too Long";
        case 415: return "Unsupported Media Type";
        case 417: return "Expectation Failed";
        case 426: return "Upgrade Required";
        case 429: return "Too Many Requests";
        case 431: return "Request Header Fields Too Large";
        case 500: return "Internal Server Error";
        case 501: return "Not Implemented";
        case 503: return "Service Unavailable";
        case 505: return "HTTP Version Not Supported";
        default: return "Unknown";
    }
}

namespace {
/// Eight bytes at a time (word_scan.hpp); the last word overlaps the one before instead of a
/// byte loop. Headers are checked on every response; find_first_of("\r\n") cost a memchr call
/// per byte.
bool has_line_break(std::string_view text) noexcept {
    const auto has_break = [](const char* at) {
        const std::uint64_t word = detail::load_word(at);
        return detail::any_byte_is(word, '\r') || detail::any_byte_is(word, '\n');
    };
    const std::size_t size = text.size();
    if (size < 8) {
        for (const char c : text) {
            if (c == '\r' || c == '\n') return true;
        }
        return false;
    }
    for (std::size_t i = 0; i + 8 < size; i += 8) {
        if (has_break(text.data() + i)) return true;
    }
    return has_break(text.data() + size - 8);
}

bool body_forbidden(int status) noexcept { return status < 200 || status == 204 || status == 304; }

/// Writes a response head through one resize of the output string, not one capacity check and
/// library call per piece: literals are copied with compile-time lengths (inlined moves).
class HeadWriter {
public:
    HeadWriter(std::string& out, std::size_t most) : m_out(out), m_begin(out.size()) {
        out.resize(m_begin + most);
        m_cursor = out.data() + m_begin;
    }
    HeadWriter(const HeadWriter&) = delete;
    HeadWriter& operator=(const HeadWriter&) = delete;
    /// Drops the unused room.
    ~HeadWriter() { m_out.resize(static_cast<std::size_t>(m_cursor - m_out.data())); }

    template <std::size_t N>
    void literal(const char (&text)[N]) noexcept {
        std::memcpy(m_cursor, text, N - 1);
        m_cursor += N - 1;
    }
    void text(std::string_view text) noexcept {
        std::memcpy(m_cursor, text.data(), text.size());
        m_cursor += text.size();
    }
    void number(std::size_t value) noexcept { m_cursor = std::to_chars(m_cursor, m_cursor + kMaxDigits, value).ptr; }

    static constexpr std::size_t kMaxDigits = 20;

private:
    std::string& m_out;
    std::size_t m_begin;
    char* m_cursor = nullptr;
};

/// Every fixed piece append_response may write, with room for two numbers and the date.
constexpr std::size_t kFixedHeadBytes = 256;

/// Appends "name: value\r\n" to `lines`, refusing a CR or LF that would split it.
void append_header_line(std::string& lines, std::string_view name, std::string_view value) {
    if (has_line_break(name) || has_line_break(value)) {
        throw std::invalid_argument("http header: CR or LF in a header");
    }
    // One resize, then plain copies: cheaper than four appends.
    const std::size_t at = lines.size();
    lines.resize(at + name.size() + value.size() + 4);
    char* out = lines.data() + at;
    std::memcpy(out, name.data(), name.size());
    out += name.size();
    std::memcpy(out, ": ", 2);
    out += 2;
    std::memcpy(out, value.data(), value.size());
    out += value.size();
    std::memcpy(out, "\r\n", 2);
}
}  // namespace

HeaderBlock::HeaderBlock(std::initializer_list<std::pair<std::string_view, std::string_view>> headers) {
    for (const auto& [name, value] : headers) append_header_line(m_lines, name, value);
}

void Response::set_content_type(std::string_view type) {
    if (has_line_break(type)) throw std::invalid_argument("http header: CR or LF in Content-Type");
    m_content_type.assign(type);
}

void Response::set_header(std::string_view name, std::string_view value) {
    append_header_line(m_headers, name, value);
}

void Response::set(int code, std::string_view type, std::string_view body) {
    status = code;
    m_content_type.assign(type);
    this->body().assign(body);
}

void Response::error(int code, std::string_view detail) {
    std::string_view phrase = reason_phrase(code);
    set(code, "text/plain; charset=utf-8", phrase);
    if (!detail.empty()) m_body.append(": ").append(detail);
    m_body.append("\n");
}

void Response::reset() noexcept {
    status = 200;
    m_content_type.clear();
    m_headers.clear();
    m_body.clear();
    m_static_body.reset();
}

void append_response(std::string& out, const Response& response, const Framing& framing) {
    const std::string_view reason = reason_phrase(response.status);
    const std::string_view server_name = framing.server_name;
    const bool has_body = !framing.head_request && !body_forbidden(response.status);
    {
        HeadWriter head(out, kFixedHeadBytes + reason.size() + response.content_type().size() +
                                 response.extra_headers().size() + server_name.size());
        head.literal("HTTP/1.1 ");
        head.number(static_cast<std::size_t>(response.status));
        head.literal(" ");
        head.text(reason);
        head.literal("\r\n");
        if (framing.dated) {
            head.literal("Date: ");
            head.text(http_date());
            head.literal("\r\n");
        }
        if (!server_name.empty()) {
            head.literal("Server: ");
            head.text(server_name);
            head.literal("\r\n");
        }
        if (!response.content_type().empty()) {
            head.literal("Content-Type: ");
            head.text(response.content_type());
            head.literal("\r\n");
        }
        // HEAD: the length the GET would have sent (RFC 9110 8.6). Never on 1xx and 204; not on
        // 304 either, where it could only be the length of the 200 it stands for, which the
        // response does not hold.
        if (framing.sized && !body_forbidden(response.status)) {
            head.literal("Content-Length: ");
            head.number(response.body_view().size());
            head.literal("\r\n");
        }
        if (!framing.keep_alive) {
            head.literal("Connection: close\r\n");
        } else if (framing.http_1_0) {
            head.literal("Connection: keep-alive\r\n");  // 1.0 closes unless told otherwise
        }
        head.literal("X-Content-Type-Options: nosniff\r\n");  // on every response, errors included
        head.text(response.extra_headers());
        head.literal("\r\n");
    }
    if (has_body) out.append(response.body_view());
}

namespace {
/// IMF-fixdate (RFC 9110 5.6.7), "Sun, 06 Nov 1994 08:49:37 GMT", into `out` (29 bytes).
std::size_t format_http_date(std::time_t now, char* out) noexcept {
    constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const UtcTime t = utc_time(static_cast<std::int64_t>(now));
    char* p = out;
    auto text = [&p](const char* s) {
        while (*s != '\0') *p++ = *s++;
    };
    auto two_digits = [&p](int value) {
        *p++ = static_cast<char>('0' + value / 10);
        *p++ = static_cast<char>('0' + value % 10);
    };
    text(kDays[t.weekday]);
    text(", ");
    two_digits(t.day);
    *p++ = ' ';
    text(kMonths[t.month - 1]);
    *p++ = ' ';
    const auto year = static_cast<int>(t.year % 10000);
    two_digits(year / 100);
    two_digits(year % 100);
    *p++ = ' ';
    two_digits(t.hour);
    *p++ = ':';
    two_digits(t.minute);
    *p++ = ':';
    two_digits(t.second);
    text(" GMT");
    return static_cast<std::size_t>(p - out);
}
}  // namespace

std::string_view http_date() noexcept {
    thread_local std::time_t cached_second = 0;
    thread_local std::array<char, 32> cached_text{};
    thread_local std::size_t cached_length = 0;
    const std::time_t now = std::time(nullptr);
    if (now != cached_second) {
        cached_length = format_http_date(now, cached_text.data());
        cached_second = now;
    }
    return {cached_text.data(), cached_length};
}

}  // namespace asyncio::http
