#include <asyncio/http/websocket_message.hpp>

#include <utility>

namespace asyncio::http {
namespace {

AssembleResult assemble_error(std::uint16_t code, std::string_view reason) noexcept {
    return AssembleResult{AssembleStatus::error, code, reason};
}

}  // namespace

void MessageAssembler::reset() noexcept {
    m_open = false;
    m_data.clear();
    m_utf8.reset();
}

AssembleResult MessageAssembler::push_control(Frame&& frame, Message& out) {
    if (frame.opcode == Opcode::close) {
        ClosePayload close;
        if (std::uint16_t code = parse_close_payload(frame.payload, close); code != 0) {
            return assemble_error(code, "invalid close frame");
        }
    }
    out.opcode = frame.opcode;
    std::swap(out.data, frame.payload);  // no copy; the frame gets the old buffer to reuse
    return AssembleResult{AssembleStatus::control, 0, {}};
}

/// The common case, a message in one frame: checked, then handed over without a copy.
AssembleResult MessageAssembler::whole_message(Frame&& frame, Message& out) {
    if (frame.payload.size() > m_max_message) return assemble_error(kCloseMessageTooBig, "message too big");
    if (frame.opcode == Opcode::text && !is_valid_utf8(frame.payload)) {
        return assemble_error(kCloseInvalidPayload, "text message is not UTF-8");
    }
    out.opcode = frame.opcode;
    std::swap(out.data, frame.payload);
    return AssembleResult{AssembleStatus::message, 0, {}};
}

/// Adds a fragment's data to the open message, checking size and (for text) UTF-8 first.
AssembleResult MessageAssembler::append(std::string_view data) {
    if (data.size() > m_max_message - m_data.size()) return assemble_error(kCloseMessageTooBig, "message too big");
    if (m_opcode == Opcode::text && !m_utf8.feed(data)) {
        return assemble_error(kCloseInvalidPayload, "text message is not UTF-8");
    }
    m_data += data;
    return AssembleResult{AssembleStatus::incomplete, 0, {}};
}

AssembleResult MessageAssembler::push(Frame&& frame, Message& out) {
    if (is_control(frame.opcode)) return push_control(std::move(frame), out);
    if (frame.opcode != Opcode::continuation) {
        if (m_open) return assemble_error(kCloseProtocolError, "new message inside a fragmented one");
        if (frame.fin) return whole_message(std::move(frame), out);
        m_open = true;
        m_opcode = frame.opcode;
        m_data.clear();
        m_utf8.reset();
    } else if (!m_open) {
        return assemble_error(kCloseProtocolError, "continuation without a message");
    }
    if (AssembleResult r = append(frame.payload); r.status == AssembleStatus::error) {
        reset();
        return r;
    }
    if (!frame.fin) return AssembleResult{AssembleStatus::incomplete, 0, {}};
    if (m_opcode == Opcode::text && !m_utf8.complete()) {
        reset();
        return assemble_error(kCloseInvalidPayload, "text message is not UTF-8");
    }
    m_open = false;
    out.opcode = m_opcode;
    std::swap(out.data, m_data);
    m_data.clear();
    return AssembleResult{AssembleStatus::message, 0, {}};
}

}  // namespace asyncio::http
