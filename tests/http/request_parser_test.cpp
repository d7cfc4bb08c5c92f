#include <asyncio/http/request_parser.hpp>

#include "http_test_util.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

using namespace std::string_view_literals;
using asyncio::http::Limits;
using asyncio::http::parse_request;
using asyncio::http::ParseResult;
using asyncio::http::ParseStatus;
using asyncio::http::Request;
using asyncio::http::test::ExactBuffer;

namespace {

/// One row of the table: the input, and what parse_request must say about it. For a complete
/// request, `consumed` is the whole input unless a later part belongs to the next request.
struct Case {
    const char* name;
    std::string_view input;
    ParseStatus status;
    int http_status = 0;  // error rows: the status; complete rows: 0
};

constexpr auto kComplete = ParseStatus::complete;
constexpr auto kError = ParseStatus::error;

const Case kCases[] = {
    // ---- valid requests ----
    {"SimpleGet", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", kComplete},
    {"Http10WithoutHost", "GET / HTTP/1.0\r\n\r\n", kComplete},
    {"BareLfLineEnds", "GET / HTTP/1.1\nHost: a\n\n", kComplete},
    {"MixedLineEnds", "GET / HTTP/1.1\r\nHost: a\n\r\n", kComplete},
    {"LeadingEmptyLinesSkipped", "\r\n\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", kComplete},
    {"ValueWhitespaceTrimmed", "GET / HTTP/1.1\r\nHost: a\r\nX-Name: \t a b \t\r\n\r\n", kComplete},
    {"EmptyValue", "GET / HTTP/1.1\r\nHost: a\r\nX-Empty:\r\n\r\n", kComplete},
    {"ObsTextInValue", "GET / HTTP/1.1\r\nHost: a\r\nX-Name: caf\xc3\xa9\r\n\r\n", kComplete},
    {"TokenPunctuationInMethodAndName", "M-S.E_A!RCH / HTTP/1.1\r\nHost: a\r\nX~#$%&'*+^`|: 1\r\n\r\n", kComplete},
    {"QueryString", "GET /api/history?n=10&x HTTP/1.1\r\nHost: a\r\n\r\n", kComplete},
    {"AsteriskForm", "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", kComplete},
    {"AbsoluteForm", "GET http://example.com/p?q HTTP/1.1\r\nHost: example.com\r\n\r\n", kComplete},
    {"AuthorityFormForConnect", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", kComplete},
    {"HostWithPort", "GET / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n", kComplete},
    {"HostIpv6Literal", "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", kComplete},
    {"HostPercentEncodedAndSubDelims", "GET / HTTP/1.1\r\nHost: a%2Db!$&'()*+;=.~_-\r\n\r\n", kComplete},
    {"HostEmpty", "GET / HTTP/1.1\r\nHost:\r\n\r\n", kComplete},
    {"ContentLength", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n", kComplete},
    {"ContentLengthRepeatedSame", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\n", kComplete},
    {"ContentLengthListSame", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 7, 7\r\n\r\n", kComplete},
    {"ContentLengthLeadingZeros", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 007\r\n\r\n", kComplete},
    {"Chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", kComplete},
    {"ChunkedAnyCaseWithEmptyElements", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: , CHUNKED\r\n\r\n", kComplete},

    // ---- request line ----
    {"EmptyMethod", " / HTTP/1.1\r\nHost: a\r\n\r\n", kError, 400},
    {"MethodWithSeparator", "GE(T / HTTP/1.1\r\nHost: a\r\n\r\n", kError, 400},
    {"MethodWithNul", "GE\0T / HTTP/1.1\r\nHost: a\r\n\r\n"sv, kError, 400},
    {"TlsHandshakeIsGarbage", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"sv, kError, 400},
    {"TwoSpacesAfterMethod", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", kError, 400},
    {"TabAsSeparator", "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", kError, 400},
    {"MissingVersion", "GET /\r\nHost: a\r\n\r\n", kError, 400},
    {"TargetInNoForm", "GET healthz HTTP/1.1\r\nHost: a\r\n\r\n", kError, 400},
    {"AsteriskWithGet", "GET * HTTP/1.1\r\nHost: a\r\n\r\n", kError, 400},
    {"SchemeWithoutSlashes", "GET http:x HTTP/1.1\r\nHost: a\r\n\r\n", kError, 400},
    {"Http09Style", "GET / \r\n\r\n", kError, 400},
    {"ControlInTarget", "GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n", kError, 400},
    {"RawUtf8InTarget", "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", kError, 400},
    {"LowercaseHttp", "GET / http/1.1\r\nHost: a\r\n\r\n", kError, 400},
    {"VersionWithoutMinor", "GET / HTTP/1\r\nHost: a\r\n\r\n", kError, 400},
    {"VersionTwoDigitMajor", "GET / HTTP/10.0\r\nHost: a\r\n\r\n", kError, 400},
    {"TrailingSpaceAfterVersion", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", kError, 400},
    {"BareCrEndsRequestLine", "GET / HTTP/1.1\rHost: a\r\n\r\n", kError, 400},
    {"Http20", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", kError, 505},
    {"Http12ReadAs11", "GET / HTTP/1.2\r\nHost: a\r\n\r\n", kComplete},
    {"Http19ReadAs11", "GET / HTTP/1.9\r\nHost: a\r\n\r\n", kComplete},
    {"Http09", "GET / HTTP/0.9\r\n\r\n", kError, 505},
    {"TooManyLeadingEmptyLines", "\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", kError, 400},

    // ---- header fields ----
    {"WhitespaceBeforeColon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", kError, 400},
    {"NoColon", "GET / HTTP/1.1\r\nHost: a\r\nX-Broken\r\n\r\n", kError, 400},
    {"EmptyHeaderName", "GET / HTTP/1.1\r\nHost: a\r\n: x\r\n\r\n", kError, 400},
    {"NonTokenHeaderName", "GET / HTTP/1.1\r\nHost: a\r\nX[1]: x\r\n\r\n", kError, 400},
    {"ObsFold", "GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n  continued\r\n\r\n", kError, 400},
    {"WhitespaceBeforeFirstHeader", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", kError, 400},
    {"NulInValue", "GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n"sv, kError, 400},
    {"ControlInValue", "GET / HTTP/1.1\r\nHost: a\r\nX: a\x1b[0m\r\n\r\n", kError, 400},
    {"DelInValue", "GET / HTTP/1.1\r\nHost: a\r\nX: a\x7f\r\n\r\n", kError, 400},
    {"BareCrInValue", "GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", kError, 400},
    {"BareCrAsEmptyLine", "GET / HTTP/1.1\r\nHost: a\r\n\rX", kError, 400},
    {"MissingHost", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", kError, 400},
    {"TwoHosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", kError, 400},
    {"TwoHostsAsAList", "GET / HTTP/1.1\r\nHost: a, b\r\n\r\n", kError, 400},
    {"HostWithSpaceSlashAndUserinfo", "GET / HTTP/1.1\r\nHost: a b/c@d\r\n\r\n", kError, 400},
    {"HostWithPath", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", kError, 400},
    {"HostWithBadPort", "GET / HTTP/1.1\r\nHost: a:8x\r\n\r\n", kError, 400},
    {"HostWithBadPercent", "GET / HTTP/1.1\r\nHost: a%4\r\n\r\n", kError, 400},
    {"HostUnclosedIpv6", "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", kError, 400},
    {"InvalidHostInHttp10", "GET / HTTP/1.0\r\nHost: a b\r\n\r\n", kError, 400},

    // ---- message framing (RFC 9112 6) ----
    {"ContentLengthNotDigits", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n", kError, 400},
    {"ContentLengthNegative", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", kError, 400},
    {"ContentLengthPlusSign", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n", kError, 400},
    {"ContentLengthEmpty", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", kError, 400},
    {"ContentLengthInnerSpace", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 2\r\n\r\n", kError, 400},
    {"ContentLengthTwoValues", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", kError, 400},
    {"ContentLengthListDiffers", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\n", kError, 400},
    {"ContentLengthEmptyElement", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5,\r\n\r\n", kError, 400},
    {"ContentLengthOverflow", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 18446744073709551616\r\n\r\n", kError, 400},
    {"ContentLengthTooLarge", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1048577\r\n\r\n", kError, 413},
    {"ContentLengthAndChunked", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", kError, 400},
    {"ChunkedNotFinal", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", kError, 400},
    {"OnlyGzip", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", kError, 400},
    {"ChunkedTwice", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", kError, 400},
    {"TransferEncodingEmpty", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n", kError, 400},
    {"ChunkedWithTrailingJunk", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunkedx\r\n\r\n", kError, 400},
    {"GzipThenChunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", kError, 501},
    {"TransferEncodingInHttp10", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", kError, 400},
};

/// Parses `bytes` from an exactly sized copy (so ASan sees any over-read).
ParseResult parse_exact(std::string_view bytes, Request& req, const Limits& limits = {}) {
    ExactBuffer buffer(bytes);
    return parse_request(buffer.view(), req, limits);
}

class RequestParserTable : public testing::TestWithParam<Case> {};

TEST_P(RequestParserTable, WholeInput) {
    const Case& c = GetParam();
    Request req;
    const ParseResult r = parse_exact(c.input, req);
    ASSERT_EQ(r.status, c.status) << r.reason;
    if (c.status == kComplete) {
        EXPECT_EQ(r.consumed, c.input.size());
    } else {
        EXPECT_EQ(r.http_status, c.http_status) << r.reason;
        EXPECT_FALSE(r.reason.empty());
    }
}

/// Fed a byte at a time: every strict prefix of a valid request is partial; an invalid one is
/// partial up to some byte and from there on the same error (errors are found early and never
/// taken back).
TEST_P(RequestParserTable, ByteByByte) {
    const Case& c = GetParam();
    bool failed = false;
    for (std::size_t n = 0; n < c.input.size(); ++n) {
        Request req;
        const ParseResult r = parse_exact(c.input.substr(0, n), req);
        if (c.status == kComplete) {
            EXPECT_EQ(r.status, ParseStatus::partial) << "prefix of " << n << " bytes: " << r.reason;
        } else if (r.status == kError) {
            EXPECT_EQ(r.http_status, c.http_status) << "prefix of " << n << " bytes: " << r.reason;
            failed = true;
        } else {
            EXPECT_EQ(r.status, ParseStatus::partial) << "prefix of " << n << " bytes";
            EXPECT_FALSE(failed) << "an error was taken back at prefix " << n;
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Cases, RequestParserTable, testing::ValuesIn(kCases),
                         [](const testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

// ---- what a complete parse fills in ----

TEST(RequestParser, FillsRequestLineAndHeaders) {
    const std::string_view input = "GET /api/sensor?unit=c HTTP/1.1\r\nHost: pi.local\r\nAccept:  */* \r\n\r\n";
    Request req;
    const ParseResult r = parse_request(input, req);
    ASSERT_TRUE(r.complete());
    EXPECT_EQ(req.method, "GET");
    EXPECT_EQ(req.target, "/api/sensor?unit=c");
    EXPECT_EQ(req.path, "/api/sensor");
    EXPECT_EQ(req.query, "unit=c");
    EXPECT_EQ(req.version_minor, 1);
    ASSERT_EQ(req.header_count, 2u);
    EXPECT_EQ(req.headers[0].name, "Host");
    EXPECT_EQ(req.headers[0].value, "pi.local");
    EXPECT_EQ(req.headers[1].value, "*/*");
    EXPECT_EQ(req.header("ACCEPT"), "*/*");
    EXPECT_EQ(req.header("missing"), "");
    EXPECT_FALSE(req.content_length.has_value());
    EXPECT_FALSE(req.chunked);
    // Views point into the input: zero-copy.
    EXPECT_EQ(req.method.data(), input.data());
}

TEST(RequestParser, LaterMinorVersionsAreReadAsHttp11) {
    // RFC 9110 2.5: a higher minor version is processed as the highest one implemented.
    Request req;
    ASSERT_TRUE(parse_request("GET / HTTP/1.2\r\nHost: a\r\nConnection: keep-alive\r\n\r\n", req).complete());
    EXPECT_EQ(req.version_minor, 1);
    EXPECT_TRUE(req.keep_alive);
    EXPECT_EQ(parse_request("GET / HTTP/1.2\r\n\r\n", req).http_status, 400) << "Host is required as in 1.1";
}

TEST(RequestParser, AbsoluteFormPathIsThePathPart) {
    Request req;
    ASSERT_TRUE(parse_request("GET http://h:8080/a/b?x=1 HTTP/1.1\r\nHost: h\r\n\r\n", req).complete());
    EXPECT_EQ(req.path, "/a/b");
    EXPECT_EQ(req.query, "x=1");
    ASSERT_TRUE(parse_request("GET http://h HTTP/1.1\r\nHost: h\r\n\r\n", req).complete());
    EXPECT_EQ(req.path, "/");
}

TEST(RequestParser, LeadingEmptyLinesCountInConsumed) {
    Request req;
    const ParseResult r = parse_request("\r\n\nGET / HTTP/1.0\r\n\r\n", req);
    ASSERT_TRUE(r.complete());
    EXPECT_EQ(r.consumed, 21u);
    EXPECT_EQ(req.method, "GET");
}

TEST(RequestParser, PipelinedRequestsConsumedPointsToTheSecond) {
    const std::string_view first = "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n";
    const std::string_view second = "GET /b HTTP/1.1\r\nHost: h\r\n\r\n";
    const std::string input = std::string(first) + "xyz" + std::string(second);
    Request req;
    ParseResult r = parse_request(input, req);
    ASSERT_TRUE(r.complete());
    EXPECT_EQ(r.consumed, first.size());
    EXPECT_EQ(req.content_length, 3u);
    const std::string_view rest = std::string_view(input).substr(r.consumed + *req.content_length);
    r = parse_request(rest, req);
    ASSERT_TRUE(r.complete());
    EXPECT_EQ(r.consumed, second.size());
    EXPECT_EQ(req.path, "/b");
}

TEST(RequestParser, ContentLengthAndChunkedFacts) {
    Request req;
    ASSERT_TRUE(parse_request("PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 1048576\r\n\r\n", req).complete());
    EXPECT_EQ(req.content_length, 1048576u);
    ASSERT_TRUE(parse_request("PUT / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", req).complete());
    EXPECT_TRUE(req.chunked);
    EXPECT_FALSE(req.content_length.has_value());
}

TEST(RequestParser, MaxBodyIsTunable) {
    Request req;
    Limits limits;
    limits.max_body = 10;
    const std::string_view input = "PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n";
    EXPECT_EQ(parse_request(input, req, limits).http_status, 413);
    limits.max_body = 11;
    EXPECT_TRUE(parse_request(input, req, limits).complete());
}

struct ConnectionCase {
    std::string_view input;
    bool keep_alive;
    bool expect_continue;
    bool upgrade;
};

TEST(RequestParser, KeepAliveExpectAndUpgrade) {
    const ConnectionCase cases[] = {
        {"GET / HTTP/1.1\r\nHost: a\r\n\r\n", true, false, false},
        {"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", false, false, false},
        {"GET / HTTP/1.1\r\nHost: a\r\nConnection: Keep-Alive, CLOSE\r\n\r\n", false, false, false},
        {"GET / HTTP/1.0\r\n\r\n", false, false, false},
        {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true, false, false},
        {"GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n", false, false, false},
        {"GET / HTTP/1.1\r\nHost: a\r\nConnection: closed\r\n\r\n", true, false, false},
        {"PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n", true, true, false},
        {"PUT / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n", false, false, false},
        {"GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\n", true, false, true},
    };
    for (const ConnectionCase& c : cases) {
        SCOPED_TRACE(c.input);
        Request req;
        ASSERT_TRUE(parse_request(c.input, req).complete());
        EXPECT_EQ(req.keep_alive, c.keep_alive);
        EXPECT_EQ(req.expect_continue, c.expect_continue);
        EXPECT_EQ(req.upgrade, c.upgrade);
    }
}

// ---- limits, including while the request is still arriving ----

std::string request_with_target_length(std::size_t target_length) {
    return "GET /" + std::string(target_length - 1, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n";
}

/// Which bytes RFC 9110/9112 allow in a request-target (visible ASCII) and in a field value
/// (VCHAR, obs-text, SP and HTAB): the parser scans both eight bytes at a time.
bool allowed_in_target(unsigned c) { return c >= 0x21 && c <= 0x7E; }
bool allowed_in_value(unsigned c) { return c == '\t' || (c >= 0x20 && c != 0x7F); }

TEST(RequestParser, EveryByteAtEveryPositionOfTargetAndValueIsJudgedByItsClass) {
    for (unsigned c = 0; c < 256; ++c) {
        for (std::size_t at = 0; at < 20; ++at) {
            std::string target = "/" + std::string(20, 'a');
            target[1 + at] = static_cast<char>(c);
            std::string value(20, 'v');
            value[at] = static_cast<char>(c);
            Request req;
            const ParseResult in_target = parse_exact("GET " + target + " HTTP/1.1\r\nHost: a\r\n\r\n", req);
            const ExactBuffer value_request("GET / HTTP/1.1\r\nHost: a\r\nX-V: " + value + "\r\n\r\n");
            const ParseResult in_value = parse_request(value_request.view(), req);  // req's views point here
            // A space ends the target early, and CR/LF or OWS at the value's edges are framing:
            // those bytes are judged by the tests of their own meaning.
            if (c != ' ') {
                EXPECT_EQ(in_target.complete(), allowed_in_target(c)) << "target byte " << c << " at " << at;
            }
            if (c != '\r' && c != '\n') {
                EXPECT_EQ(in_value.complete(), allowed_in_value(c)) << "value byte " << c << " at " << at;
            }
            if (in_value.complete() && allowed_in_value(c) && c != ' ' && c != '\t') {
                EXPECT_EQ(req.header("X-V"), value) << "value byte " << c << " at " << at;
            }
        }
    }
}

TEST(RequestParserLimits, RequestLineAtTheLimitIsAccepted) {
    Limits limits;
    limits.max_request_line = 64;
    const std::string ok = request_with_target_length(64 - 4 - 9);  // "GET " + target + " HTTP/1.1"
    Request req;
    EXPECT_TRUE(parse_request(ok, req, limits).complete());
    const std::string too_long = request_with_target_length(64 - 4 - 9 + 1);
    EXPECT_EQ(parse_request(too_long, req, limits).http_status, 414);
}

TEST(RequestParserLimits, LongRequestLineIsRefusedWhilePartial) {
    constexpr std::size_t kMax = asyncio::http::kDefaultMaxRequestLine;
    // Exactly the longest allowed line, its CRLF not yet received: still partial.
    const std::string longest = "GET /" + std::string(kMax - 5 - 9, 'a') + " HTTP/1.1";
    ASSERT_EQ(longest.size(), kMax);
    Request req;
    EXPECT_TRUE(parse_request(longest, req).partial());
    EXPECT_TRUE(parse_request(longest + "\r\nHost: a\r\n\r\n", req).complete());
    // A target that already fills the line cannot be completed within the limit: 414 now.
    const std::string partial = "GET /" + std::string(kMax, 'a');
    for (std::size_t n : {kMax, kMax + 5}) {
        const ParseResult r = parse_request(std::string_view(partial).substr(0, n), req);
        EXPECT_EQ(r.http_status, 414) << n;
    }
    EXPECT_TRUE(parse_request(std::string_view(partial).substr(0, 100), req).partial());
}

TEST(RequestParserLimits, LargeHeaderSectionIsRefusedWhilePartial) {
    const std::string partial = "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + std::string(9000, 'b');
    Request req;
    const ParseResult r = parse_request(partial, req);
    EXPECT_EQ(r.http_status, 431);
}

TEST(RequestParserLimits, HeaderSectionAtTheLimitIsAccepted) {
    Limits limits;
    limits.max_header_bytes = 32;
    // "Host: a\r\n" (9) + "X: " + value + "\r\n" (5 + n) + "\r\n" (2) == 32 when n == 16.
    const std::string ok = "GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(16, 'v') + "\r\n\r\n";
    Request req;
    EXPECT_TRUE(parse_request(ok, req, limits).complete());
    const std::string too_big = "GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(17, 'v') + "\r\n\r\n";
    EXPECT_EQ(parse_request(too_big, req, limits).http_status, 431);
}

std::string request_with_headers(std::size_t count) {
    std::string s = "GET / HTTP/1.1\r\nHost: a\r\n";
    for (std::size_t i = 1; i < count; ++i) s += "X-" + std::to_string(i) + ": v\r\n";
    return s + "\r\n";
}

TEST(RequestParserLimits, HeaderCount) {
    Request req;
    const std::string full = request_with_headers(asyncio::http::kMaxHeaders);
    ASSERT_TRUE(parse_request(full, req).complete());
    EXPECT_EQ(req.header_count, asyncio::http::kMaxHeaders);
    EXPECT_EQ(parse_request(request_with_headers(asyncio::http::kMaxHeaders + 1), req).http_status, 431);

    Limits limits;
    limits.max_headers = 3;
    EXPECT_TRUE(parse_request(request_with_headers(3), req, limits).complete());
    // Refused as soon as the fourth field line starts, without waiting for the end.
    const std::string four = request_with_headers(4);
    const ParseResult r = parse_request(std::string_view(four).substr(0, four.size() - 8), req, limits);
    EXPECT_EQ(r.http_status, 431);
    // A limit above the array's capacity is capped rather than overflowing it.
    limits.max_headers = 1000;
    EXPECT_EQ(parse_request(request_with_headers(asyncio::http::kMaxHeaders + 1), req, limits).http_status, 431);
}

TEST(RequestParser, RealBrowserRequest) {
    const std::string_view input =
        "GET /api/history HTTP/1.1\r\n"
        "Host: 192.168.1.20:8080\r\n"
        "Connection: keep-alive\r\n"
        "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36\r\n"
        "Accept: application/json, text/plain, */*\r\n"
        "Referer: http://192.168.1.20:8080/\r\n"
        "Accept-Encoding: gzip, deflate\r\n"
        "Accept-Language: en-GB,en;q=0.9,fr;q=0.8\r\n"
        "Cookie: a=b; c=\"d e\"\r\n"
        "\r\n";
    Request req;
    const ParseResult r = parse_request(input, req);
    ASSERT_TRUE(r.complete());
    EXPECT_EQ(r.consumed, input.size());
    EXPECT_EQ(req.header_count, 8u);
    EXPECT_TRUE(req.keep_alive);
    for (std::size_t n = 0; n < input.size(); ++n) {
        ASSERT_TRUE(parse_exact(input.substr(0, n), req).partial()) << n;
    }
}

TEST(RequestParser, TokenHelpers) {
    EXPECT_TRUE(asyncio::http::iequals("Content-Length", "content-LENGTH"));
    EXPECT_FALSE(asyncio::http::iequals("Host", "Hos"));
    EXPECT_TRUE(asyncio::http::has_token("keep-alive, Upgrade", "upgrade"));
    EXPECT_TRUE(asyncio::http::has_token(" a ;q=1 ,b", "a"));
    EXPECT_FALSE(asyncio::http::has_token("upgrades", "upgrade"));
    EXPECT_FALSE(asyncio::http::has_token("", "close"));
}

}  // namespace
