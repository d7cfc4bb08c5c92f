// Hosted systems only: a microcontroller build (lwIP) has no socketpair(), and compiles this
// file to nothing.
#if defined(__linux__) || defined(__APPLE__)

#include <asyncio/http/test_client.hpp>

#include <asyncio/core/errors.hpp>
#include <asyncio/http/request_parser.hpp>

#include <cerrno>
#include <charconv>
#include <sys/socket.h>
#include <system_error>

namespace asyncio::http {

namespace {

bool has_header(const TestHeaders& headers, std::string_view name) {
    for (const auto& [key, value] : headers) {
        if (iequals(key, name)) return true;
    }
    return false;
}

std::string request_text(std::string_view method, std::string_view target, std::string_view body,
                         const TestHeaders& headers) {
    std::string text;
    text.append(method).append(" ").append(target).append(" HTTP/1.1\r\n");
    if (!has_header(headers, "Host")) text.append("Host: test\r\n");
    if (!body.empty() && !has_header(headers, "Content-Length") && !has_header(headers, "Transfer-Encoding")) {
        text.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
    }
    for (const auto& [key, value] : headers) text.append(key).append(": ").append(value).append("\r\n");
    text.append("\r\n").append(body);
    return text;
}

/// Splits "HTTP/1.1 200 OK\r\nName: value\r\n...\r\n\r\n" into the response's fields.
TestResponse parse_head(std::string_view head) {
    TestResponse response;
    std::size_t line_end = head.find("\r\n");
    const std::string_view status_line = head.substr(0, line_end);
    if (status_line.size() < 12 || status_line.substr(0, 5) != "HTTP/") {
        throw std::runtime_error("TestClient: not an HTTP response: " + std::string(status_line));
    }
    std::from_chars(status_line.data() + 9, status_line.data() + 12, response.status);
    response.reason = std::string(status_line.size() > 13 ? status_line.substr(13) : std::string_view());
    for (;;) {
        const std::size_t start = line_end + 2;
        line_end = head.find("\r\n", start);
        if (line_end == std::string_view::npos || line_end == start) break;
        const std::string_view line = head.substr(start, line_end - start);
        const std::size_t colon = line.find(':');
        std::string_view value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
        response.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
    }
    return response;
}

Task<std::string> read_chunked(Stream& stream) {
    std::string body;
    for (;;) {
        const std::string size_line = co_await stream.readuntil("\r\n");
        std::size_t size = 0;
        std::from_chars(size_line.data(), size_line.data() + size_line.size(), size, 16);
        const std::string chunk = co_await stream.readexactly(size + 2);  // with its CRLF
        if (size == 0) co_return body;
        body.append(chunk, 0, size);
    }
}

}  // namespace

std::string_view TestResponse::header(std::string_view name) const noexcept {
    for (const auto& [key, value] : headers) {
        if (iequals(key, name)) return value;
    }
    return {};
}

TestClient::~TestClient() {
    if (m_connection) m_connection.close();
}

Stream TestClient::connect() {
    int ends[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, ends) != 0) {
        throw std::system_error(errno, std::generic_category(), "TestClient: socketpair()");
    }
    (void)create_task(m_server.serve_connection(Stream(detail::NonBlockingSocket{ends[0]})));
    return Stream(detail::NonBlockingSocket{ends[1]});
}

Stream& TestClient::connection() {
    if (!m_connection || m_connection.is_closing()) m_connection = connect();
    return m_connection;
}

Task<TestResponse> TestClient::request(std::string method, std::string target, std::string body, TestHeaders headers) {
    Stream& stream = connection();
    stream.write(request_text(method, target, body, headers));
    co_await stream.drain();
    TestResponse response = co_await read_response(stream, method);
    if (iequals(response.header("Connection"), "close")) m_connection.close();
    co_return response;
}

Task<Stream> TestClient::open(std::string method, std::string target, TestHeaders headers) {
    Stream stream = connect();
    stream.write(request_text(method, target, {}, headers));
    co_await stream.drain();
    co_return stream;
}

Task<TestResponse> TestClient::read_response(Stream& stream, std::string method) {
    for (;;) {
        const std::string head = co_await stream.readuntil("\r\n\r\n");
        TestResponse response = parse_head(head);
        if (response.status == 100) continue;  // an interim answer to Expect: 100-continue
        const bool no_body = method == "HEAD" || response.status / 100 == 1 || response.status == 204 ||
                             response.status == 304;
        if (no_body) co_return response;
        if (iequals(response.header("Transfer-Encoding"), "chunked")) {
            response.body = co_await read_chunked(stream);
        } else if (const std::string_view length = response.header("Content-Length"); !length.empty()) {
            std::size_t size = 0;
            std::from_chars(length.data(), length.data() + length.size(), size);
            response.body = co_await stream.readexactly(size);
        } else {
            response.body = co_await stream.read();  // delimited by the end of the connection
        }
        co_return response;
    }
}

}  // namespace asyncio::http

#endif
