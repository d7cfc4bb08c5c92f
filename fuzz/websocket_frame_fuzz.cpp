// Fuzzes parse_frame and MessageAssembler on a stream of frames: no crash, no over-read; each
// complete frame re-encodes to a frame that parses back the same; every close code is one the
// contract names; every text message delivered is valid UTF-8.

#include <asyncio/http/websocket_frame.hpp>
#include <asyncio/http/websocket_message.hpp>

#include "fuzz_check.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

using namespace asyncio::http;

namespace {

void check_round_trip(const Frame& frame) {
    std::string wire;
    encode_frame(frame.opcode, frame.payload, frame.fin, wire);
    Frame back;
    const FrameResult r = parse_frame(wire, back, FrameLimits{kDefaultMaxFramePayload, false});
    FUZZ_CHECK(r.complete() && r.consumed == wire.size());
    FUZZ_CHECK(back.fin == frame.fin && back.opcode == frame.opcode && back.payload == frame.payload);
}

void check_message(const AssembleResult& r, const Message& msg) {
    if (r.status == AssembleStatus::error) {
        FUZZ_CHECK(r.close_code == 1002 || r.close_code == 1007 || r.close_code == 1009);
    } else if (r.status == AssembleStatus::message) {
        FUZZ_CHECK(msg.opcode == Opcode::text || msg.opcode == Opcode::binary);
        if (msg.opcode == Opcode::text) FUZZ_CHECK(is_valid_utf8(msg.data));
    } else if (r.status == AssembleStatus::control && msg.opcode == Opcode::close) {
        ClosePayload close;
        FUZZ_CHECK(parse_close_payload(msg.data, close) == 0);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    FrameLimits limits;
    limits.require_mask = (data[0] & 1) != 0;
    if (data[0] & 2) limits.max_payload = data[0];
    MessageAssembler assembler((data[0] & 4) ? 64 : kDefaultMaxMessage);
    std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
    Frame frame;
    Message msg;
    while (!rest.empty()) {
        const FrameResult r = parse_frame(rest, frame, limits);
        if (r.error()) {
            FUZZ_CHECK(r.close_code == 1002 || r.close_code == 1009);
            break;
        }
        if (r.partial()) {
            FUZZ_CHECK(r.consumed == 0);
            break;
        }
        FUZZ_CHECK(r.consumed >= 2 && r.consumed <= rest.size());
        FUZZ_CHECK(frame.payload.size() <= limits.max_payload);
        Frame scratch;  // a strict prefix of a complete frame is only partial
        FUZZ_CHECK(parse_frame(rest.substr(0, r.consumed - 1), scratch, limits).partial());
        check_round_trip(frame);
        rest.remove_prefix(r.consumed);
        const AssembleResult a = assembler.push(std::move(frame), msg);
        check_message(a, msg);
        if (a.status == AssembleStatus::error) break;
    }
    return 0;
}
