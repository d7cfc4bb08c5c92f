#include <asyncio/http/websocket_message.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

using asyncio::http::AssembleResult;
using asyncio::http::AssembleStatus;
using asyncio::http::Frame;
using asyncio::http::Message;
using asyncio::http::MessageAssembler;
using asyncio::http::Opcode;

namespace {

Frame make_frame(Opcode opcode, std::string payload, bool fin = true) {
    Frame f;
    f.opcode = opcode;
    f.fin = fin;
    f.payload = std::move(payload);
    return f;
}

TEST(MessageAssembler, SingleFrameMessages) {
    MessageAssembler assembler;
    Message msg;
    EXPECT_EQ(assembler.push(make_frame(Opcode::text, "Hello"), msg).status, AssembleStatus::message);
    EXPECT_EQ(msg.opcode, Opcode::text);
    EXPECT_EQ(msg.data, "Hello");
    EXPECT_EQ(assembler.push(make_frame(Opcode::binary, std::string("\xff\x00", 2)), msg).status,
              AssembleStatus::message);
    EXPECT_EQ(msg.opcode, Opcode::binary);
    EXPECT_EQ(msg.data, std::string("\xff\x00", 2));
}

TEST(MessageAssembler, RfcFragmentedHello) {
    MessageAssembler assembler;
    Message msg;
    EXPECT_EQ(assembler.push(make_frame(Opcode::text, "Hel", false), msg).status, AssembleStatus::incomplete);
    EXPECT_TRUE(assembler.in_message());
    EXPECT_EQ(assembler.push(make_frame(Opcode::continuation, "lo"), msg).status, AssembleStatus::message);
    EXPECT_FALSE(assembler.in_message());
    EXPECT_EQ(msg.opcode, Opcode::text);
    EXPECT_EQ(msg.data, "Hello");
}

TEST(MessageAssembler, ControlFramesMayArriveBetweenFragments) {
    MessageAssembler assembler;
    Message msg;
    ASSERT_EQ(assembler.push(make_frame(Opcode::binary, "ab", false), msg).status, AssembleStatus::incomplete);
    ASSERT_EQ(assembler.push(make_frame(Opcode::ping, "are you there"), msg).status, AssembleStatus::control);
    EXPECT_EQ(msg.opcode, Opcode::ping);
    EXPECT_EQ(msg.data, "are you there");
    ASSERT_EQ(assembler.push(make_frame(Opcode::continuation, "cd", false), msg).status, AssembleStatus::incomplete);
    ASSERT_EQ(assembler.push(make_frame(Opcode::pong, ""), msg).status, AssembleStatus::control);
    ASSERT_EQ(assembler.push(make_frame(Opcode::continuation, "ef"), msg).status, AssembleStatus::message);
    EXPECT_EQ(msg.opcode, Opcode::binary);
    EXPECT_EQ(msg.data, "abcdef");
}

TEST(MessageAssembler, EmptyFragments) {
    MessageAssembler assembler;
    Message msg;
    ASSERT_EQ(assembler.push(make_frame(Opcode::text, "", false), msg).status, AssembleStatus::incomplete);
    ASSERT_EQ(assembler.push(make_frame(Opcode::continuation, "", false), msg).status, AssembleStatus::incomplete);
    ASSERT_EQ(assembler.push(make_frame(Opcode::continuation, ""), msg).status, AssembleStatus::message);
    EXPECT_EQ(msg.data, "");
}

TEST(MessageAssembler, ContinuationWithoutMessageIs1002) {
    MessageAssembler assembler;
    Message msg;
    const AssembleResult r = assembler.push(make_frame(Opcode::continuation, "x"), msg);
    EXPECT_EQ(r.status, AssembleStatus::error);
    EXPECT_EQ(r.close_code, 1002);
}

TEST(MessageAssembler, NewMessageInsideFragmentedOneIs1002) {
    MessageAssembler assembler;
    Message msg;
    ASSERT_EQ(assembler.push(make_frame(Opcode::text, "a", false), msg).status, AssembleStatus::incomplete);
    const AssembleResult r = assembler.push(make_frame(Opcode::text, "b"), msg);
    EXPECT_EQ(r.status, AssembleStatus::error);
    EXPECT_EQ(r.close_code, 1002);
}

TEST(MessageAssembler, InvalidUtf8TextIs1007) {
    MessageAssembler assembler;
    Message msg;
    const AssembleResult r = assembler.push(make_frame(Opcode::text, "caf\xc3"), msg);
    EXPECT_EQ(r.status, AssembleStatus::error);
    EXPECT_EQ(r.close_code, 1007);
    // Binary data is not checked.
    EXPECT_EQ(assembler.push(make_frame(Opcode::binary, "caf\xc3"), msg).status, AssembleStatus::message);
}

TEST(MessageAssembler, CharacterSplitAcrossFragmentsIsValid) {
    MessageAssembler assembler;
    Message msg;
    // U+1F600 (F0 9F 98 80) cut in the middle.
    ASSERT_EQ(assembler.push(make_frame(Opcode::text, "smile \xf0\x9f", false), msg).status, AssembleStatus::incomplete);
    ASSERT_EQ(assembler.push(make_frame(Opcode::continuation, "\x98\x80"), msg).status, AssembleStatus::message);
    EXPECT_EQ(msg.data, "smile \xf0\x9f\x98\x80");
}

TEST(MessageAssembler, InvalidUtf8FailsAtTheFirstBadFragment) {
    MessageAssembler assembler;
    Message msg;
    const AssembleResult r = assembler.push(make_frame(Opcode::text, "ok \xed\xa0\x80", false), msg);  // surrogate
    EXPECT_EQ(r.status, AssembleStatus::error);
    EXPECT_EQ(r.close_code, 1007);
}

TEST(MessageAssembler, TextEndingInsideACharacterIs1007) {
    MessageAssembler assembler;
    Message msg;
    ASSERT_EQ(assembler.push(make_frame(Opcode::text, "a\xe2\x82", false), msg).status, AssembleStatus::incomplete);
    const AssembleResult r = assembler.push(make_frame(Opcode::continuation, ""), msg);
    EXPECT_EQ(r.status, AssembleStatus::error);
    EXPECT_EQ(r.close_code, 1007);
}

TEST(MessageAssembler, MessageOverTheLimitIs1009) {
    MessageAssembler assembler(10);
    Message msg;
    EXPECT_EQ(assembler.push(make_frame(Opcode::binary, std::string(10, 'x')), msg).status, AssembleStatus::message);
    EXPECT_EQ(assembler.push(make_frame(Opcode::binary, std::string(11, 'x')), msg).close_code, 1009);
    ASSERT_EQ(assembler.push(make_frame(Opcode::text, std::string(6, 'x'), false), msg).status,
              AssembleStatus::incomplete);
    const AssembleResult r = assembler.push(make_frame(Opcode::continuation, std::string(5, 'x')), msg);
    EXPECT_EQ(r.status, AssembleStatus::error);
    EXPECT_EQ(r.close_code, 1009);
}

TEST(MessageAssembler, CloseFramesAreValidated) {
    MessageAssembler assembler;
    Message msg;
    EXPECT_EQ(assembler.push(make_frame(Opcode::close, "\x03\xe8"), msg).status, AssembleStatus::control);
    EXPECT_EQ(msg.opcode, Opcode::close);
    EXPECT_EQ(assembler.push(make_frame(Opcode::close, ""), msg).status, AssembleStatus::control);
    EXPECT_EQ(assembler.push(make_frame(Opcode::close, "\x03"), msg).close_code, 1002);
    EXPECT_EQ(assembler.push(make_frame(Opcode::close, "\x03\xe8\xc0\xaf"), msg).close_code, 1007);
}

// ---- UTF-8 ----

struct Utf8Case {
    std::string_view text;
    bool valid;
};

TEST(Utf8, Table) {
    const Utf8Case cases[] = {
        {"", true},
        {"plain ascii", true},
        {"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", true},  // κόσμε
        {"\xc2\x80", true},                                     // U+0080
        {"\xef\xbf\xbf", true},                                 // U+FFFF
        {"\xf0\x90\x80\x80", true},                             // U+10000
        {"\xf4\x8f\xbf\xbf", true},                             // U+10FFFF
        {"\xed\x9f\xbf", true},                                 // U+D7FF, just below the surrogates
        {"\x80", false},                                        // continuation without lead
        {"\xc0\x80", false},                                    // overlong NUL
        {"\xc1\xbf", false},                                    // overlong
        {"\xe0\x80\xaf", false},                                // overlong '/'
        {"\xf0\x8f\xbf\xbf", false},                            // overlong U+FFFF
        {"\xed\xa0\x80", false},                                // U+D800 surrogate
        {"\xed\xbf\xbf", false},                                // U+DFFF surrogate
        {"\xf4\x90\x80\x80", false},                            // U+110000
        {"\xf5\x80\x80\x80", false},
        {"\xff", false},
        {"\xe2\x82", false},                                    // truncated
        {"\xe2\x28\xa1", false},                                // bad continuation
    };
    for (const Utf8Case& c : cases) {
        EXPECT_EQ(asyncio::http::is_valid_utf8(c.text), c.valid) << testing::PrintToString(std::string(c.text));
        // Byte by byte through the incremental validator gives the same verdict.
        asyncio::http::Utf8Validator v;
        bool ok = true;
        for (char ch : c.text) ok = v.feed(std::string_view(&ch, 1)) && ok;
        EXPECT_EQ(ok && v.complete(), c.valid);
    }
}

}  // namespace
