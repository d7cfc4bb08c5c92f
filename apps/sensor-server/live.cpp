// Live readings: /events (Server-Sent Events) and /ws (WebSocket), both fed by the sampler's
// Topic. Each client has its own bounded backlog: a slow client loses its oldest readings (they
// are coalesced), a client that stops reading altogether is dropped after the write time-out,
// and the sensor never waits for anybody.
#include "app.hpp"

#include <asyncio/core/errors.hpp>
#include <asyncio/core/event.hpp>
#include <asyncio/core/task.hpp>
#include <asyncio/core/task_group.hpp>
#include <asyncio/core/timeout.hpp>
#include <asyncio/http/event_stream.hpp>
#include <asyncio/http/response.hpp>
#include <asyncio/http/websocket.hpp>
#include <asyncio/io/connection_error.hpp>

#include <charconv>
#include <chrono>
#include <exception>
#include <string>
#include <string_view>
#include <system_error>

namespace sensor_server {

namespace {

using namespace std::chrono_literals;

/// Readings a live client may fall behind by before the oldest are dropped.
constexpr std::size_t kLiveBacklog = 16;
/// An idle event stream gets a comment this often, so proxies and browsers keep it open and a
/// vanished client is noticed by the failing write.
constexpr auto kKeepAliveEvery = 15s;

/// A Last-Event-ID this server sent (a reading's id); 0 for none or anything else.
std::uint64_t parse_event_id(std::string_view text) {
    std::uint64_t id = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
    return error == std::errc{} && end == text.data() + text.size() ? id : 0;
}

void queue_event(http::EventStream& events, const Sample& sample) {
    std::string json;
    append_json(json, sample.reading);
    events.queue(json, sample.id);
}

/// "/events 127.0.0.1:51234": the route and the client, the name of a live stream's tasks in
/// /debug/tasks and in the loop's longest-step and stall reports (rather than "Task-60").
std::string task_name(std::string_view route, const http::OwnedRequest& request, std::string_view half = {}) {
    std::string name(route);
    name.append(" ").append(request.peer);
    if (!half.empty()) name.append(" ").append(half);
    return name;
}

/// Names the connection's task (the server's, running this handler) after the stream it now
/// carries until it closes. Only live streams are named: a short request would pay an
/// allocation for a name nobody sees.
void name_connection_task(std::string_view route, const http::OwnedRequest& request) {
    if (asyncio::TaskRef task = asyncio::current_task()) task.set_name(task_name(route, request));
}

}  // namespace

http::EventStream::Options event_stream_options(double write_timeout_s) {
    http::EventStream::Options options;
    options.retry = 2s;
    options.keep_alive = kKeepAliveEvery;
    options.write_timeout = duration_of(write_timeout_s);
    options.server_name = kServerName;
    return options;
}

asyncio::Task<> App::events(http::OwnedRequest request, asyncio::Stream& stream) {
    name_connection_task("/events", request);
    auto subscription = m_sampler.topic().subscribe(kLiveBacklog);
    http::EventStream events(request, stream, event_stream_options(m_options.write_timeout_s));
    const History& history = m_sampler.history();
    std::uint64_t sent_id = parse_event_id(events.last_event_id());
    // An id from the future means the server restarted since: start afresh.
    if (sent_id > history.last_id()) sent_id = 0;
    // A resuming client gets what it missed (as far as the history reaches); a new one the
    // latest reading at once, so the page is current without waiting an interval.
    history.for_each_after(sent_id == 0 ? history.last_id() - 1 : sent_id, [&](const Sample& sample) {
        queue_event(events, sample);
        sent_id = sample.id;
    });
    for (;;) {
        co_await events.flush();
        // HEAD: the head a GET gets, and no body (RFC 9110 9.3.2), as the stream has no end.
        if (events.head_only()) co_return;
        const std::optional<Sample> sample = co_await events.next([&] { return subscription.get(); });
        if (!sample) co_return;  // the topic closed: the server is shutting down
        if (sample->id > sent_id) {
            queue_event(events, *sample);
            sent_id = sample->id;
        }
    }
}

namespace {

/// Sends what is queued already (the current reading) at once, then every new reading to the
/// WebSocket until the topic closes or a send fails.
asyncio::Task<> forward_readings(asyncio::Topic<Sample>::Subscription& subscription, http::WebSocket& socket,
                                 asyncio::Duration write_timeout) {
    co_await asyncio::wait_for(socket.flush(), write_timeout);
    std::string json;
    for (;;) {
        std::optional<Sample> sample = co_await subscription.get();  // named: g++ 12
        if (!sample) break;
        // The reader answered the client's close frame meanwhile: nothing may follow it.
        if (socket.closed()) co_return;
        json.clear();
        append_json(json, sample->reading);
        socket.queue_text(json);
        co_await asyncio::wait_for(socket.flush(), write_timeout);
    }
    co_await socket.close(http::kCloseGoingAway, "server shutting down");
}

/// Reads (and discards) what the client sends, answering pings and the close handshake.
asyncio::Task<> read_until_closed(http::WebSocket& socket) {
    for (;;) {
        const std::optional<http::Message> message = co_await socket.receive();  // named: g++ 12
        if (!message) break;
    }
}

/// Runs one half of a WebSocket session and sets `ended` however it ends (returned, failed or
/// cancelled), so that the session can stop the other half.
asyncio::Task<> signal_end(asyncio::Task<> half, asyncio::Event& ended) {
    try {
        co_await half;
    } catch (...) {
        ended.set();
        throw;
    }
    ended.set();
}

/// Joins one half of a WebSocket session. The endings a session expects are absorbed: cancelled,
/// the client reset or vanished (a connection error), or it stopped reading (the write time-out:
/// the connection is dropped rather than buffered for). Anything else is returned, for the
/// caller to rethrow once both halves are joined.
asyncio::Task<std::exception_ptr> join_half(asyncio::Task<> half, asyncio::Stream& stream) {
    try {
        co_await half;
    } catch (const asyncio::CancelledError&) {
    } catch (const asyncio::TimeoutError&) {
        stream.abort();
    } catch (const std::system_error& error) {
        if (!asyncio::is_connection_error(error)) co_return std::current_exception();
    } catch (...) {
        co_return std::current_exception();
    }
    co_return nullptr;
}

}  // namespace

asyncio::Task<> App::websocket(http::OwnedRequest request, asyncio::Stream& stream) {
    auto socket = co_await http::WebSocket::accept(request, stream, m_origins);
    if (!socket) co_return;
    name_connection_task("/ws", request);
    auto subscription = m_sampler.topic().subscribe(kLiveBacklog);
    if (!m_sampler.history().empty()) {
        std::string json;
        append_json(json, m_sampler.history().latest().reading);
        socket->queue_text(json);
    }
    // Two tasks: one sends readings, one reads the client. Whichever ends first ends the other:
    // the reader when the client closes, resets or breaks the protocol; the sender when the
    // topic closes or a send fails or times out (a client that stopped reading, or vanished
    // without a reset, is noticed only there: the reader alone would wait for it for ever).
    asyncio::Event half_ended;
    asyncio::Task<> sender = asyncio::create_task(
        signal_end(forward_readings(subscription, *socket, duration_of(m_options.write_timeout_s)), half_ended),
        task_name("/ws", request, "sender"));
    asyncio::Task<> reader =
        asyncio::create_task(signal_end(read_until_closed(*socket), half_ended), task_name("/ws", request, "reader"));
    try {
        co_await half_ended.wait();
    } catch (const asyncio::CancelledError&) {
        // The server is shutting down: both halves are stopped below all the same.
    }
    sender.cancel();
    reader.cancel();
    // Both are joined before `socket` and `subscription` go: they use them. A failure that is
    // not the client leaving is rethrown then, and the http layer reports it, naming the route.
    const std::exception_ptr sender_failure = co_await join_half(std::move(sender), stream);
    const std::exception_ptr reader_failure = co_await join_half(std::move(reader), stream);
    if (sender_failure) std::rethrow_exception(sender_failure);
    if (reader_failure) std::rethrow_exception(reader_failure);
}

}  // namespace sensor_server
