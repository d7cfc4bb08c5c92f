#pragma once

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
    /// The Server header's value; empty: no Server header (as ServerOptions::server_name).
    std::string server_name;
};

/// An event stream (Server-Sent Events, text/event-stream in the WHATWG HTML standard) on a
/// connection a stream handler took over: the response head, events with ids, the client's
/// Last-Event-ID, the reconnection delay (retry), keep-alive comments, and a client that stops
/// reading dropped after a time-out, with little memory held for it.
///
///     routes.stream("/events", [&](http::OwnedRequest request, asyncio::Stream& stream) -> asyncio::Task<> {
///         http::EventStream events(request, stream, {.retry = 2s});
///         auto readings = topic.subscribe(16);
///         for (;;) {
///             co_await events.flush();             // the head first, then what is queued
///             if (events.head_only()) co_return;   // HEAD: the head and no body
///             auto reading = co_await events.next([&] { return readings.get(); });  // named: g++ 12
///             if (!reading) co_return;
///             events.queue(to_json(*reading), reading->id);
///         }
///     });
///
/// The stream never ends by itself: it ends when the handler returns (the connection closes),
/// when the client goes (a write fails with std::system_error), or when the client stops reading
/// for write_timeout (flush() aborts the connection and throws std::system_error(ETIMEDOUT), a
/// connection error the http server closes quietly, as it does a reset).
///
/// The head is HTTP/1.1 200 with Content-Type: text/event-stream, Cache-Control: no-store and
/// Connection: close. Data and comments may hold line breaks (CR LF, LF or CR): each line is sent
/// as a field of its own, so no text can end its field early or smuggle in another; an event
/// type with a line break is std::invalid_argument.
class EventStream {
public:
    using Options = EventStreamOptions;  ///< see EventStreamOptions

    /// Takes over `stream` (which must outlive the EventStream) for the response to `request`
    /// (read here only: its Last-Event-ID and method), and caps the connection's send buffer at
    /// kStreamingSendBuffer (std::system_error if the socket refuses). Nothing is sent until
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

    /// Sends the head (the first time) and what is queued.
    /// Suspends when: the client's socket buffer is full (kStreamingSendBuffer caps it).
    /// Resumed by: the poller, as the client reads and the socket drains; or the write_timeout.
    /// Returns: once the kernel took everything (the queue is empty then).
    /// Throws: std::system_error(ETIMEDOUT) if the client read nothing for
    /// options.write_timeout: the connection is aborted (what was unsent is dropped) and the
    /// EventStream is no more usable (a later flush() throws InvalidStateError);
    /// std::system_error if the client reset the connection.
    /// Cancellation: what was queued stays in the stream's write buffer; CancelledError.
    /// Lifetime: the EventStream and its Stream must outlive the call.
    [[nodiscard]] Task<> flush();

    /// Awaits `make_awaitable()`, keeping the stream alive meanwhile.
    /// Suspends when: the awaitable does not complete at once. Resumed by: the awaitable
    /// completing. Whenever it has waited options.keep_alive, it is cancelled (so it must be
    /// safe to cancel: a Queue::get() or Topic read takes nothing then), a ": keep-alive"
    /// comment is flushed, and `make_awaitable()` is called again for a new one.
    /// Returns: the awaitable's result. Throws what the awaitable throws (a TimeoutError of its
    /// own is taken for a keep-alive), or what flush() throws.
    /// Cancellation: cancels the awaitable; CancelledError.
    /// Lifetime: the EventStream and its Stream must outlive the call; `make_awaitable` is kept
    /// in the coroutine until it ends.
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
