#include <asyncio/http/websocket_frame.hpp>

#include <asyncio/http/detail/utf8.hpp>

#include <cassert>

namespace asyncio::http {
namespace {

constexpr std::uint8_t kFinBit = 0x80;
constexpr std::uint8_t kReservedBits = 0x70;  // RSV1-3: no extension is negotiated, so all must be 0
constexpr std::uint8_t kOpcodeBits = 0x0F;
constexpr std::uint8_t kMaskBit = 0x80;
constexpr std::uint8_t kLength16 = 126;  // 7-bit length values announcing an extended length
constexpr std::uint8_t kLength64 = 127;

bool is_known_opcode(std::uint8_t op) noexcept {
    return op <= 0x2 || (op >= 0x8 && op <= 0xA);
}

FrameResult frame_error(std::uint16_t code, std::string_view reason) noexcept {
    return FrameResult{ParseStatus::error, 0, code, reason};
}

constexpr FrameResult kPartial{ParseStatus::partial, 0, 0, {}};

/// Big-endian unsigned integer of `count` bytes starting at `p`.
std::uint64_t load_be(std::string_view bytes, std::size_t at, std::size_t count) noexcept {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < count; ++i) value = (value << 8) | static_cast<std::uint8_t>(bytes[at + i]);
    return value;
}

/// Checks the first byte; fin and opcode are only stored once the frame is complete.
FrameResult check_first_byte(std::uint8_t b0) noexcept {
    if (b0 & kReservedBits) return frame_error(kCloseProtocolError, "reserved bits set");
    const std::uint8_t op = b0 & kOpcodeBits;
    if (!is_known_opcode(op)) return frame_error(kCloseProtocolError, "reserved opcode");
    if (is_control(static_cast<Opcode>(op)) && !(b0 & kFinBit)) {
        return frame_error(kCloseProtocolError, "fragmented control frame");
    }
    return kPartial;
}

void append_header(Opcode opcode, std::uint64_t length, bool fin, bool masked, std::string& out) {
    assert(!is_control(opcode) || (fin && length <= kMaxControlPayload));
    out += static_cast<char>((fin ? kFinBit : 0) | static_cast<std::uint8_t>(opcode));
    const std::uint8_t mask = masked ? kMaskBit : 0;
    std::size_t length_bytes = 0;
    if (length < kLength16) {
        out += static_cast<char>(mask | length);
    } else if (length <= 0xFFFF) {
        out += static_cast<char>(mask | kLength16);
        length_bytes = 2;
    } else {
        out += static_cast<char>(mask | kLength64);
        length_bytes = 8;
    }
    for (std::size_t i = length_bytes; i > 0; --i) out += static_cast<char>(length >> (8 * (i - 1)));
}

}  // namespace

FrameResult parse_frame(std::string_view buffer, Frame& out, const FrameLimits& limits) {
    if (buffer.empty()) return kPartial;
    const auto b0 = static_cast<std::uint8_t>(buffer[0]);
    if (FrameResult r = check_first_byte(b0); r.error()) return r;
    if (buffer.size() < 2) return kPartial;

    const auto b1 = static_cast<std::uint8_t>(buffer[1]);
    const bool masked = (b1 & kMaskBit) != 0;
    const auto opcode = static_cast<Opcode>(b0 & kOpcodeBits);
    std::uint64_t length = b1 & 0x7F;
    if (limits.require_mask && !masked) return frame_error(kCloseProtocolError, "frame not masked");
    if (is_control(opcode) && length > kMaxControlPayload) {
        return frame_error(kCloseProtocolError, "control frame too long");
    }

    std::size_t header = 2;
    if (length == kLength16 || length == kLength64) {
        const std::size_t length_bytes = length == kLength16 ? 2 : 8;
        if (buffer.size() < header + length_bytes) return kPartial;
        length = load_be(buffer, header, length_bytes);
        header += length_bytes;
        if (length >> 63) return frame_error(kCloseProtocolError, "payload length has its top bit set");
    }
    if (length > limits.max_payload) return frame_error(kCloseMessageTooBig, "frame too big");

    std::array<std::uint8_t, 4> key{};
    if (masked) {
        if (buffer.size() < header + key.size()) return kPartial;
        for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(buffer[header + i]);
        header += key.size();
    }
    if (buffer.size() - header < length) return kPartial;

    const auto size = static_cast<std::size_t>(length);  // fits: it is inside the buffer
    out.fin = (b0 & kFinBit) != 0;
    out.opcode = opcode;
    out.masked = masked;
    out.payload.assign(buffer.data() + header, size);
    if (masked) {
        for (std::size_t i = 0; i < size; ++i) out.payload[i] = static_cast<char>(out.payload[i] ^ key[i & 3]);
    }
    return FrameResult{ParseStatus::complete, header + size, 0, {}};
}

void encode_frame(Opcode opcode, std::string_view payload, bool fin, std::string& out) {
    append_header(opcode, payload.size(), fin, false, out);
    out += payload;
}

void encode_masked_frame(Opcode opcode, std::string_view payload, bool fin,
                         std::array<std::uint8_t, 4> mask_key, std::string& out) {
    append_header(opcode, payload.size(), fin, true, out);
    for (std::uint8_t k : mask_key) out += static_cast<char>(k);
    for (std::size_t i = 0; i < payload.size(); ++i) {
        out += static_cast<char>(static_cast<std::uint8_t>(payload[i]) ^ mask_key[i & 3]);
    }
}

bool is_valid_close_code(std::uint16_t code) noexcept {
    // 1004-1006 and 1015 are reserved and never sent; 1012-1014 were registered with IANA
    // after RFC 6455 (service restart, try again later, bad gateway).
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

std::uint16_t parse_close_payload(std::string_view payload, ClosePayload& out) noexcept {
    out = ClosePayload{};
    if (payload.empty()) return 0;
    if (payload.size() == 1) return kCloseProtocolError;
    const auto code = static_cast<std::uint16_t>(load_be(payload, 0, 2));
    if (!is_valid_close_code(code)) return kCloseProtocolError;
    const std::string_view reason = payload.substr(2);
    if (!is_valid_utf8(reason)) return kCloseInvalidPayload;
    out.code = code;
    out.reason = reason;
    return 0;
}

void encode_close_payload(std::uint16_t code, std::string_view reason, std::string& out) {
    constexpr std::size_t kMaxReason = kMaxControlPayload - 2;
    if (reason.size() > kMaxReason) {
        std::size_t cut = kMaxReason;
        // Back up over continuation bytes so the cut does not split a character.
        while (cut > 0 && (static_cast<std::uint8_t>(reason[cut]) & 0xC0) == 0x80) --cut;
        reason = reason.substr(0, cut);
    }
    out += static_cast<char>(code >> 8);
    out += static_cast<char>(code & 0xFF);
    out += reason;
}

void encode_close_frame(std::uint16_t code, std::string_view reason, std::string& out) {
    std::string payload;
    encode_close_payload(code, reason, payload);
    encode_frame(Opcode::close, payload, true, out);
}

}  // namespace asyncio::http
