#include <asyncio/http/chunked_decoder.hpp>

#include "http_test_util.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>
#include <string_view>

using namespace std::string_view_literals;
using asyncio::http::ChunkedDecoder;
using asyncio::http::ParseResult;
using asyncio::http::ParseStatus;
using asyncio::http::test::ExactBuffer;

namespace {

constexpr std::uint64_t kMiB = 1024 * 1024;

/// One row: a chunked body (maybe followed by the next request), what feed must report, the
/// decoded body, and for complete rows how many bytes belong to the body.
struct Case {
    const char* name;
    std::string_view input;
    ParseStatus status;
    int http_status = 0;
    std::string_view body = {};
    std::size_t consumed = std::string_view::npos;  // npos: the whole input
    std::uint64_t max_body = kMiB;
};

constexpr auto kComplete = ParseStatus::complete;
constexpr auto kError = ParseStatus::error;

const Case kCases[] = {
    {"OneChunk", "5\r\nhello\r\n0\r\n\r\n", kComplete, 0, "hello"},
    {"TwoChunks", "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", kComplete, 0, "hello world"},
    {"EmptyBody", "0\r\n\r\n", kComplete, 0, ""},
    {"HexDigitsBothCases", "a\r\n0123456789\r\nB\r\nabcdefghijk\r\n0\r\n\r\n", kComplete, 0, "0123456789abcdefghijk"},
    {"LeadingZeros", "0005\r\nhello\r\n000\r\n\r\n", kComplete, 0, "hello"},
    {"ExtensionsIgnored", "5;name=value;q=\"x y\"\r\nhello\r\n0;last\r\n\r\n", kComplete, 0, "hello"},
    {"WhitespaceBeforeExtension", "5 \t;a=b\r\nhello\r\n0\r\n\r\n", kComplete, 0, "hello"},
    {"WhitespaceAfterSize", "5 \r\nhello\r\n0\r\n\r\n", kComplete, 0, "hello"},
    {"TrailersSkipped", "5\r\nhello\r\n0\r\nX-Checksum: abc\r\nY: 2\r\n\r\n", kComplete, 0, "hello"},
    {"BinaryData", "3\r\n\0\r\n\r\n0\r\n\r\n"sv, kComplete, 0, "\0\r\n"sv},
    {"NextRequestFollows", "1\r\nx\r\n0\r\n\r\nGET / HTTP/1.1\r\n", kComplete, 0, "x", 11},
    {"BodyAtTheLimit", "5\r\nhello\r\n0\r\n\r\n", kComplete, 0, "hello", std::string_view::npos, 5},

    {"EmptySizeLine", "\r\nhello\r\n", kError, 400},
    {"SizeNotHex", "x\r\n", kError, 400},
    {"NegativeSize", "-1\r\n", kError, 400},
    {"HexPrefix", "0x5\r\nhello\r\n", kError, 400},
    {"SpaceBeforeSize", " 5\r\nhello\r\n", kError, 400},
    {"GarbageAfterSize", "5 x\r\nhello\r\n", kError, 400},
    {"BareLfAfterSize", "5\nhello\r\n0\r\n\r\n", kError, 400},
    {"BareCrAfterSize", "5\rhello\r\n0\r\n\r\n", kError, 400},
    {"DataLongerThanSize", "5\r\nhello!\r\n0\r\n\r\n", kError, 400},
    {"BareLfAfterData", "5\r\nhello\n0\r\n\r\n", kError, 400},
    {"ControlInExtension", "5;a\x01\r\nhello\r\n", kError, 400},
    {"LfInExtension", "5;a\nb\r\nhello\r\n", kError, 400},
    {"SizeOverflow", "10000000000000000\r\n", kError, 400},
    {"HugeSizeTooLarge", "FFFFFFFFFFFFFFFF\r\n", kError, 413},
    {"ChunkOverLimit", "6\r\nhello!\r\n0\r\n\r\n", kError, 413, {}, 0, 5},
    {"SumOverLimit", "3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n", kError, 413, {}, 0, 5},
    {"TrailerBareLf", "0\r\nX: 1\n\r\n", kError, 400},
    {"TrailerObsFold", "0\r\nX: 1\r\n folded\r\n\r\n", kError, 400},
    {"TrailerControl", "0\r\nX: \x02\r\n\r\n", kError, 400},
    {"FinalCrWithoutLf", "0\r\n\rX", kError, 400},
    {"FinalBareLf", "0\r\n\n", kError, 400},
};

/// Feeds `pieces` in order (each from an exactly sized buffer) until complete or error.
/// Returns the last result, with `consumed` summed over all feeds.
ParseResult feed_pieces(ChunkedDecoder& decoder, std::string& body, const std::vector<std::string_view>& pieces,
                        std::uint64_t max_body) {
    ParseResult last;
    std::size_t total = 0;
    for (std::string_view piece : pieces) {
        ExactBuffer buffer(piece);
        last = decoder.feed(buffer.view(), body, max_body);
        if (last.status != ParseStatus::error) total += last.consumed;
        if (last.status == ParseStatus::error) return last;
        if (last.status == ParseStatus::complete) break;
        EXPECT_EQ(last.consumed, piece.size()) << "partial must consume everything it was given";
    }
    last.consumed = total;
    return last;
}

void check_outcome(const Case& c, const ParseResult& r, const std::string& body) {
    ASSERT_EQ(r.status, c.status) << r.reason;
    if (c.status == kComplete) {
        EXPECT_EQ(body, c.body);
        EXPECT_EQ(r.consumed, c.consumed == std::string_view::npos ? c.input.size() : c.consumed);
    } else {
        EXPECT_EQ(r.http_status, c.http_status) << r.reason;
        EXPECT_FALSE(r.reason.empty());
    }
}

class ChunkedTable : public testing::TestWithParam<Case> {};

TEST_P(ChunkedTable, AtOnce) {
    const Case& c = GetParam();
    ChunkedDecoder decoder;
    std::string body;
    check_outcome(c, feed_pieces(decoder, body, {c.input}, c.max_body), body);
}

TEST_P(ChunkedTable, PerByte) {
    const Case& c = GetParam();
    std::vector<std::string_view> bytes;
    for (std::size_t i = 0; i < c.input.size(); ++i) bytes.push_back(c.input.substr(i, 1));
    ChunkedDecoder decoder;
    std::string body;
    check_outcome(c, feed_pieces(decoder, body, bytes, c.max_body), body);
}

TEST_P(ChunkedTable, EverySplitInTwo) {
    const Case& c = GetParam();
    for (std::size_t split = 0; split <= c.input.size(); ++split) {
        SCOPED_TRACE(split);
        ChunkedDecoder decoder;
        std::string body;
        check_outcome(c, feed_pieces(decoder, body, {c.input.substr(0, split), c.input.substr(split)}, c.max_body),
                      body);
    }
}

INSTANTIATE_TEST_SUITE_P(Cases, ChunkedTable, testing::ValuesIn(kCases),
                         [](const testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

TEST(ChunkedDecoder, BodyIsAppendedAndSizeTracked) {
    ChunkedDecoder decoder;
    std::string body = "prefix:";
    const ParseResult r = decoder.feed("3\r\nabc\r\n0\r\n\r\n", body, kMiB);
    ASSERT_TRUE(r.complete());
    EXPECT_EQ(body, "prefix:abc");
    EXPECT_EQ(decoder.body_size(), 3u);
    EXPECT_TRUE(decoder.done());
}

TEST(ChunkedDecoder, StaysCompleteOrFailedUntilReset) {
    ChunkedDecoder decoder;
    std::string body;
    ASSERT_TRUE(decoder.feed("0\r\n\r\n", body, kMiB).complete());
    ParseResult r = decoder.feed("5\r\nhello", body, kMiB);
    EXPECT_TRUE(r.complete());
    EXPECT_EQ(r.consumed, 0u);

    decoder.reset();
    EXPECT_TRUE(decoder.feed("zz", body, kMiB).error());
    r = decoder.feed("0\r\n\r\n", body, kMiB);
    EXPECT_TRUE(r.error());
    EXPECT_EQ(r.http_status, 400);
    decoder.reset();
    EXPECT_TRUE(decoder.feed("0\r\n\r\n", body, kMiB).complete());
}

TEST(ChunkedDecoder, TooLargeIsRefusedBeforeTheDataArrives) {
    ChunkedDecoder decoder;
    std::string body;
    const ParseResult r = decoder.feed("100000\r\n", body, kMiB - 1);
    EXPECT_EQ(r.http_status, 413);
    EXPECT_TRUE(body.empty());
}

TEST(ChunkedDecoder, LongSizeLineIsRefusedWhilePartial) {
    ChunkedDecoder decoder;
    std::string body;
    const std::string line = "5;" + std::string(asyncio::http::kMaxChunkLine, 'e');
    const ParseResult r = decoder.feed(line, body, kMiB);
    EXPECT_TRUE(r.error());
    EXPECT_EQ(r.http_status, 400);
    ChunkedDecoder ok;
    EXPECT_TRUE(ok.feed(std::string_view(line).substr(0, asyncio::http::kMaxChunkLine), body, kMiB).partial());
}

TEST(ChunkedDecoder, LargeTrailersAreRefused) {
    ChunkedDecoder decoder;
    std::string body;
    const std::string trailers = "0\r\nX: " + std::string(asyncio::http::kMaxTrailerBytes, 't');
    EXPECT_EQ(decoder.feed(trailers, body, kMiB).http_status, 431);
}

TEST(ChunkedDecoder, LargeChunkInPieces) {
    const std::string data(100000, 'd');
    char size_line[32];
    std::snprintf(size_line, sizeof size_line, "%zx\r\n", data.size());
    const std::string input = size_line + data + "\r\n0\r\n\r\n";
    ChunkedDecoder decoder;
    std::string body;
    ParseResult r;
    for (std::size_t at = 0; at < input.size(); at += 4096) {
        r = decoder.feed(std::string_view(input).substr(at, 4096), body, kMiB);
        if (!r.partial()) break;
    }
    ASSERT_TRUE(r.complete());
    EXPECT_EQ(body, data);
}

}  // namespace
