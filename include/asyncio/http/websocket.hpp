#pragma once

#include <asyncio/core/lock.hpp>
#include <asyncio/core/task.hpp>
#include <asyncio/http/router.hpp>
#include <asyncio/http/streaming.hpp>
#include <asyncio/http/websocket_handshake.hpp>
#include <asyncio/http/websocket_frame.hpp>
#include <asyncio/http/websocket_message.hpp>
#include <asyncio/io/stream.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace asyncio::http {

/// A server-side WebSocket connection (RFC 6455) over a Stream: the handshake, then whole
/// messages in, frames out. Pings are answered, fragmented messages assembled, text checked for
/// UTF-8, and every protocol error ends in a close frame with the right code.
///
///     asyncio::Task<> chat(http::OwnedRequest request, asyncio::Stream& stream) {
///         auto ws = co_await http::WebSocket::accept(request, stream);
///         if (!ws) co_return;                         // the handshake failed and was answered
///         for (;;) {
///             auto message = co_await ws->receive();   // name each co_await result (g++ 12)
///             if (!message) break;
///             co_await ws->send_text(message->data);
///         }
///     }
///
/// Movable, not copyable: its state stays at one address, so a WebSocket may be moved while a
/// task receives or sends; whichever object holds it must outlive those calls, and the Stream
/// must outlive it. Use it on the loop's thread only.
class WebSocket {
public:
    /// Answers the upgrade request: 101 and a WebSocket, or the handshake's error status and
    /// std::nullopt (the connection is then done: return from the handler). Web pages of other
    /// origins are refused (403, see OriginPolicy). An accepted connection's send buffer is
    /// capped at kStreamingSendBuffer. A refusal carries no Server header
    /// (ServerOptions::server_name is the server's, and the handler writes this answer).
    /// Suspends when: the answer does not fit in the socket at once. Resumed by: the poller, as
    /// the socket drains.
    /// Returns: the WebSocket, or std::nullopt after a refusal. Throws std::system_error if the
    /// client reset or vanished meanwhile.
    /// Cancellation: CancelledError; the answer may be partly sent: end the connection.
    /// Lifetime: `request` must be alive when the call starts; the WebSocket refers to `stream`,
    /// which must outlive it.
    [[nodiscard]] static Task<std::optional<WebSocket>> accept(const OwnedRequest& request, Stream& stream);
    /// The same, with the origins `origins` allows (kept by reference until the task ends).
    [[nodiscard]] static Task<std::optional<WebSocket>> accept(const OwnedRequest& request, Stream& stream,
                                                               const OriginPolicy& origins);

    /// The next text or binary message.
    /// Suspends when: no whole message is buffered; also while it sends a pong or a close reply
    /// (as flush() does), and for a moment once 64 frames or 64 KiB were handled, to let the
    /// other tasks run (that pause comes before the next frame is taken, possibly in the next
    /// call). Resumed by: the poller as data comes (or the socket drains), the loop after that
    /// pause.
    /// Returns: the message; std::nullopt once the connection is over: the peer's close frame or
    /// a protocol error (each answered with a close frame), or EOF (nothing is sent then).
    /// Pings and pongs are handled inside and not returned.
    /// Throws std::system_error if the peer reset the connection, also in the middle of a frame.
    /// A pong or close reply it sends waits until the peer takes it: to drop a peer that stopped
    /// reading, bound the sends (wait_for(flush(), ...)) and cancel the receiving task when one
    /// times out.
    /// Cancellation: CancelledError; no message is lost: bytes of a frame not yet whole stay in
    /// the stream, a fragmented message in progress stays in the assembler, a pong or close
    /// reply stays queued (the next flush() sends it), and the next receive() goes on from there.
    /// Lifetime: see the class. One task at a time may receive.
    [[nodiscard]] Task<std::optional<Message>> receive();

    /// Queues a text frame (one whole message; `text` should be UTF-8, it is not checked);
    /// flush() sends what is queued. One task may send while another receives: flushes are
    /// serialised, so a pong from receive() never interleaves with a message. Once a close frame
    /// is queued (closed() is true) no data frame may follow it (RFC 6455 5.5.1): this throws
    /// InvalidStateError and queues nothing.
    void queue_text(std::string_view text) { queue_data(Opcode::text, text); }
    /// The same for a binary frame.
    void queue_binary(std::string_view data) { queue_data(Opcode::binary, data); }
    /// Sends the queued frames (and any pong or close reply receive() queued).
    /// Suspends when: another task is flushing, or the socket cannot take everything now.
    /// Resumed by: that task's flush ending (tasks flush in turn, FIFO), then the poller as the
    /// socket drains.
    /// Returns: once the kernel took everything; at once if nothing is queued and nothing is
    /// left in the stream's write buffer. Throws std::system_error if the peer reset or
    /// vanished, InvalidStateError if the stream is closed; wrap it in wait_for() to bound the
    /// wait for a peer that does not read.
    /// Cancellation: CancelledError; what was not sent stays in the stream's write buffer and
    /// goes out with the next flush(), whether or not it has frames of its own to send.
    /// Lifetime: see the class.
    [[nodiscard]] Task<> flush();
    /// queue_text() then flush(): the frame is queued at the call, before the co_await (after
    /// close(), InvalidStateError is thrown there). Suspends, resumes, returns, throws and is
    /// cancelled as flush().
    [[nodiscard]] Task<> send_text(std::string_view text) {
        queue_text(text);
        return flush();
    }
    /// Starts the closing handshake with `code` and `reason` (cut to fit 123 bytes): queues the
    /// close frame, once only, then flushes.
    /// Suspends when, resumed by, throws, cancellation, lifetime: as flush().
    /// Returns: once the close frame is handed to the kernel. The peer then answers with its
    /// own close frame, and receive() returns std::nullopt once that arrives (messages the peer
    /// sent before it are still returned); the handler then returns, which closes the connection.
    [[nodiscard]] Task<> close(std::uint16_t code = kCloseNormal, std::string_view reason = {});
    /// A close frame has been queued: by close(), or by receive() answering the peer's close
    /// frame or a protocol error. queue_text(), queue_binary() and send_text() then throw
    /// InvalidStateError. The connection itself may still be open.
    [[nodiscard]] bool closed() const noexcept { return m_state->close_sent; }
    /// Limits on what the client may send (frames; messages are limited by the assembler).
    [[nodiscard]] FrameLimits& limits() noexcept { return m_state->limits; }

private:
    /// The work receive() does before it lets the other tasks run: a peer that sends frames
    /// (pings, say) as fast as it reads the answers never makes receive() wait for the socket,
    /// and would otherwise hold the loop for as long as it keeps sending.
    struct TurnBudget {
        static constexpr std::size_t kMaxFrames = 64;
        static constexpr std::size_t kMaxBytes = 64 * 1024;
        std::size_t frames = 0;
        std::size_t bytes = 0;
        /// Counts a frame of `size` bytes; true (and a new turn begins) once the turn is used up.
        bool account(std::size_t size) noexcept {
            bytes += size;
            if (++frames < kMaxFrames && bytes < kMaxBytes) return false;
            frames = bytes = 0;
            return true;
        }
    };
    struct State {
        explicit State(Stream& s) : stream(s) {}
        Stream& stream;
        FrameLimits limits{};
        MessageAssembler assembler;
        std::string pending;  ///< encoded frames not yet handed to the stream
        Lock write_lock;      ///< one drain at a time
        bool close_sent = false;
        TurnBudget turn;
        bool pause_due = false;  ///< the turn is used up: receive() pauses before its next frame
    };
    explicit WebSocket(Stream& stream) : m_state(std::make_unique<State>(stream)) {}
    void queue_close(std::uint16_t code, std::string_view reason);
    /// queue_text(), queue_binary(): InvalidStateError once a close frame is queued.
    void queue_data(Opcode opcode, std::string_view payload);

    std::unique_ptr<State> m_state;  ///< stable address: tasks keep using it while it moves
};

}  // namespace asyncio::http
