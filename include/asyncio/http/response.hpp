#pragma once

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace asyncio::http {

/// "OK" for 200, "Not Found" for 404...; "Unknown" for codes it does not know.
[[nodiscard]] std::string_view reason_phrase(int status) noexcept;

/// Header lines checked once, then added to many responses with one copy: for the headers a
/// handler sends on every request. Names and values must not contain CR or LF
/// (std::invalid_argument, as Response::set_header).
///
///   static const http::HeaderBlock kNoStore{{"Cache-Control", "no-store"}};
///   res.add_headers(kNoStore);
class HeaderBlock {
public:
    /// Checks and formats `headers`, {name, value} pairs, in order.
    HeaderBlock(std::initializer_list<std::pair<std::string_view, std::string_view>> headers);
    /// The header lines, each ending in CRLF.
    [[nodiscard]] std::string_view lines() const noexcept { return m_lines; }

private:
    std::string m_lines;
};

/// What a handler fills in. The connection adds Date, Content-Length, Connection and serialises
/// it straight into the stream's write buffer (append_response()). A connection reuses one
/// Response for all its requests, so on the keep-alive path building a response allocates
/// nothing.
///
///     app.get("/api/sensor", [](const http::Request&, http::Response& res) {
///         res.json(R"({"temperature_c":21.5})");
///     });
class Response {
public:
    int status = 200;  ///< the status code; its reason phrase is reason_phrase(status)

    /// Adds a header line. Names and values must not contain CR or LF (std::invalid_argument).
    void set_header(std::string_view name, std::string_view value);
    /// Adds the header lines of `block` (checked when it was made).
    void add_headers(const HeaderBlock& block) { m_headers.append(block.lines()); }
    /// The Content-Type value ("text/plain; charset=utf-8"); empty, as after reset(): no
    /// Content-Type is sent. A CR or LF is std::invalid_argument, as in set_header().
    void set_content_type(std::string_view type);
    /// The Content-Type value set so far; empty if none.
    [[nodiscard]] std::string_view content_type() const noexcept { return m_content_type; }

    /// The body, to append to (body().append(...)) or replace. Taking it drops a static body.
    [[nodiscard]] std::string& body() noexcept {
        m_static_body.reset();
        return m_body;
    }
    /// The owned body (empty while a static body is set).
    [[nodiscard]] const std::string& body() const noexcept { return m_body; }
    /// A body sent without being copied into the response: constant data that outlives it (a
    /// compiled-in page). Replaces the body until body() or reset().
    void set_static_body(std::string_view body) noexcept {
        m_body.clear();
        m_static_body = body;
    }
    /// What is sent: the static body if one is set, else body().
    [[nodiscard]] std::string_view body_view() const noexcept { return m_static_body ? *m_static_body : m_body; }

    /// Sets status, Content-Type (text/plain; charset=utf-8) and body (a copy) in one call.
    void text(std::string_view body, int code = 200) { set(code, "text/plain; charset=utf-8", body); }
    /// As text(), as text/html; charset=utf-8.
    void html(std::string_view body, int code = 200) { set(code, "text/html; charset=utf-8", body); }
    /// As text(), as application/json (`body` is sent as given, not checked).
    void json(std::string_view body, int code = 200) { set(code, "application/json", body); }

    /// An error page: status, a short plain-text body (never echoing request input unescaped).
    void error(int code, std::string_view detail = {});

    /// The header lines added with set_header and add_headers, each ending in CRLF.
    [[nodiscard]] std::string_view extra_headers() const noexcept { return m_headers; }

    /// Clears everything, keeping the buffers' capacity for the next request.
    void reset() noexcept;

private:
    void set(int code, std::string_view type, std::string_view body);

    std::string m_content_type;
    std::string m_headers;
    std::string m_body;
    std::optional<std::string_view> m_static_body;
};

/// How append_response() frames a response on its connection.
struct Framing {
    bool head_request = false;  ///< a HEAD request: the head alone (Content-Length still the GET's)
    bool keep_alive = true;     ///< false: "Connection: close"; the connection ends after it
    bool http_1_0 = false;      ///< an HTTP/1.0 client kept alive is told "Connection: keep-alive"
    /// false: no Content-Length; the body goes on until the connection closes (an event stream,
    /// whose head is written before its body exists). Needs keep_alive false.
    bool sized = true;
    /// false: no Date, for bytes prepared in advance, where a date would be stale when they are
    /// sent (RFC 9110 6.6.1 lets a 5xx go without one).
    bool dated = true;
    std::string_view server_name = {};  ///< the Server header's value; empty: no Server header
};

/// Appends the serialised response to `out`: status line, Date, Server, Content-Type,
/// Content-Length, Connection, the extra headers, then the body (omitted for HEAD, 1xx, 204 and
/// 304, where RFC 9110 forbids a body; Content-Length still describes the GET body for HEAD), as
/// `framing` says. Every response carries X-Content-Type-Options: nosniff. The one writer of
/// response heads: handlers' responses, error pages, event streams, the WebSocket handshake's
/// 101 and the 503 a server out of descriptors sheds connections with.
void append_response(std::string& out, const Response& response, const Framing& framing);

/// The current time as an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), formatted at most
/// once a second.
[[nodiscard]] std::string_view http_date() noexcept;

}  // namespace asyncio::http
