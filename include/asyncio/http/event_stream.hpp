#pragma once
// An event stream (Server-Sent Events, text/event-stream in the WHATWG HTML standard) on a
// connection a stream handler took over: the response head, events with ids, the client's
// Last-Event-ID, the reconnection delay (retry), keep-alive comments, and a client that stops
// reading dropped after a time-out, with little memory held for it.
//
//   routes.stream("/events", [&](http::OwnedRequest request, asyncio::Stream& stream) -> asyncio::Task<> {
//       http::EventStream events(request, stream, {.retry = 2s});
//       auto readings = topic.subscribe(16);
//       for (;;) {
//           co_await events.flush();             // the head first, then what is queued
//           if (events.head_only()) co_return;   // HEAD: the head and no body
//           auto reading = co_await events.next([&] { return readings.get(); });  // named: g++ 12
//           if (!reading) co_return;
//           events.queue(to_json(*reading), reading->id);
//       }
//   });
//
// The stream never ends by itself: it ends when the handler returns (the connection closes),
// when the client goes (a write fails with std::system_error), or when the client stops reading
// for write_timeout (flush() aborts the connection and throws std::system_error(ETIMEDOUT), a
// connection error the http server closes quietly, as it does a reset).

#include <asyncio/core/detail/as_task.hpp>
#include <asyncio/core/errors.hpp>
#include <asyncio/core/platform.hpp>
#include <asyncio/core/task.hpp>
#include <asyncio/core/timeout.hpp>
#include <asyncio/http/router.hpp>
#include <asyncio/io/stream.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace asyncio::http {

/// How an EventStream sends (a separate struct, not nested: a nested one with default member
/// initialisers cannot be a default argument of its class's constructor).
struct EventStreamOptions {
    /// Sent first as "retry:": how long the browser waits before reconnecting.
    std::optional<Duration> retry;
    /// next() sends a comment when it has waited this long, so proxies and browsers keep an
    /// idle stream open and a vanished client is noticed by the failing write.
    Duration keep_alive = std::chrono::seconds(15);
    /// How long flush() waits for a client that does not read before dropping it.
    Duration write_timeout = std::chrono::seconds(10);
    /// Extra header lines for the head, each ending in CRLF ("Server: sensor-server\r\n").
    std::string headers;
};

class EventStream {
public:
    using Options = EventStreamOptions;

    /// Takes over `stream` (both must outlive the EventStream) for the response to `request`,
    /// and caps the connection's send buffer at kStreamingSendBuffer. Nothing is sent until
    /// flush().
    EventStream(const OwnedRequest& request, Stream& stream, Options options = {});

    /// The id of the last event the client received before it reconnected (its Last-Event-ID
    /// header), empty for a new client.
    [[nodiscard]] const std::string& last_event_id() const noexcept { return m_last_event_id; }
    /// A HEAD request: the head is sent, and no event (queue() then does nothing).
    [[nodiscard]] bool head_only() const noexcept { return m_head_only; }

    /// Queues one event: its data (one "data:" line per line of `data`), an id the client
    /// echoes in Last-Event-ID when it reconnects, and an event type (empty: "message").
    void queue(std::string_view data, std::optional<std::uint64_t> id = std::nullopt, std::string_view type = {});
    /// Queues a comment (": text"), which the browser ignores.
    void queue_comment(std::string_view text);
    /// Bytes queued and not yet given to flush().
    [[nodiscard]] std::size_t queued() const noexcept { return m_pending.size(); }

    /// Sends the head (the first time) and what is queued. Suspends while the client's socket
    /// is full; resumed by the poller when it drains. Returns once the kernel took everything.
    /// A client that reads nothing for options.write_timeout is dropped: the connection is
    /// aborted and std::system_error(ETIMEDOUT) thrown. Throws std::system_error if the client
    /// reset the connection.
    [[nodiscard]] Task<> flush();

    /// Awaits `make_awaitable()` (called again after each keep-alive), flushing a keep-alive
    /// comment whenever the wait lasts options.keep_alive. Suspends until the awaitable
    /// completes; returns its result. `make_awaitable` is kept in the coroutine until it ends.
    template <class MakeAwaitable>
    Task<detail::await_result_t<std::invoke_result_t<MakeAwaitable&>>> next(MakeAwaitable make_awaitable) {
        for (;;) {
            try {
                auto result = co_await wait_for(make_awaitable(), m_options.keep_alive);  // named: g++ 12
                co_return result;
            } catch (const TimeoutError&) {
                // Nothing came for a while: a comment below, then wait again.
            }
            queue_comment("keep-alive");
            co_await flush();
        }
    }

private:
    Stream& m_stream;
    Options m_options;
    std::string m_last_event_id;
    std::string m_pending;
    bool m_head_only;
};

}  // namespace asyncio::http
