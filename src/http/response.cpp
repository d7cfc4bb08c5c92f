#include <asyncio/http/response.hpp>

#include <array>
#include <charconv>
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
bool has_line_break(std::string_view text) noexcept { return text.find_first_of("\r\n") != std::string_view::npos; }

bool body_forbidden(int status) noexcept { return status < 200 || status == 204 || status == 304; }

void append_number(std::string& out, std::size_t value) {
    std::array<char, 24> digits;
    const auto end = std::to_chars(digits.data(), digits.data() + digits.size(), value).ptr;
    out.append(digits.data(), end);
}
}  // namespace

void Response::set_header(std::string_view name, std::string_view value) {
    if (has_line_break(name) || has_line_break(value)) {
        throw std::invalid_argument("Response::set_header: CR or LF in a header");
    }
    m_headers.append(name).append(": ").append(value).append("\r\n");
}

void Response::set(int code, std::string_view type, std::string_view body) {
    status = code;
    m_content_type.assign(type);
    m_body.assign(body);
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
}

void append_response(std::string& out, const Response& response, bool head_request, bool keep_alive,
                     bool http_1_0) {
    out.append("HTTP/1.1 ");
    append_number(out, static_cast<std::size_t>(response.status));
    out.push_back(' ');
    out.append(reason_phrase(response.status));
    out.append("\r\nDate: ").append(http_date());
    out.append("\r\nServer: sensor-server\r\n");
    if (!response.content_type().empty()) out.append("Content-Type: ").append(response.content_type()).append("\r\n");
    if (!body_forbidden(response.status) || head_request) {
        out.append("Content-Length: ");
        append_number(out, response.body().size());
        out.append("\r\n");
    }
    if (!keep_alive) {
        out.append("Connection: close\r\n");
    } else if (http_1_0) {
        out.append("Connection: keep-alive\r\n");  // 1.0 closes unless told otherwise
    }
    out.append("X-Content-Type-Options: nosniff\r\n");  // on every response, errors included
    out.append(response.extra_headers());
    out.append("\r\n");
    if (!head_request && !body_forbidden(response.status)) out.append(response.body());
}

std::string_view http_date() noexcept {
    thread_local std::time_t cached_second = 0;
    thread_local std::array<char, 32> cached_text{};
    thread_local std::size_t cached_length = 0;
    const std::time_t now = std::time(nullptr);
    if (now != cached_second) {
        std::tm utc{};
        gmtime_r(&now, &utc);
        cached_length = std::strftime(cached_text.data(), cached_text.size(), "%a, %d %b %Y %H:%M:%S GMT", &utc);
        cached_second = now;
    }
    return {cached_text.data(), cached_length};
}

}  // namespace asyncio::http
