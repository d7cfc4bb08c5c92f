#pragma once

#include <asyncio/http/parse_result.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace asyncio::http {

/// Frame opcodes (RFC 6455 5.2); every other value is reserved and refused with 1002.
enum class Opcode : std::uint8_t {
    continuation = 0x0,
    text = 0x1,
    binary = 0x2,
    close = 0x8,
    ping = 0x9,
    pong = 0xA,
};

/// Close, ping and pong: at most 125 bytes, never fragmented, may arrive between fragments.
[[nodiscard]] constexpr bool is_control(Opcode opcode) noexcept {
    return (static_cast<std::uint8_t>(opcode) & 0x8) != 0;
}

// Close status codes (RFC 6455 7.4.1).
inline constexpr std::uint16_t kCloseNormal = 1000;           ///< the purpose was fulfilled
inline constexpr std::uint16_t kCloseGoingAway = 1001;        ///< a server going down, a page left
inline constexpr std::uint16_t kCloseProtocolError = 1002;    ///< the peer broke the protocol
inline constexpr std::uint16_t kCloseUnsupportedData = 1003;  ///< a kind of data it cannot take
/// Never sent: what an endpoint reports when a close frame had no code.
inline constexpr std::uint16_t kCloseNoStatus = 1005;
/// Never sent: what an endpoint reports when there was no close frame at all.
inline constexpr std::uint16_t kCloseAbnormal = 1006;
inline constexpr std::uint16_t kCloseInvalidPayload = 1007;   ///< e.g. a text message that is not UTF-8
inline constexpr std::uint16_t kClosePolicyViolation = 1008;  ///< a message against the endpoint's policy
inline constexpr std::uint16_t kCloseMessageTooBig = 1009;    ///< a frame or message over the limit
inline constexpr std::uint16_t kCloseInternalError = 1011;    ///< an unexpected failure of the endpoint

/// Payload bytes a frame may carry before 1009 (the default of FrameLimits::max_payload).
inline constexpr std::uint64_t kDefaultMaxFramePayload = 1024 * 1024;
/// Control frames carry at most this many payload bytes (RFC 6455 5.5).
inline constexpr std::size_t kMaxControlPayload = 125;
/// The longest frame header: 2 bytes, 8 of extended length, 4 of masking key.
inline constexpr std::size_t kMaxFrameHeader = 14;

/// What parse_frame() accepts (WebSocket::limits() for a connection).
struct FrameLimits {
    /// A frame announcing more payload is refused with 1009 as soon as its header is read.
    std::uint64_t max_payload = kDefaultMaxFramePayload;
    /// Servers require masked frames (RFC 6455 5.1: 1002 otherwise). false accepts masked and
    /// unmasked frames alike (a client reading a server, tests).
    bool require_mask = true;
};

/// One frame, its payload already unmasked.
struct Frame {
    bool fin = true;               ///< the last frame of its message
    Opcode opcode = Opcode::text;  ///< as sent: continuation in every frame of a message but its first
    bool masked = false;           ///< it came masked (as a client's frames must)
    /// An unmasked copy of the payload, assigned by parse_frame (its capacity is reused when
    /// the same Frame parses the next frame). A copy rather than in-place unmasking so the
    /// receive buffer stays const and a partial frame can be parsed again safely.
    std::string payload;
};

/// The outcome of parse_frame(): complete, partial (more bytes needed) or error, with the
/// close code the error calls for.
struct FrameResult {
    ParseStatus status = ParseStatus::partial;  ///< which of the three outcomes
    std::size_t consumed = 0;     ///< complete: header + payload bytes; otherwise 0
    std::uint16_t close_code = 0; ///< error: 1002 (protocol) or 1009 (too big); 0 otherwise
    std::string_view reason;      ///< error: static text, fits in a close frame

    /// status == ParseStatus::complete.
    [[nodiscard]] bool complete() const noexcept { return status == ParseStatus::complete; }
    /// status == ParseStatus::partial.
    [[nodiscard]] bool partial() const noexcept { return status == ParseStatus::partial; }
    /// status == ParseStatus::error.
    [[nodiscard]] bool error() const noexcept { return status == ParseStatus::error; }
};

/// Parses the frame at the start of `buffer` into `out`.
/// Returns complete (consumed = whole frame), partial (consumed 0: parse again from the same
/// start once more bytes arrived; errors in the header are reported as soon as its bytes are
/// there, before the payload is waited for), or error with close_code 1002 (reserved bits set,
/// reserved opcode, unmasked frame when require_mask, control frame fragmented or > 125 bytes,
/// 64-bit length with its top bit set) or 1009 (payload > max_payload).
/// Only frames are checked here; message rules (continuations, UTF-8) are MessageAssembler's.
/// WebSocket frames (RFC 6455 section 5) are pure here: no I/O, no state between calls, no
/// exceptions except std::bad_alloc from strings.
///
///     http::Frame frame;
///     http::FrameResult r = http::parse_frame(buffer, frame);
///     if (r.partial()) { /* read more, parse again from the same start */ }
///     if (r.error())   { /* send a close frame with r.close_code, then close */ }
///     /* complete: frame.payload is unmasked; drop r.consumed bytes */
///     http::encode_frame(http::Opcode::text, "hello", true, out);
///
/// Messages made of several frames are assembled by MessageAssembler (websocket_message.hpp).
[[nodiscard]] FrameResult parse_frame(std::string_view buffer, Frame& out, const FrameLimits& limits = {});

/// Appends an unmasked frame (what a server sends) to `out`.
/// Precondition: control frames have fin == true and payload.size() <= kMaxControlPayload.
void encode_frame(Opcode opcode, std::string_view payload, bool fin, std::string& out);

/// Appends a frame masked with `mask_key` (what a client sends; for tests and clients).
void encode_masked_frame(Opcode opcode, std::string_view payload, bool fin,
                         std::array<std::uint8_t, 4> mask_key, std::string& out);

/// A close frame's payload, read.
struct ClosePayload {
    std::uint16_t code = kCloseNoStatus;  ///< kCloseNoStatus when the payload was empty
    std::string_view reason;              ///< UTF-8, points into the payload
};

/// Whether `code` may appear in a close frame (RFC 6455 7.4: 1000-1003, 1007-1011, 3000-4999).
[[nodiscard]] bool is_valid_close_code(std::uint16_t code) noexcept;

/// Reads a close frame's payload into `out`. Returns 0 when it is valid, else the close code
/// to answer with: 1002 (one byte long, or a code that may not be sent) or 1007 (reason is not
/// UTF-8); `out` is then {kCloseNoStatus, ""}. Not [[nodiscard]]: a close Message delivered by
/// MessageAssembler was already validated, so its reader may ignore the result.
std::uint16_t parse_close_payload(std::string_view payload, ClosePayload& out) noexcept;

/// Appends a close payload: `code` big-endian, then `reason` cut to fit the 125-byte limit
/// (at a UTF-8 character boundary).
void encode_close_payload(std::uint16_t code, std::string_view reason, std::string& out);

/// Appends a whole unmasked close frame with that code and reason.
void encode_close_frame(std::uint16_t code, std::string_view reason, std::string& out);

}  // namespace asyncio::http
