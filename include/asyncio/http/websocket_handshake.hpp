#pragma once
// The server side of the WebSocket opening handshake (RFC 6455 4.2): checking the client's
// upgrade request and computing Sec-WebSocket-Accept. Pure functions, no I/O, never throw
// (except std::bad_alloc from the returned strings).
//
//   http::WebSocketHandshake hs = http::check_websocket_upgrade(request);
//   if (!hs.ok()) { /* answer hs.http_status (426: add "Sec-WebSocket-Version: 13") */ }
//   std::string response;
//   http::write_websocket_accept(hs.accept_key, response);   // then speak frames

#include <asyncio/http/request_parser.hpp>

#include <string>
#include <string_view>

namespace asyncio::http {

/// The GUID RFC 6455 appends to the client's key before hashing it.
inline constexpr std::string_view kWebSocketGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
/// The only protocol version this server speaks (RFC 6455 4.1).
inline constexpr std::string_view kWebSocketVersion = "13";

/// base64(SHA-1(client_key + kWebSocketGuid)): the Sec-WebSocket-Accept value.
/// Example from RFC 6455 1.3: "dGhlIHNhbXBsZSBub25jZQ==" -> "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".
[[nodiscard]] std::string websocket_accept_key(std::string_view client_key);

/// The verdict on an upgrade request.
struct WebSocketHandshake {
    /// 0 when the request is a valid upgrade; else the status to answer: 400 (missing or bad
    /// header, not GET, not HTTP/1.1) or 426 (Sec-WebSocket-Version is not 13: answer with
    /// "Sec-WebSocket-Version: 13").
    int http_status = 0;
    std::string_view reason;   ///< static text for logs, when http_status != 0
    std::string accept_key;    ///< the Sec-WebSocket-Accept value, when ok()

    [[nodiscard]] bool ok() const noexcept { return http_status == 0; }
};

/// Whether `request` asks to become a WebSocket (Upgrade: websocket, Connection: upgrade).
/// A cheap test for a router deciding between a page and a socket on the same path.
[[nodiscard]] bool is_websocket_upgrade(const Request& request) noexcept;

/// Checks the upgrade request as RFC 6455 4.2.1 asks: GET, HTTP/1.1, Host, "Upgrade:
/// websocket", "Connection: upgrade", a Sec-WebSocket-Key that is base64 of 16 bytes, and
/// Sec-WebSocket-Version 13. Sub-protocols and extensions are not negotiated (none offered).
[[nodiscard]] WebSocketHandshake check_websocket_upgrade(const Request& request);

/// Appends the "101 Switching Protocols" response head (ending in the empty line) to `out`.
void write_websocket_accept(std::string_view accept_key, std::string& out);

}  // namespace asyncio::http
