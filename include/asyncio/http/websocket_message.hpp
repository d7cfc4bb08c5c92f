#pragma once

#include <asyncio/http/detail/utf8.hpp>
#include <asyncio/http/websocket_frame.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace asyncio::http {

/// Largest assembled message before 1009 (the default of MessageAssembler's limit).
inline constexpr std::uint64_t kDefaultMaxMessage = 1024 * 1024;

/// A whole data message, or a control frame's payload.
struct Message {
    Opcode opcode = Opcode::text;  ///< text or binary; or close, ping, pong for control frames
    std::string data;              ///< for close: use parse_close_payload (already validated)
};

/// incomplete: the frame was a fragment, kept; nothing to do yet.
/// message:    `out` holds a whole text or binary message.
/// control:    `out` holds a ping (answer with a pong carrying the same data), a pong, or a
///             close (answer with a close frame, then close the connection).
/// error:      the peer broke the protocol; send a close frame with close_code and close.
enum class AssembleStatus { incomplete, message, control, error };

/// The outcome of MessageAssembler::push().
struct AssembleResult {
    AssembleStatus status = AssembleStatus::incomplete;  ///< what `out` holds now, see AssembleStatus
    std::uint16_t close_code = 0;  ///< error: 1002, 1007 (bad UTF-8) or 1009 (too big)
    std::string_view reason;       ///< error: static text, fits in a close frame
};

/// Turns WebSocket frames into messages (RFC 6455 5.4, 5.5, 8.1): joins a fragmented message
/// (first frame text/binary with fin = 0, then continuations), passes control frames through
/// even between fragments, limits the message size, and checks that text is UTF-8 as it
/// arrives. Pure: no I/O; never throws except std::bad_alloc.
///
///     http::MessageAssembler assembler;
///     http::Message msg;
///     switch (assembler.push(std::move(frame), msg).status) {
///         case http::AssembleStatus::message:    /* msg.opcode is text or binary */ break;
///         case http::AssembleStatus::control:    /* msg.opcode is ping, pong or close */ break;
///         case http::AssembleStatus::incomplete: break;  // a fragment was kept; next frame
///         case http::AssembleStatus::error:      /* close with the result's close_code */ break;
///     }
///
/// One per connection direction; remembers the fragmented message in progress.
class MessageAssembler {
public:
    /// An assembler refusing (1009) messages of more than `max_message` bytes.
    explicit MessageAssembler(std::uint64_t max_message = kDefaultMaxMessage) noexcept
        : m_max_message(max_message) {}

    /// Takes one complete frame from parse_frame (its payload is moved from; `out` is replaced
    /// on message and control, untouched on incomplete and error).
    /// Errors: 1002 for a continuation with no message open, or a new text/binary frame while
    /// one is open, or an invalid close payload; 1007 for text (or a close reason) that is not
    /// UTF-8, reported at the first bad fragment; 1009 when the message exceeds the limit.
    [[nodiscard]] AssembleResult push(Frame&& frame, Message& out);

    /// Whether a fragmented message is open (its first frame arrived, its last has not).
    [[nodiscard]] bool in_message() const noexcept { return m_open; }
    /// Drops any message in progress.
    void reset() noexcept;

private:
    AssembleResult push_control(Frame&& frame, Message& out);
    AssembleResult whole_message(Frame&& frame, Message& out);
    AssembleResult append(std::string_view data);

    std::uint64_t m_max_message;
    bool m_open = false;             ///< a fragmented message is in progress
    Opcode m_opcode = Opcode::text;  ///< its opcode (text or binary), when m_open
    std::string m_data;              ///< its data so far
    Utf8Validator m_utf8;            ///< its text so far, when m_opcode is text
};

}  // namespace asyncio::http
