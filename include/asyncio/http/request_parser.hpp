#pragma once

#include <asyncio/http/parse_result.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace asyncio::http {

/// Capacity of Request::headers: the most header fields one request can carry.
inline constexpr std::size_t kMaxHeaders = 64;
/// Longest request line (method SP target SP version, without CRLF) before 414 URI Too Long.
inline constexpr std::size_t kDefaultMaxRequestLine = 8192;
/// Largest header section (every field line with its CRLF, plus the final empty line) before
/// 431 Request Header Fields Too Large.
inline constexpr std::size_t kDefaultMaxHeaderBytes = 8192;
/// Largest Content-Length accepted before 413 Content Too Large.
inline constexpr std::uint64_t kDefaultMaxBody = 1024 * 1024;
/// Empty lines tolerated before the request line (a client's stray CRLF after a body); more
/// is a 400, so a stream of CRLFs cannot keep a connection busy forever.
inline constexpr std::size_t kMaxLeadingEmptyLines = 8;

/// One header field line; name as sent (compare it case-insensitively), value without the
/// surrounding whitespace.
struct Header {
    std::string_view name;   ///< as sent: compare it with iequals()
    std::string_view value;  ///< without leading and trailing spaces or tabs; may be empty
};

/// A parsed request head. Every view points into the buffer given to parse_request, so the
/// buffer must outlive the Request and must not move. Meaningful only after `complete`.
struct Request {
    std::string_view method;  ///< case-sensitive token: "GET", "POST"...
    std::string_view target;  ///< the raw request-target: "/api/x?a=1"
    std::string_view path;    ///< target before '?'; for absolute-form ("http://h/p") the path "/p"
    std::string_view query;   ///< after '?' (without it); empty if none
    int version_minor = 1;    ///< 0 for HTTP/1.0, 1 for HTTP/1.1
    Header headers[kMaxHeaders];   ///< the fields in the order received; see fields()
    std::size_t header_count = 0;  ///< how many of `headers` are set

    // What the connection needs to know, derived from the headers:
    bool keep_alive = true;        ///< 1.1: unless "Connection: close"; 1.0: only with "keep-alive"
    bool expect_continue = false;  ///< HTTP/1.1 with "Expect: 100-continue": send 100 first
    bool chunked = false;          ///< "Transfer-Encoding: chunked": use ChunkedDecoder for the body
    bool upgrade = false;          ///< "Connection: upgrade" (WebSocket handshake, see websocket_handshake.hpp)
    std::optional<std::uint64_t> content_length;  ///< absent: no body (unless chunked)

    /// The value of the first field named `name` (case-insensitive), empty if absent.
    [[nodiscard]] std::string_view header(std::string_view name) const noexcept;
    /// The header fields in the order received.
    [[nodiscard]] std::span<const Header> fields() const noexcept { return {headers, header_count}; }
};

/// Hard limits for one request head. Crossing one is an error as soon as it is certain, even
/// while the request is still partial (a slow client cannot make the server buffer more).
struct Limits {
    std::size_t max_request_line = kDefaultMaxRequestLine;  ///< above: 414
    std::size_t max_header_bytes = kDefaultMaxHeaderBytes;  ///< above: 431
    std::size_t max_headers = kMaxHeaders;                  ///< above: 431; capped at kMaxHeaders
    std::uint64_t max_body = kDefaultMaxBody;               ///< Content-Length above: 413
};

/// Parses the request head at the start of `buffer` into `out`: the HTTP/1.x request line and
/// header section (RFC 9112), in the spirit of picohttpparser. Stateless and zero-copy: it
/// allocates nothing, every string_view it returns points into `buffer`, and it never throws.
///
///     http::Request req;
///     http::ParseResult r = http::parse_request(buffer, req);
///     if (r.partial()) { /* read more, then parse the whole buffer again */ }
///     if (r.error())   { /* answer r.http_status, close */ }
///     /* complete: body starts at buffer[r.consumed] (req.content_length or req.chunked) */
///
/// Choices where RFC 9112 leaves one:
/// - A bare LF is accepted as a line terminator in the request line and header section (2.2
///   "MAY"), so a student typing into `nc` is understood; a CR not followed by LF is a 400.
/// - Up to kMaxLeadingEmptyLines empty lines before the request line are skipped (2.2) and
///   counted in `consumed`.
/// - The request-target must be visible ASCII (0x21-0x7E); raw UTF-8 in a URL is a 400.
/// - Any Transfer-Encoding other than exactly "chunked" is refused: 400 if chunked is not the
///   final coding (6.3: the length cannot be known), 501 otherwise (gzip, chunked: we do not
///   decode gzip). Transfer-Encoding in an HTTP/1.0 request is a 400 (6.1: faulty framing).
/// - Expect: 100-continue is reported only for HTTP/1.1 (RFC 9110 10.1.1: ignored in 1.0).
///
/// Returns complete with `consumed` = bytes of empty lines + request line + header section
/// including the final empty line (the body or the next pipelined request starts there);
/// partial (consumed 0) when every byte so far may still begin a valid request; or error with
/// http_status 400 (malformed; a request-target in none of the four forms of RFC 9112 3.2; Host
/// missing in HTTP/1.1, repeated or not a valid host[:port]; conflicting Content-Length;
/// smuggling patterns), 413 (Content-Length > max_body), 414, 431, 501 (unsupported
/// Transfer-Encoding) or 505 (major version not 1; HTTP/1.2 and later 1.x are read as 1.1).
/// `out` is only meaningful after complete.
/// Cost: stateless, so after partial the caller parses the whole buffer again when more bytes
/// arrive. Each call is one linear pass over at most max_request_line + max_header_bytes bytes
/// (table look-ups, no allocation); call again only when new bytes arrived.
[[nodiscard]] ParseResult parse_request(std::string_view buffer, Request& out, const Limits& limits = {}) noexcept;

/// ASCII case-insensitive equality, as field names and most tokens compare.
[[nodiscard]] bool iequals(std::string_view a, std::string_view b) noexcept;

/// Whether the comma-separated field value `list` ("keep-alive, Upgrade") holds `token`
/// (case-insensitive, surrounding whitespace and ";parameters" ignored).
[[nodiscard]] bool has_token(std::string_view list, std::string_view token) noexcept;

}  // namespace asyncio::http
