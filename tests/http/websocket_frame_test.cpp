#include <asyncio/http/websocket_frame.hpp>

#include "http_test_util.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

using namespace std::string_literals;
using namespace std::string_view_literals;
using asyncio::http::ClosePayload;
using asyncio::http::encode_frame;
using asyncio::http::encode_masked_frame;
using asyncio::http::Frame;
using asyncio::http::FrameLimits;
using asyncio::http::FrameResult;
using asyncio::http::Opcode;
using asyncio::http::parse_frame;
using asyncio::http::ParseStatus;
using asyncio::http::test::ExactBuffer;

namespace {

constexpr FrameLimits kServer{};                               // clients must mask
constexpr FrameLimits kAnyMask{asyncio::http::kDefaultMaxFramePayload, false};

std::string repeat(char c, std::size_t n) { return std::string(n, c); }

/// RFC 6455 5.7: 256 and 65536 bytes of binary data in one unmasked frame.
std::string binary_256() { return "\x82\x7e\x01\x00"s + repeat('\x5a', 256); }
std::string binary_64k() { return "\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00"s + repeat('\x5a', 65536); }

struct Case {
    const char* name;
    std::string input;
    FrameLimits limits;
    ParseStatus status;
    std::uint16_t close_code = 0;  // error rows
    bool fin = true;               // complete rows:
    Opcode opcode = Opcode::text;
    std::string payload = {};
};

constexpr auto kComplete = ParseStatus::complete;
constexpr auto kError = ParseStatus::error;

const std::vector<Case>& cases() {
    static const std::vector<Case> table = {
        // ---- RFC 6455 5.7 examples ----
        {"UnmaskedHello", "\x81\x05Hello", kAnyMask, kComplete, 0, true, Opcode::text, "Hello"},
        {"MaskedHello", "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", kServer, kComplete, 0, true, Opcode::text, "Hello"},
        {"FirstFragmentHel", "\x01\x03Hel", kAnyMask, kComplete, 0, false, Opcode::text, "Hel"},
        {"LastFragmentLo", "\x80\x02lo", kAnyMask, kComplete, 0, true, Opcode::continuation, "lo"},
        {"UnmaskedPing", "\x89\x05Hello", kAnyMask, kComplete, 0, true, Opcode::ping, "Hello"},
        {"MaskedPong", "\x8a\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", kServer, kComplete, 0, true, Opcode::pong, "Hello"},
        {"Binary256", binary_256(), kAnyMask, kComplete, 0, true, Opcode::binary, repeat('\x5a', 256)},
        {"Binary64k", binary_64k(), kAnyMask, kComplete, 0, true, Opcode::binary, repeat('\x5a', 65536)},
        // ---- other valid frames ----
        {"EmptyMaskedClose", "\x88\x80\x01\x02\x03\x04"s, kServer, kComplete, 0, true, Opcode::close, ""},
        {"Control125Bytes", "\x89\x7d"s + repeat('p', 125), kAnyMask, kComplete, 0, true, Opcode::ping, repeat('p', 125)},
        // ---- protocol errors (1002) ----
        {"UnmaskedFromClient", "\x81\x05Hello", kServer, kError, 1002},
        {"Rsv1Set", "\xc1\x05Hello", kAnyMask, kError, 1002},
        {"Rsv3Set", "\x91\x05Hello", kAnyMask, kError, 1002},
        {"ReservedDataOpcode", "\x83\x00"s, kAnyMask, kError, 1002},
        {"ReservedControlOpcode", "\x8b\x00"s, kAnyMask, kError, 1002},
        {"FragmentedPing", "\x09\x00"s, kAnyMask, kError, 1002},
        {"Control126Bytes", "\x89\x7e\x00\x7e"s + repeat('p', 126), kAnyMask, kError, 1002},
        {"LengthTopBitSet", "\x82\x7f\x80\x00\x00\x00\x00\x00\x00\x01"s, kAnyMask, kError, 1002},
        // ---- too big (1009) ----
        {"TooBig", "\x82\x7f\x00\x00\x00\x01\x00\x00\x00\x00"s, kAnyMask, kError, 1009},
        {"JustOverTheLimit", "\x82\xff\x00\x00\x00\x00\x00\x10\x00\x01"s, kServer, kError, 1009},
    };
    return table;
}

class FrameTable : public testing::TestWithParam<Case> {};

TEST_P(FrameTable, WholeInput) {
    const Case& c = GetParam();
    Frame frame;
    ExactBuffer buffer(c.input);
    const FrameResult r = parse_frame(buffer.view(), frame, c.limits);
    ASSERT_EQ(r.status, c.status) << r.reason;
    if (c.status == kComplete) {
        EXPECT_EQ(r.consumed, c.input.size());
        EXPECT_EQ(frame.fin, c.fin);
        EXPECT_EQ(frame.opcode, c.opcode);
        EXPECT_EQ(frame.payload, c.payload);
    } else {
        EXPECT_EQ(r.close_code, c.close_code) << r.reason;
        EXPECT_LE(r.reason.size(), 123u);  // fits in a close frame
    }
}

TEST_P(FrameTable, EveryPrefix) {
    const Case& c = GetParam();
    bool failed = false;
    // Every prefix of the first bytes (all the header cases), then a sample of the rest so the
    // 64 KiB example stays fast under ASan.
    for (std::size_t n = 0; n < c.input.size(); n += n < 300 ? 1 : 997) {
        Frame frame;
        ExactBuffer buffer(std::string_view(c.input).substr(0, n));
        const FrameResult r = parse_frame(buffer.view(), frame, c.limits);
        if (c.status == kComplete) {
            ASSERT_TRUE(r.partial()) << "prefix of " << n << " bytes";
        } else if (r.error()) {
            ASSERT_EQ(r.close_code, c.close_code);
            failed = true;
        } else {
            ASSERT_TRUE(r.partial());
            ASSERT_FALSE(failed) << "error taken back at " << n;
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Cases, FrameTable, testing::ValuesIn(cases()),
                         [](const testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

TEST(WebSocketFrame, TooBigIsReportedBeforeThePayloadArrives) {
    Frame frame;
    FrameLimits limits;
    limits.max_payload = 1000;
    // Masked header announcing 1001 bytes; no payload yet.
    const FrameResult r = parse_frame("\x82\xfe\x03\xe9"sv, frame, limits);
    EXPECT_TRUE(r.error());
    EXPECT_EQ(r.close_code, asyncio::http::kCloseMessageTooBig);
    EXPECT_TRUE(parse_frame("\x82\xfe\x03\xe8"sv, frame, limits).partial());
}

TEST(WebSocketFrame, ConsumedStopsAtTheFrameEnd) {
    Frame frame;
    const std::string two = "\x81\x02hi\x82\x01!";
    const FrameResult r = parse_frame(two, frame, kAnyMask);
    ASSERT_TRUE(r.complete());
    EXPECT_EQ(r.consumed, 4u);
    ASSERT_TRUE(parse_frame(std::string_view(two).substr(r.consumed), frame, kAnyMask).complete());
    EXPECT_EQ(frame.opcode, Opcode::binary);
    EXPECT_EQ(frame.payload, "!");
}

TEST(WebSocketFrame, EncodeMatchesRfcExamples) {
    std::string out;
    encode_frame(Opcode::text, "Hello", true, out);
    EXPECT_EQ(out, "\x81\x05Hello");
    out.clear();
    encode_masked_frame(Opcode::text, "Hello", true, {0x37, 0xfa, 0x21, 0x3d}, out);
    EXPECT_EQ(out, "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58");
    out.clear();
    encode_frame(Opcode::text, "Hel", false, out);
    encode_frame(Opcode::continuation, "lo", true, out);
    EXPECT_EQ(out, "\x01\x03Hel\x80\x02lo");
    out.clear();
    encode_frame(Opcode::binary, repeat('\x5a', 256), true, out);
    EXPECT_EQ(out, binary_256());
    out.clear();
    encode_frame(Opcode::binary, repeat('\x5a', 65536), true, out);
    EXPECT_EQ(out, binary_64k());
}

TEST(WebSocketFrame, EncodeParseRoundTripAtLengthBoundaries) {
    for (std::size_t size : {0u, 1u, 125u, 126u, 127u, 65535u, 65536u, 70000u}) {
        SCOPED_TRACE(size);
        std::string payload(size, '\0');
        for (std::size_t i = 0; i < size; ++i) payload[i] = static_cast<char>(i * 7);
        for (bool masked : {false, true}) {
            std::string wire;
            if (masked) {
                encode_masked_frame(Opcode::binary, payload, true, {1, 2, 3, 250}, wire);
            } else {
                encode_frame(Opcode::binary, payload, true, wire);
            }
            Frame frame;
            const FrameResult r = parse_frame(wire, frame, kAnyMask);
            ASSERT_TRUE(r.complete());
            EXPECT_EQ(r.consumed, wire.size());
            EXPECT_EQ(frame.masked, masked);
            EXPECT_EQ(frame.payload, payload);
        }
    }
}

// ---- close payloads ----

TEST(WebSocketClose, EncodeAndParse) {
    std::string payload;
    asyncio::http::encode_close_payload(asyncio::http::kCloseNormal, "bye", payload);
    EXPECT_EQ(payload, "\x03\xe8" "bye");
    ClosePayload close;
    ASSERT_EQ(asyncio::http::parse_close_payload(payload, close), 0);
    EXPECT_EQ(close.code, 1000);
    EXPECT_EQ(close.reason, "bye");

    std::string frame;
    asyncio::http::encode_close_frame(1001, "", frame);
    EXPECT_EQ(frame, "\x88\x02\x03\xe9");
}

TEST(WebSocketClose, EmptyPayloadMeansNoStatus) {
    ClosePayload close;
    EXPECT_EQ(asyncio::http::parse_close_payload("", close), 0);
    EXPECT_EQ(close.code, asyncio::http::kCloseNoStatus);
}

TEST(WebSocketClose, InvalidPayloads) {
    ClosePayload close;
    EXPECT_EQ(asyncio::http::parse_close_payload("\x03", close), 1002);           // one byte
    EXPECT_EQ(asyncio::http::parse_close_payload("\x03\xed", close), 1002);       // 1005 is never sent
    EXPECT_EQ(asyncio::http::parse_close_payload("\x03\xe7", close), 1002);       // 999
    EXPECT_EQ(asyncio::http::parse_close_payload("\x0b\xb7", close), 1002);       // 2999
    EXPECT_EQ(asyncio::http::parse_close_payload("\x13\x88", close), 1002);       // 5000
    EXPECT_EQ(asyncio::http::parse_close_payload("\x03\xe8\xff", close), 1007);   // reason not UTF-8
    EXPECT_EQ(asyncio::http::parse_close_payload("\x0f\xa0", close), 0);          // 4000, private use
}

TEST(WebSocketClose, ValidCodes) {
    for (int code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999}) {
        EXPECT_TRUE(asyncio::http::is_valid_close_code(static_cast<std::uint16_t>(code))) << code;
    }
    for (int code : {0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535}) {
        EXPECT_FALSE(asyncio::http::is_valid_close_code(static_cast<std::uint16_t>(code))) << code;
    }
}

TEST(WebSocketClose, LongReasonIsCutAtACharacterBoundary) {
    // 61 two-byte characters (122 bytes) then one more: the limit of 123 falls inside it.
    std::string reason;
    for (int i = 0; i < 62; ++i) reason += "\xc3\xa9";
    std::string payload;
    asyncio::http::encode_close_payload(1000, reason, payload);
    EXPECT_EQ(payload.size(), 2u + 122u);
    ClosePayload close;
    EXPECT_EQ(asyncio::http::parse_close_payload(payload, close), 0);

    std::string frame;
    asyncio::http::encode_close_frame(1000, std::string(300, 'x'), frame);
    EXPECT_EQ(frame.size(), 2u + 125u);
}

}  // namespace
