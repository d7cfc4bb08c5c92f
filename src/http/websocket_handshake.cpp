#include <asyncio/http/websocket_handshake.hpp>

#include <asyncio/http/base64.hpp>
#include <asyncio/http/sha1.hpp>

namespace asyncio::http {

std::string websocket_accept_key(std::string_view client_key) {
    Sha1 h;
    h.update(client_key);
    h.update(kWebSocketGuid);
    const Sha1::Digest digest = h.finish();
    return base64_encode(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
}

bool is_websocket_upgrade(const Request& request) noexcept {
    return request.upgrade && has_token(request.header("upgrade"), "websocket");
}

WebSocketHandshake check_websocket_upgrade(const Request& request) {
    auto refuse = [](int status, std::string_view reason) { return WebSocketHandshake{status, reason, {}}; };
    if (request.method != "GET") return refuse(400, "WebSocket upgrade must be a GET");
    // parse_request already required Host for HTTP/1.1.
    if (request.version_minor < 1) return refuse(400, "WebSocket upgrade needs HTTP/1.1");
    if (!is_websocket_upgrade(request)) return refuse(400, "missing Upgrade: websocket / Connection: upgrade");
    if (request.header("sec-websocket-version") != kWebSocketVersion) {
        return refuse(426, "unsupported Sec-WebSocket-Version");
    }
    const std::string_view key = request.header("sec-websocket-key");
    std::string nonce;
    if (!base64_decode(key, nonce) || nonce.size() != 16) return refuse(400, "invalid Sec-WebSocket-Key");
    return WebSocketHandshake{0, {}, websocket_accept_key(key)};
}

void write_websocket_accept(std::string_view accept_key, std::string& out) {
    out += "HTTP/1.1 101 Switching Protocols\r\n"
           "Upgrade: websocket\r\n"
           "Connection: Upgrade\r\n"
           "Sec-WebSocket-Accept: ";
    out += accept_key;
    out += "\r\n\r\n";
}

}  // namespace asyncio::http
