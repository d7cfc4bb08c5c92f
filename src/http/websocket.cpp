#include <asyncio/http/websocket.hpp>

#include <asyncio/core/errors.hpp>
#include <asyncio/core/sleep.hpp>
#include <asyncio/http/websocket_handshake.hpp>

namespace asyncio::http {

namespace {
/// How a peer sending frames faster than they are handled gives the loop back (see TurnBudget):
/// a timer due at once, so the loop polls I/O before this connection runs again (with sleep(0)
/// and a task always ready it polls only every few dozen passes).
constexpr Duration kYield = Duration(1);
}  // namespace

Task<std::optional<WebSocket>> WebSocket::accept(const OwnedRequest& request, Stream& stream) {
    static const OriginPolicy same_origin_only;
    return accept(request, stream, same_origin_only);
}

Task<std::optional<WebSocket>> WebSocket::accept(const OwnedRequest& request, Stream& stream,
                                                 const OriginPolicy& origins) {
    const Request view = request.view();
    const WebSocketHandshake handshake = check_websocket_upgrade(view, origins);
    std::string head;
    if (!handshake.ok()) {
        Response refusal;
        refusal.error(handshake.http_status, handshake.reason);
        if (handshake.http_status == 426) {
            // RFC 9110 15.5.22: a 426 names the protocol to switch to, in Upgrade, which needs
            // the "upgrade" connection option (7.8); RFC 6455 4.4: and the version spoken.
            refusal.set_header("Upgrade", "websocket");
            refusal.set_header("Connection", "upgrade");
            refusal.set_header("Sec-WebSocket-Version", kWebSocketVersion);
        }
        append_response(head, refusal, {.head_request = request.method == "HEAD", .keep_alive = false});
        stream.write(head);
        co_await stream.drain();
        co_return std::nullopt;
    }
    write_websocket_accept(handshake.accept_key, head);
    stream.set_send_buffer_size(kStreamingSendBuffer);
    stream.write(head);
    co_await stream.drain();
    co_return WebSocket(stream);
}

void WebSocket::queue_close(std::uint16_t code, std::string_view reason) {
    if (m_state->close_sent) return;
    m_state->close_sent = true;
    encode_close_frame(code, reason, m_state->pending);
}

void WebSocket::queue_data(Opcode opcode, std::string_view payload) {
    // RFC 6455 5.5.1: no data frame after a close frame.
    if (m_state->close_sent) throw InvalidStateError("WebSocket: a message queued after the close frame");
    encode_frame(opcode, payload, true, m_state->pending);
}

Task<> WebSocket::flush() {
    State& state = *m_state;
    auto guard = co_await state.write_lock.scoped_acquire();
    if (!state.pending.empty()) {
        state.stream.write(state.pending);
        state.pending.clear();
    }
    // What a cancelled flush left in the stream's write buffer goes out now too.
    if (state.stream.write_buffer_size() == 0) co_return;
    co_await state.stream.drain();
}

Task<> WebSocket::close(std::uint16_t code, std::string_view reason) {
    queue_close(code, reason);
    co_await flush();
}

Task<std::optional<Message>> WebSocket::receive() {
    State& state = *m_state;
    Frame frame;
    Message message;
    for (;;) {
        if (state.pause_due) {
            // Before the next frame is taken: a receive() cancelled here has consumed nothing.
            co_await sleep(kYield);
            state.pause_due = false;
        }
        const FrameResult parsed = parse_frame(state.stream.buffered(), frame, state.limits);
        if (parsed.partial()) {
            const std::size_t received = co_await state.stream.receive();  // named: g++ 12
            if (received == 0) co_return std::nullopt;  // EOF without a close
            continue;
        }
        if (parsed.error()) {
            co_await close(parsed.close_code, "protocol error");
            co_return std::nullopt;
        }
        state.stream.consume(parsed.consumed);
        if (state.turn.account(parsed.consumed)) state.pause_due = true;
        const AssembleResult assembled = state.assembler.push(std::move(frame), message);
        switch (assembled.status) {
            case AssembleStatus::incomplete:
                continue;
            case AssembleStatus::message:
                co_return message;
            case AssembleStatus::error:
                co_await close(assembled.close_code, assembled.reason);
                co_return std::nullopt;
            case AssembleStatus::control:
                break;
        }
        if (message.opcode == Opcode::ping) {
            encode_frame(Opcode::pong, message.data, true, state.pending);
            co_await flush();
        } else if (message.opcode == Opcode::close) {
            ClosePayload payload;
            parse_close_payload(message.data, payload);
            // Echo the peer's code (RFC 6455 5.5.1); an empty close is answered with 1000.
            co_await close(payload.code == kCloseNoStatus ? kCloseNormal : payload.code);
            co_return std::nullopt;
        }
    }
}

}  // namespace asyncio::http
