#pragma once

#include <asyncio/http/request_parser.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace asyncio::http {

/// The GUID RFC 6455 appends to the client's key before hashing it.
inline constexpr std::string_view kWebSocketGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/// The only protocol version this server speaks (RFC 6455 4.1).
inline constexpr std::string_view kWebSocketVersion = "13";

/// base64(SHA-1(client_key + kWebSocketGuid)): the Sec-WebSocket-Accept value.
/// Example from RFC 6455 1.3: "dGhlIHNhbXBsZSBub25jZQ==" -> "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".
[[nodiscard]] std::string websocket_accept_key(std::string_view client_key);

/// Which web pages may open a WebSocket. A browser sends the page's origin ("Origin:
/// https://example.com") with every WebSocket handshake, and the server must check it (RFC 6455
/// 10.2): without a check, any page a user visits can read the stream. Allowed: requests
/// without Origin (programs, not browsers), pages of this very server (the Origin's host and
/// port are the Host header's), and the origins listed.
struct OriginPolicy {
    /// Origins allowed besides this server's own: "https://dash.example:8443" as browsers
    /// write them (scheme://host[:port], compared without regard to case), "null", or "*"
    /// for any.
    std::vector<std::string> allowed;

    /// Whether a handshake with Origin `origin` (empty: none sent) and Host `host` may go on.
    [[nodiscard]] bool allows(std::string_view origin, std::string_view host) const noexcept;
};

/// Whether `origin` (scheme://host[:port]) names the server that `host` (a Host header) names:
/// the same host and port, a missing port being the scheme's default (RFC 6454 4).
[[nodiscard]] bool is_same_origin(std::string_view origin, std::string_view host) noexcept;

/// Whether `text` can be an allowed origin: "*", "null", or scheme "://" host [":" port] with
/// nothing after (what --allow-origin accepts).
[[nodiscard]] bool is_origin_pattern(std::string_view text) noexcept;

/// The verdict on an upgrade request.
struct WebSocketHandshake {
    /// 0 when the request is a valid upgrade; else the status to answer: 400 (missing or bad
    /// header, not GET, not HTTP/1.1), 403 (an Origin the policy refuses) or 426
    /// (Sec-WebSocket-Version is not 13: answer with "Upgrade: websocket" and
    /// "Sec-WebSocket-Version: 13").
    int http_status = 0;
    std::string_view reason;   ///< static text for logs, when http_status != 0
    std::string accept_key;    ///< the Sec-WebSocket-Accept value, when ok()

    /// The request is a valid upgrade: answer it with write_websocket_accept().
    [[nodiscard]] bool ok() const noexcept { return http_status == 0; }
};

/// Whether `request` asks to become a WebSocket (Upgrade: websocket, Connection: upgrade).
/// A cheap test for a router deciding between a page and a socket on the same path.
[[nodiscard]] bool is_websocket_upgrade(const Request& request) noexcept;

/// The server side of the WebSocket opening handshake (RFC 6455 4.2), without I/O
/// (WebSocket::accept() does it on a connection). Never throws (except std::bad_alloc).
///
///     http::WebSocketHandshake hs = http::check_websocket_upgrade(request);
///     if (!hs.ok()) { /* answer hs.http_status (426: add "Sec-WebSocket-Version: 13") */ }
///     std::string response;
///     http::write_websocket_accept(hs.accept_key, response);   // then speak frames
///
/// Checks the upgrade request as RFC 6455 4.2.1 asks: GET, HTTP/1.1, Host, "Upgrade:
/// websocket", "Connection: upgrade", a Sec-WebSocket-Key that is base64 of 16 bytes, and
/// Sec-WebSocket-Version 13; then the Origin, as `origins` says (by default: none but this
/// server's own pages, and clients that send no Origin). Sub-protocols and extensions are not
/// negotiated (none offered).
[[nodiscard]] WebSocketHandshake check_websocket_upgrade(const Request& request, const OriginPolicy& origins = {});

/// Appends the "101 Switching Protocols" response head (ending in the empty line) to `out`.
void write_websocket_accept(std::string_view accept_key, std::string& out);

}  // namespace asyncio::http
