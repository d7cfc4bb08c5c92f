#include <asyncio/http/websocket_handshake.hpp>

#include <asyncio/http/detail/base64.hpp>
#include <asyncio/http/detail/sha1.hpp>

#include <gtest/gtest.h>

#include <string>

using asyncio::http::Request;

namespace {

std::string hex(const asyncio::http::Sha1::Digest& d) {
    static const char* digits = "0123456789abcdef";
    std::string s;
    for (std::uint8_t b : d) {
        s += digits[b >> 4];
        s += digits[b & 15];
    }
    return s;
}

TEST(Sha1, Fips180Vectors) {
    EXPECT_EQ(hex(asyncio::http::sha1("")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    EXPECT_EQ(hex(asyncio::http::sha1("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
    EXPECT_EQ(hex(asyncio::http::sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
              "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
}

TEST(Sha1, MillionAsInUnevenPieces) {
    asyncio::http::Sha1 h;
    const std::string chunk(997, 'a');
    std::size_t left = 1000000;
    while (left > 0) {
        const std::size_t n = std::min(left, chunk.size());
        h.update(std::string_view(chunk).substr(0, n));
        left -= n;
    }
    EXPECT_EQ(hex(h.finish()), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

TEST(Sha1, PaddingBoundaries) {
    // 55, 56 and 64 bytes: the length fits in the last block, or needs one more.
    EXPECT_EQ(hex(asyncio::http::sha1(std::string(55, 'a'))), "c1c8bbdc22796e28c0e15163d20899b65621d65a");
    EXPECT_EQ(hex(asyncio::http::sha1(std::string(56, 'a'))), "c2db330f6083854c99d4b5bfb6e8f29f201be699");
    EXPECT_EQ(hex(asyncio::http::sha1(std::string(64, 'a'))), "0098ba824b5c16427bd7a1122a5a442a25ec644d");
}

TEST(Base64, Rfc4648Vectors) {
    const std::pair<std::string_view, std::string_view> vectors[] = {
        {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
    };
    for (auto [plain, encoded] : vectors) {
        EXPECT_EQ(asyncio::http::base64_encode(plain), encoded);
        std::string decoded;
        EXPECT_TRUE(asyncio::http::base64_decode(encoded, decoded)) << encoded;
        EXPECT_EQ(decoded, plain);
    }
}

TEST(Base64, AllByteValuesRoundTrip) {
    std::string bytes;
    for (int i = 0; i < 256; ++i) bytes += static_cast<char>(i);
    std::string decoded;
    ASSERT_TRUE(asyncio::http::base64_decode(asyncio::http::base64_encode(bytes), decoded));
    EXPECT_EQ(decoded, bytes);
}

TEST(Base64, StrictDecoding) {
    std::string out;
    for (std::string_view bad : {"Zg", "Zg=", "Z===", "====", "Zg==Zg==", "Zm9v!A==", "Zm 9v", "Zh==", "Zm9=",
                                 "=m9v"}) {
        EXPECT_FALSE(asyncio::http::base64_decode(bad, out)) << bad;
    }
}

TEST(WebSocketHandshake, Rfc6455AcceptKeyExample) {
    EXPECT_EQ(asyncio::http::websocket_accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

constexpr std::string_view kUpgrade =
    "GET /chat HTTP/1.1\r\n"
    "Host: server.example.com\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Origin: http://example.com\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "\r\n";

/// kUpgrade is RFC 6455's example: a page of http://example.com opening a socket on
/// server.example.com, an origin the server must allow explicitly.
const asyncio::http::OriginPolicy kExampleAllowed{{"http://example.com"}};

asyncio::http::WebSocketHandshake check(const std::string& input,
                                        const asyncio::http::OriginPolicy& origins = kExampleAllowed) {
    Request req;
    EXPECT_TRUE(asyncio::http::parse_request(input, req).complete()) << input;
    return asyncio::http::check_websocket_upgrade(req, origins);
}

std::string replace(std::string_view s, std::string_view from, std::string_view to) {
    std::string out(s);
    out.replace(out.find(from), from.size(), to);
    return out;
}

TEST(WebSocketHandshake, ValidUpgradeRequest) {
    const auto hs = check(std::string(kUpgrade));
    ASSERT_TRUE(hs.ok()) << hs.reason;
    EXPECT_EQ(hs.accept_key, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    std::string response;
    asyncio::http::write_websocket_accept(hs.accept_key, response);
    const std::size_t date = response.find("\r\nDate: ");
    ASSERT_NE(date, std::string::npos) << response;
    response.replace(date + 8, 29, "<date>");
    EXPECT_EQ(response,
              "HTTP/1.1 101 Switching Protocols\r\nDate: <date>\r\nX-Content-Type-Options: nosniff\r\n"
              "Upgrade: websocket\r\nConnection: Upgrade\r\n"
              "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
}

TEST(WebSocketHandshake, BrowserStyleConnectionList) {
    const auto hs = check(replace(replace(kUpgrade, "Connection: Upgrade", "Connection: keep-alive, Upgrade"),
                                  "Upgrade: websocket", "Upgrade: WebSocket"));
    EXPECT_TRUE(hs.ok()) << hs.reason;
}

TEST(WebSocketHandshake, Refusals) {
    const struct {
        std::string input;
        int status;
    } cases[] = {
        {replace(kUpgrade, "GET", "POST"), 400},
        {replace(kUpgrade, "HTTP/1.1", "HTTP/1.0"), 400},
        {replace(kUpgrade, "Upgrade: websocket", "Upgrade: h2c"), 400},
        {replace(kUpgrade, "Connection: Upgrade", "Connection: keep-alive"), 400},
        {replace(kUpgrade, "Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 8"), 426},
        {replace(kUpgrade, "Sec-WebSocket-Version: 13\r\n", ""), 426},
        {replace(kUpgrade, "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", ""), 400},
        {replace(kUpgrade, "dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZQ=="), 400},  // 11 bytes, not 16
        {replace(kUpgrade, "dGhlIHNhbXBsZSBub25jZQ==", "not base64 at all!!!!!!="), 400},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.input);
        const auto hs = check(c.input);
        EXPECT_EQ(hs.http_status, c.status) << hs.reason;
        EXPECT_FALSE(hs.ok());
    }
}

TEST(WebSocketHandshake, AnotherOriginIsRefusedByDefault) {
    const auto hs = check(std::string(kUpgrade), {});
    EXPECT_EQ(hs.http_status, 403) << hs.reason;
    EXPECT_FALSE(hs.ok());
}

TEST(WebSocketHandshake, SameOriginAndNoOriginAreAllowedByDefault) {
    const std::string same = replace(kUpgrade, "Origin: http://example.com", "Origin: http://server.example.com");
    EXPECT_TRUE(check(same, {}).ok());
    EXPECT_TRUE(check(replace(kUpgrade, "Origin: http://example.com\r\n", ""), {}).ok());
    EXPECT_EQ(check(replace(kUpgrade, "Origin: http://example.com", "Origin: null"), {}).http_status, 403);
}

TEST(WebSocketHandshake, AStarAllowsEveryOrigin) {
    EXPECT_TRUE(check(std::string(kUpgrade), asyncio::http::OriginPolicy{{"*"}}).ok());
    EXPECT_TRUE(check(replace(kUpgrade, "Origin: http://example.com", "Origin: null"), {{"*"}}).ok());
    EXPECT_EQ(check(std::string(kUpgrade), {{"http://example.org"}}).http_status, 403);
    EXPECT_TRUE(check(std::string(kUpgrade), {{"HTTP://EXAMPLE.COM"}}).ok()) << "origins compare without case";
}

TEST(OriginPolicy, SameOriginComparesHostAndPortWithTheSchemesDefault) {
    using asyncio::http::is_same_origin;
    EXPECT_TRUE(is_same_origin("http://127.0.0.1:8080", "127.0.0.1:8080"));
    EXPECT_TRUE(is_same_origin("http://Pi.Local", "pi.local"));
    EXPECT_TRUE(is_same_origin("http://pi.local", "pi.local:80"));
    EXPECT_TRUE(is_same_origin("http://pi.local:80", "pi.local"));
    EXPECT_TRUE(is_same_origin("https://pi.local", "pi.local")) << "behind a TLS proxy";
    EXPECT_TRUE(is_same_origin("http://[::1]:8080", "[::1]:8080"));
    EXPECT_FALSE(is_same_origin("http://127.0.0.1:8081", "127.0.0.1:8080"));
    EXPECT_FALSE(is_same_origin("http://localhost:8080", "127.0.0.1:8080"));
    EXPECT_FALSE(is_same_origin("https://pi.local", "pi.local:80"));
    EXPECT_FALSE(is_same_origin("http://[::1]", "[::1]:8080"));
    EXPECT_FALSE(is_same_origin("null", "pi.local"));
    EXPECT_FALSE(is_same_origin("http://pi.local/", "pi.local")) << "an origin has no path";
    EXPECT_FALSE(is_same_origin("http://evil@pi.local", "pi.local"));
    EXPECT_FALSE(is_same_origin("http://pi.local", ""));
}

TEST(OriginPolicy, WhatMayBeAllowed) {
    using asyncio::http::is_origin_pattern;
    EXPECT_TRUE(is_origin_pattern("*"));
    EXPECT_TRUE(is_origin_pattern("null"));
    EXPECT_TRUE(is_origin_pattern("https://dash.example:8443"));
    EXPECT_TRUE(is_origin_pattern("http://[::1]:8080"));
    EXPECT_FALSE(is_origin_pattern(""));
    EXPECT_FALSE(is_origin_pattern("dash.example"));
    EXPECT_FALSE(is_origin_pattern("https://dash.example/"));
    EXPECT_FALSE(is_origin_pattern("https://dash.example:x"));
    EXPECT_FALSE(is_origin_pattern("https://"));
}

TEST(WebSocketHandshake, IsWebSocketUpgrade) {
    Request req;
    ASSERT_TRUE(asyncio::http::parse_request(kUpgrade, req).complete());
    EXPECT_TRUE(asyncio::http::is_websocket_upgrade(req));
    ASSERT_TRUE(asyncio::http::parse_request("GET /chat HTTP/1.1\r\nHost: a\r\n\r\n", req).complete());
    EXPECT_FALSE(asyncio::http::is_websocket_upgrade(req));
}

}  // namespace
