#include <asyncio/http/websocket_handshake.hpp>

#include <asyncio/http/detail/base64.hpp>
#include <asyncio/http/detail/sha1.hpp>
#include <asyncio/http/response.hpp>

#include <optional>

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

namespace {

struct Origin {
    std::string_view scheme;
    std::string_view host;
    std::string_view port;  ///< empty: the scheme's default
};

/// Splits "host:port", "[v6]:port" or "host" (a Host header or an origin's authority).
void split_host_port(std::string_view authority, std::string_view& host, std::string_view& port) noexcept {
    const std::size_t bracket = authority.rfind(']');
    const std::size_t colon = authority.rfind(':');
    if (colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
        host = authority.substr(0, colon);
        port = authority.substr(colon + 1);
    } else {
        host = authority;
        port = {};
    }
}

/// Parses scheme "://" host [":" port]: the serialisation of an origin (RFC 6454 6.2).
std::optional<Origin> parse_origin(std::string_view text) noexcept {
    const std::size_t separator = text.find("://");
    if (separator == std::string_view::npos || separator == 0) return std::nullopt;
    Origin origin;
    origin.scheme = text.substr(0, separator);
    const std::string_view authority = text.substr(separator + 3);
    if (authority.empty() || authority.find_first_of("/?#@ ") != std::string_view::npos) return std::nullopt;
    split_host_port(authority, origin.host, origin.port);
    if (origin.host.empty()) return std::nullopt;
    for (const char c : origin.port) {
        if (c < '0' || c > '9') return std::nullopt;
    }
    return origin;
}

std::string_view default_port(std::string_view scheme) noexcept {
    if (iequals(scheme, "https") || iequals(scheme, "wss")) return "443";
    return "80";  // http, ws, and what else a browser might name
}

/// "80" and "080" are the same port.
std::string_view without_leading_zeros(std::string_view port) noexcept {
    while (port.size() > 1 && port.front() == '0') port.remove_prefix(1);
    return port;
}

}  // namespace

bool is_same_origin(std::string_view origin_text, std::string_view host_header) noexcept {
    const std::optional<Origin> origin = parse_origin(origin_text);
    if (!origin || host_header.empty()) return false;
    std::string_view host;
    std::string_view port;
    split_host_port(host_header, host, port);
    // A port left out is the origin's scheme's default on both sides: behind a TLS proxy,
    // "Origin: https://x" and "Host: x" are one server.
    const std::string_view fallback = default_port(origin->scheme);
    const std::string_view origin_port = origin->port.empty() ? fallback : origin->port;
    const std::string_view host_port = port.empty() ? fallback : port;
    return iequals(origin->host, host) && without_leading_zeros(origin_port) == without_leading_zeros(host_port);
}

bool is_origin_pattern(std::string_view text) noexcept {
    return text == "*" || text == "null" || parse_origin(text).has_value();
}

bool OriginPolicy::allows(std::string_view origin, std::string_view host) const noexcept {
    if (origin.empty()) return true;  // not a browser: no page to protect the user from
    for (const std::string& allowed_origin : allowed) {
        if (allowed_origin == "*" || iequals(allowed_origin, origin)) return true;
    }
    return is_same_origin(origin, host);
}

WebSocketHandshake check_websocket_upgrade(const Request& request, const OriginPolicy& origins) {
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
    // Browsers send Origin; a page from elsewhere must not read this socket (RFC 6455 10.2).
    if (!origins.allows(request.header("origin"), request.header("host"))) return refuse(403, "origin not allowed");
    return WebSocketHandshake{0, {}, websocket_accept_key(key)};
}

void write_websocket_accept(std::string_view accept_key, std::string& out) {
    static const HeaderBlock kUpgrade{{"Upgrade", "websocket"}, {"Connection", "Upgrade"}};
    Response switching;
    switching.status = 101;
    switching.add_headers(kUpgrade);
    switching.set_header("Sec-WebSocket-Accept", accept_key);
    append_response(out, switching, {});
}

}  // namespace asyncio::http
