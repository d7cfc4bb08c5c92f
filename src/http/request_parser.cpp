#include <asyncio/http/request_parser.hpp>

#include "word_scan.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <limits>

namespace asyncio::http {
namespace {

// Character classes: one table look-up per byte in the parser's inner loops.
enum CharClass : std::uint8_t {
    kToken = 1,   // tchar (RFC 9110 5.6.2): method and field names
    kTarget = 2,  // visible ASCII: the request-target
    kValue = 4,   // field-vchar, SP, HTAB and obs-text: everything but CTLs and DEL
};

constexpr std::array<std::uint8_t, 256> make_char_classes() {
    std::array<std::uint8_t, 256> table{};
    constexpr std::string_view token_punctuation = "!#$%&'*+-.^_`|~";
    for (int c = 0; c < 256; ++c) {
        const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        std::uint8_t bits = 0;
        if (alnum || (c < 128 && token_punctuation.find(static_cast<char>(c)) != std::string_view::npos))
            bits |= kToken;
        if (c >= 0x21 && c <= 0x7E) bits |= kTarget;
        if (c == '\t' || (c >= 0x20 && c != 0x7F)) bits |= kValue;
        table[static_cast<std::size_t>(c)] = bits;
    }
    return table;
}
constexpr auto kCharClasses = make_char_classes();

bool has_class(char c, CharClass cls) noexcept {
    return (kCharClasses[static_cast<unsigned char>(c)] & cls) != 0;
}

/// Whether the 8 bytes at `at` are all of class kTarget or all of class kValue, tested a word at
/// a time (word_scan.hpp). A word with a tab is left to the byte loop, as is every word of
/// kToken, whose set is irregular.
[[gnu::always_inline]] inline bool word_all_of(const char* at, CharClass cls) noexcept {
    using namespace detail;
    const std::uint64_t word = load_word(at);
    if (cls == kTarget) return !any_byte_below(word, 0x21) && !any_byte_above(word, 0x7E);
    if (cls == kValue) return !any_byte_below(word, 0x20) && !any_byte_is(word, 0x7F);
    return false;
}

bool is_ows(char c) noexcept { return c == ' ' || c == '\t'; }

char to_lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c; }

/// Whether `name` (a token) is `lower` (lowercase letters and '-') in any case. OR-ing 0x20
/// lowercases a letter and keeps '-' and digits; no other tchar turns into one of those.
bool token_is(std::string_view name, std::string_view lower) noexcept {
    if (name.size() != lower.size()) return false;
    for (std::size_t i = 0; i < name.size(); ++i) {
        if ((name[i] | 0x20) != lower[i]) return false;
    }
    return true;
}

std::string_view trim_ows(std::string_view s) noexcept {
    while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
    return s;
}

/// Calls `fn(element)` for each element of a comma-separated list, trimmed, empty ones included
/// (the caller decides whether "a,,b" is acceptable). Stops early when `fn` returns false.
template <class Fn>
bool for_each_element(std::string_view list, Fn&& fn) {
    for (;;) {
        const std::size_t comma = list.find(',');
        if (!fn(trim_ows(list.substr(0, comma)))) return false;
        if (comma == std::string_view::npos) return true;
        list.remove_prefix(comma + 1);
    }
}

/// The element's leading name, without ";parameters".
std::string_view element_name(std::string_view element) noexcept {
    return trim_ows(element.substr(0, element.find(';')));
}

/// Parses 1*DIGIT into `value`; false on anything else or on overflow.
bool parse_decimal(std::string_view digits, std::uint64_t& value) noexcept {
    if (digits.empty()) return false;
    constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
    value = 0;
    for (char c : digits) {
        if (c < '0' || c > '9') return false;
        const auto digit = static_cast<std::uint64_t>(c - '0');
        if (value > (kMax - digit) / 10) return false;
        value = value * 10 + digit;
    }
    return true;
}

bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
bool is_hex_digit(char c) noexcept { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

/// Whether `target` starts with "scheme://" (RFC 3986 3.1: scheme = ALPHA *( ALPHA / DIGIT /
/// "+" / "-" / "." )): the absolute-form.
bool has_scheme(std::string_view target) noexcept {
    const std::size_t end = target.find("://");
    if (end == std::string_view::npos || end == 0 || !is_alpha(target.front())) return false;
    for (const char c : target.substr(0, end)) {
        if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.') return false;
    }
    return true;
}

/// unreserved / sub-delims (RFC 3986 2.2, 2.3), without the comma: a comma in Host is the mark
/// of two Host fields joined into a list (RFC 9110 5.3), which RFC 9112 3.2 answers with 400.
bool is_host_char(char c) noexcept {
    constexpr std::string_view kOthers = "-._~!$&'()*+;=";
    return is_alpha(c) || is_digit(c) || kOthers.find(c) != std::string_view::npos;
}

/// port = *DIGIT (RFC 3986 3.2.3).
bool is_port(std::string_view text) noexcept {
    for (const char c : text) {
        if (!is_digit(c)) return false;
    }
    return true;
}

/// Host = uri-host [ ":" port ] (RFC 9110 7.2), uri-host an IP-literal ("[...]") or a reg-name
/// (which covers IPv4 addresses) with percent-encoding. Empty is valid: a client sends it when
/// the target has no authority.
bool is_valid_host(std::string_view host) noexcept {
    std::size_t end = 0;
    if (!host.empty() && host.front() == '[') {
        end = host.find(']');
        if (end == std::string_view::npos || end == 1) return false;
        for (const char c : host.substr(1, end - 1)) {
            if (!is_host_char(c) && c != ':') return false;  // IPv6address / IPvFuture
        }
        ++end;
    } else {
        while (end < host.size() && host[end] != ':') {
            if (host[end] == '%') {
                if (end + 2 >= host.size() || !is_hex_digit(host[end + 1]) || !is_hex_digit(host[end + 2])) return false;
                end += 3;
            } else if (is_host_char(host[end])) {
                ++end;
            } else {
                return false;
            }
        }
    }
    if (end == host.size()) return true;
    return host[end] == ':' && is_port(host.substr(end + 1));
}

std::size_t saturating_add(std::size_t a, std::size_t b) noexcept {
    return a > std::numeric_limits<std::size_t>::max() - b ? std::numeric_limits<std::size_t>::max() : a + b;
}

/// One parse_request call. The parser reads byte by byte through peek(), which enforces the
/// limit of the part being read (request line: 414, header section: 431) before the end of the
/// buffer, so an over-long line is refused while it is still arriving.
class RequestParser {
public:
    RequestParser(std::string_view buffer, Request& out, const Limits& limits) noexcept
        : m_buffer(buffer), m_out(out), m_limits(limits) {}

    ParseResult run() noexcept;

private:
    enum class Step { ok, partial, error };

    Step fail(int status, std::string_view reason) noexcept {
        m_status = status;
        m_reason = reason;
        return Step::error;
    }
    void set_limit(std::size_t limit, int status, std::string_view reason) noexcept {
        m_limit = limit;
        m_limit_status = status;
        m_limit_reason = reason;
    }
    // Called for every field: forced inline, as GCC would not, and the calls were a quarter of
    // the parser's instructions (callgrind).
    [[gnu::always_inline]] Step peek(char& c) noexcept;
    [[gnu::always_inline]] Step skip_then_peek(CharClass cls, char& c) noexcept;
    [[gnu::always_inline]] Step parse_end_of_line() noexcept;
    Step skip_empty_lines() noexcept;
    Step parse_request_line() noexcept;
    Step parse_method(std::string_view& method) noexcept;
    Step parse_version() noexcept;
    Step parse_header_section() noexcept;
    Step parse_field_line() noexcept;
    Step interpret_headers() noexcept;
    Step merge_content_length(std::string_view value) noexcept;
    Step check_transfer_coding() noexcept;
    Step check_target_form() noexcept;
    void split_target() noexcept;
    std::string_view slice(std::size_t begin, std::size_t end) const noexcept {
        return m_buffer.substr(begin, end - begin);
    }

    std::string_view m_buffer;
    Request& m_out;
    const Limits& m_limits;
    std::size_t m_pos = 0;
    std::size_t m_limit = std::numeric_limits<std::size_t>::max();  ///< peek() refuses m_pos >= this
    int m_limit_status = 0;
    std::string_view m_limit_reason;
    int m_status = 0;
    std::string_view m_reason;
    int m_version_major = 1;
};

inline RequestParser::Step RequestParser::peek(char& c) noexcept {
    if (m_pos >= m_limit) return fail(m_limit_status, m_limit_reason);
    if (m_pos >= m_buffer.size()) return Step::partial;
    c = m_buffer[m_pos];
    return Step::ok;
}

/// Advances over bytes of class `cls` (the hot loop: a word at a time where it can, then one
/// compare and one look-up per byte), then peeks at the byte that stopped it.
inline RequestParser::Step RequestParser::skip_then_peek(CharClass cls, char& c) noexcept {
    const std::size_t stop = std::min(m_limit, m_buffer.size());
    const char* bytes = m_buffer.data();
    std::size_t pos = m_pos;
    if (cls != kToken) {
        while (pos + 8 <= stop && word_all_of(bytes + pos, cls)) pos += 8;
    }
    while (pos < stop && has_class(bytes[pos], cls)) ++pos;
    m_pos = pos;
    return peek(c);
}

/// CRLF or a bare LF; a CR followed by anything else is an error.
inline RequestParser::Step RequestParser::parse_end_of_line() noexcept {
    if (m_pos + 2 <= std::min(m_limit, m_buffer.size()) && m_buffer[m_pos] == '\r' && m_buffer[m_pos + 1] == '\n') {
        m_pos += 2;  // the common CRLF, both bytes there
        return Step::ok;
    }
    char c = 0;
    if (auto s = peek(c); s != Step::ok) return s;
    if (c == '\n') {
        ++m_pos;
        return Step::ok;
    }
    if (c != '\r') return fail(400, "unexpected character at end of line");
    ++m_pos;
    if (auto s = peek(c); s != Step::ok) return s;
    if (c != '\n') return fail(400, "CR not followed by LF");
    ++m_pos;
    return Step::ok;
}

RequestParser::Step RequestParser::skip_empty_lines() noexcept {
    for (std::size_t lines = 0;; ++lines) {
        char c = 0;
        if (auto s = peek(c); s != Step::ok) return s;
        if (c != '\r' && c != '\n') return Step::ok;
        if (lines == kMaxLeadingEmptyLines) return fail(400, "too many empty lines before the request");
        if (auto s = parse_end_of_line(); s != Step::ok) return s;
    }
}

/// The method: a non-empty run of tchar, then the single SP that ends it.
RequestParser::Step RequestParser::parse_method(std::string_view& method) noexcept {
    const std::size_t begin = m_pos;
    char c = 0;
    if (auto s = skip_then_peek(kToken, c); s != Step::ok) return s;
    if (m_pos == begin || c != ' ') return fail(400, "invalid method");
    method = slice(begin, m_pos);
    ++m_pos;
    return Step::ok;
}

/// "HTTP/" DIGIT "." DIGIT, checked byte by byte so garbage is refused before the line ends.
RequestParser::Step RequestParser::parse_version() noexcept {
    constexpr std::string_view kPattern = "HTTP/0.0";  // '0' stands for any digit
    if (m_pos + kPattern.size() <= std::min(m_limit, m_buffer.size())) {
        // All eight bytes are there and within the limit: no partial or limit verdict is
        // possible, so one comparison decides what the byte-by-byte loop below would.
        const char* v = m_buffer.data() + m_pos;
        const auto digit = [](char c) { return c >= '0' && c <= '9'; };
        if (std::memcmp(v, "HTTP/", 5) != 0 || !digit(v[5]) || v[6] != '.' || !digit(v[7])) {
            return fail(400, "invalid HTTP version");
        }
        m_version_major = v[5] - '0';
        m_out.version_minor = v[7] - '0';
        m_pos += kPattern.size();
        return Step::ok;
    }
    int digits[2] = {0, 0};
    int digit_count = 0;
    for (char expected : kPattern) {
        char c = 0;
        if (auto s = peek(c); s != Step::ok) return s;
        if (expected == '0') {
            if (c < '0' || c > '9') return fail(400, "invalid HTTP version");
            digits[digit_count++] = c - '0';
        } else if (c != expected) {
            return fail(400, "invalid HTTP version");
        }
        ++m_pos;
    }
    m_version_major = digits[0];
    m_out.version_minor = digits[1];
    return Step::ok;
}

RequestParser::Step RequestParser::parse_request_line() noexcept {
    const std::size_t line_begin = m_pos;
    set_limit(saturating_add(line_begin, m_limits.max_request_line), 414, "request line too long");
    if (auto s = parse_method(m_out.method); s != Step::ok) return s;

    const std::size_t target_begin = m_pos;
    char c = 0;
    if (auto s = skip_then_peek(kTarget, c); s != Step::ok) return s;
    if (m_pos == target_begin || c != ' ') return fail(400, "invalid request-target");
    m_out.target = slice(target_begin, m_pos);
    if (auto s = check_target_form(); s != Step::ok) return s;
    ++m_pos;

    if (auto s = parse_version(); s != Step::ok) return s;
    // The line terminator does not count towards max_request_line.
    set_limit(std::numeric_limits<std::size_t>::max(), 0, {});
    if (auto s = parse_end_of_line(); s != Step::ok) return s;
    // Only now, so that "HTTP/2.0garbage" is a 400 rather than a 505.
    if (m_version_major != 1) return fail(505, "HTTP version not supported");
    // A later 1.x is read as 1.1, the highest minor version this server implements (RFC 9110
    // 2.5); the response says HTTP/1.1.
    if (m_out.version_minor > 1) m_out.version_minor = 1;
    split_target();
    return Step::ok;
}

/// The four forms of request-target (RFC 9112 3.2): origin-form ("/path?query"), absolute-form
/// ("http://host/path"), asterisk-form ("*", OPTIONS only) and authority-form ("host:port",
/// CONNECT only). Anything else ("healthz") is a 400, not a path to look up.
RequestParser::Step RequestParser::check_target_form() noexcept {
    const std::string_view target = m_out.target;
    if (target.front() == '/') return Step::ok;
    if (target == "*") return m_out.method == "OPTIONS" ? Step::ok : fail(400, "'*' is a target for OPTIONS only");
    if (has_scheme(target)) return Step::ok;
    if (m_out.method == "CONNECT") return Step::ok;
    return fail(400, "invalid request-target");
}

/// path and query from the target; for absolute-form the path after "scheme://authority".
void RequestParser::split_target() noexcept {
    const std::string_view target = m_out.target;
    const std::size_t question = target.find('?');
    std::string_view path = target.substr(0, question);
    m_out.query = question == std::string_view::npos ? std::string_view{} : target.substr(question + 1);
    if (!path.empty() && path.front() != '/') {
        const std::size_t scheme_end = path.find("://");
        if (scheme_end != std::string_view::npos && scheme_end > 0) {
            const std::string_view rest = path.substr(scheme_end + 3);
            const std::size_t slash = rest.find('/');
            path = slash == std::string_view::npos ? std::string_view("/") : rest.substr(slash);
        }
    }
    m_out.path = path;
}

/// field-name ":" OWS field-value OWS, then the end of the line.
RequestParser::Step RequestParser::parse_field_line() noexcept {
    const std::size_t name_begin = m_pos;
    char c = 0;
    if (auto s = skip_then_peek(kToken, c); s != Step::ok) return s;
    if (is_ows(c) && m_pos > name_begin) return fail(400, "whitespace before colon in header");
    if (m_pos == name_begin || c != ':') return fail(400, "invalid header name");
    const std::string_view name = slice(name_begin, m_pos);
    ++m_pos;

    // The value runs to the end of the line; OWS on either side is not part of it.
    const std::size_t value_begin = m_pos;
    if (auto s = skip_then_peek(kValue, c); s != Step::ok) return s;
    if (c != '\r' && c != '\n') return fail(400, "invalid character in header value");
    const std::string_view value = trim_ows(slice(value_begin, m_pos));
    if (auto s = parse_end_of_line(); s != Step::ok) return s;
    m_out.headers[m_out.header_count++] = Header{name, value};
    return Step::ok;
}

RequestParser::Step RequestParser::parse_header_section() noexcept {
    set_limit(saturating_add(m_pos, m_limits.max_header_bytes), 431, "header section too large");
    const std::size_t max_headers = std::min(m_limits.max_headers, kMaxHeaders);
    for (;;) {
        char c = 0;
        if (auto s = peek(c); s != Step::ok) return s;
        if (c == '\r' || c == '\n') return parse_end_of_line();
        // obs-fold, or whitespace between the request line and the first field (RFC 9112 2.2,
        // 5.2): both are rejected rather than guessed at.
        if (is_ows(c)) return fail(400, "header line starts with whitespace (obsolete folding)");
        if (m_out.header_count == max_headers) return fail(431, "too many header fields");
        if (auto s = parse_field_line(); s != Step::ok) return s;
    }
}

/// Several Content-Length lines, or a list in one, are fine only if every value is the same.
RequestParser::Step RequestParser::merge_content_length(std::string_view value) noexcept {
    bool ok = true;
    for_each_element(value, [&](std::string_view element) {
        std::uint64_t length = 0;
        if (!parse_decimal(element, length)) {
            ok = false;
        } else if (m_out.content_length && *m_out.content_length != length) {
            ok = false;
        } else {
            m_out.content_length = length;
        }
        return ok;
    });
    return ok ? Step::ok : fail(400, "invalid or conflicting Content-Length");
}

/// The only transfer coding understood is chunked, applied once, last (RFC 9112 6.1, 6.3).
RequestParser::Step RequestParser::check_transfer_coding() noexcept {
    std::size_t codings = 0;
    std::size_t chunked = 0;
    bool last_is_chunked = false;
    for (const Header& h : m_out.fields()) {
        if (!token_is(h.name, "transfer-encoding")) continue;
        for_each_element(h.value, [&](std::string_view element) {
            const std::string_view coding = element_name(element);
            if (coding.empty()) return true;  // empty list elements are allowed (RFC 9110 5.6.1)
            ++codings;
            last_is_chunked = iequals(coding, "chunked");
            if (last_is_chunked) ++chunked;
            return true;
        });
    }
    if (codings == 0) return fail(400, "empty Transfer-Encoding");
    if (!last_is_chunked) return fail(400, "chunked is not the final transfer coding");
    if (chunked > 1) return fail(400, "chunked applied more than once");
    if (codings > chunked) return fail(501, "transfer coding not implemented");
    m_out.chunked = true;
    return Step::ok;
}

RequestParser::Step RequestParser::interpret_headers() noexcept {
    std::size_t hosts = 0;
    bool transfer_encoding = false;
    bool close = false;
    bool keep_alive = false;
    bool expect_continue = false;
    for (const Header& h : m_out.fields()) {
        // The length picks the one name worth comparing (most fields are none of these).
        switch (h.name.size()) {
            case 4:
                if (token_is(h.name, "host")) {
                    ++hosts;
                    if (!is_valid_host(h.value)) return fail(400, "invalid Host header");
                }
                break;
            case 14:
                if (token_is(h.name, "content-length")) {
                    if (auto s = merge_content_length(h.value); s != Step::ok) return s;
                }
                break;
            case 17:
                if (token_is(h.name, "transfer-encoding")) transfer_encoding = true;
                break;
            case 10:
                if (token_is(h.name, "connection")) {
                    for_each_element(h.value, [&](std::string_view element) {  // one pass for all three
                        const std::string_view option = element_name(element);
                        close = close || iequals(option, "close");
                        keep_alive = keep_alive || iequals(option, "keep-alive");
                        m_out.upgrade = m_out.upgrade || iequals(option, "upgrade");
                        return true;
                    });
                }
                break;
            case 6:
                if (token_is(h.name, "expect")) expect_continue = expect_continue || iequals(h.value, "100-continue");
                break;
            default:
                break;
        }
    }
    const bool http11 = m_out.version_minor == 1;
    if (hosts > 1) return fail(400, "more than one Host header");
    if (http11 && hosts == 0) return fail(400, "missing Host header");
    if (transfer_encoding) {
        // Both framings at once is the classic request-smuggling pattern (RFC 9112 6.3).
        if (m_out.content_length) return fail(400, "both Content-Length and Transfer-Encoding");
        if (!http11) return fail(400, "Transfer-Encoding in an HTTP/1.0 request");
        if (auto s = check_transfer_coding(); s != Step::ok) return s;
    }
    if (m_out.content_length && *m_out.content_length > m_limits.max_body) return fail(413, "body too large");
    m_out.keep_alive = http11 ? !close : (keep_alive && !close);
    m_out.expect_continue = http11 && expect_continue;
    return Step::ok;
}

ParseResult RequestParser::run() noexcept {
    m_out.header_count = 0;
    m_out.content_length.reset();
    m_out.chunked = m_out.upgrade = m_out.expect_continue = false;
    Step step = skip_empty_lines();
    if (step == Step::ok) step = parse_request_line();
    if (step == Step::ok) step = parse_header_section();
    if (step == Step::ok) step = interpret_headers();
    switch (step) {
        case Step::ok: return {ParseStatus::complete, m_pos, 0, {}};
        case Step::partial: return {ParseStatus::partial, 0, 0, {}};
        case Step::error: break;
    }
    return {ParseStatus::error, 0, m_status, m_reason};
}

}  // namespace

std::string_view Request::header(std::string_view name) const noexcept {
    for (const Header& h : fields()) {
        if (iequals(h.name, name)) return h.value;
    }
    return {};
}

ParseResult parse_request(std::string_view buffer, Request& out, const Limits& limits) noexcept {
    return RequestParser(buffer, out, limits).run();
}

bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (to_lower(a[i]) != to_lower(b[i])) return false;
    }
    return true;
}

bool has_token(std::string_view list, std::string_view token) noexcept {
    bool found = false;
    for_each_element(list, [&](std::string_view element) {
        found = iequals(element_name(element), token);
        return !found;
    });
    return found;
}

}  // namespace asyncio::http
