#pragma once
// A server-side WebSocket connection (RFC 6455) over a Stream: the handshake, then whole
// messages in, frames out. Pings are answered, fragmented messages assembled, text checked for
// UTF-8, and every protocol error ends in a close frame with the right code.
//
//   asyncio::Task<> chat(http::OwnedRequest request, asyncio::Stream& stream) {
//       auto ws = co_await http::WebSocket::accept(request, stream);
//       if (!ws) co_return;                         // the handshake failed and was answered
//       for (;;) {
//           auto message = co_await ws->receive();   // name each co_await result (g++ 12)
//           if (!message) break;
//           co_await ws->send_text(message->data);
//       }
//   }

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

class WebSocket {
public:
    /// Answers the upgrade request: 101 and a WebSocket, or the handshake's error status (the
    /// connection is then done) and std::nullopt. Web pages of other origins are refused (403,
    /// see OriginPolicy). An accepted connection's send buffer is capped at kStreamingSendBuffer.
    /// Suspends while the answer is sent (resumed by the poller as the socket drains). The
    /// WebSocket refers to `stream`, which must outlive it. A refusal carries no Server header
    /// (ServerOptions::server_name is the server's, and the handler writes this answer).
    [[nodiscard]] static Task<std::optional<WebSocket>> accept(const OwnedRequest& request, Stream& stream);
    /// The same, with the origins `origins` allows (kept by reference until the task ends).
    [[nodiscard]] static Task<std::optional<WebSocket>> accept(const OwnedRequest& request, Stream& stream,
                                                               const OriginPolicy& origins);

    /// The next text or binary message; std::nullopt once the connection is closed (by the
    /// peer's close frame, EOF, or a protocol error, each answered with a close frame).
    /// Suspends until a whole message has arrived; resumed by the poller as data comes.
    /// Throws std::system_error if the peer reset the connection, also in the middle of a frame.
    /// A pong or close reply it sends waits until the peer takes it: to drop a peer that stopped
    /// reading, bound the sends (wait_for(flush(), ...)) and cancel the receiving task when one
    /// times out.
    /// One task at a time may receive.
    [[nodiscard]] Task<std::optional<Message>> receive();

    /// Queues a frame; flush() sends what is queued. One task may send while another receives:
    /// flushes are serialised, so a pong from receive() never interleaves with a message.
    void queue_text(std::string_view text) { encode_frame(Opcode::text, text, true, m_state->pending); }
    void queue_binary(std::string_view data) { encode_frame(Opcode::binary, data, true, m_state->pending); }
    /// Sends the queued frames (and any pong or close reply receive() queued). Suspends while
    /// the socket is full or another task is flushing; resumed by the poller as it drains (or by
    /// that task). Returns once the kernel took everything. Throws std::system_error if the peer
    /// reset or vanished; wrap it in wait_for() to bound the wait for a peer that does not read.
    [[nodiscard]] Task<> flush();
    [[nodiscard]] Task<> send_text(std::string_view text) {
        queue_text(text);
        return flush();
    }
    /// Starts the closing handshake with `code`: sends the close frame (suspending as flush()
    /// does); receive() then returns std::nullopt.
    [[nodiscard]] Task<> close(std::uint16_t code = kCloseNormal, std::string_view reason = {});
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
    };
    explicit WebSocket(Stream& stream) : m_state(std::make_unique<State>(stream)) {}
    void queue_close(std::uint16_t code, std::string_view reason);

    std::unique_ptr<State> m_state;  ///< stable address: tasks keep using it while it moves
};

}  // namespace asyncio::http
