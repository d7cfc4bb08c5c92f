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

std::uint64_t last_event_id(const http::OwnedRequest& request) {
    const std::string_view text = request.header("Last-Event-ID");
    std::uint64_t id = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
    return error == std::errc{} && end == text.data() + text.size() ? id : 0;
}

void append_event(std::string& out, const Sample& sample) {
    out.append("id: ").append(std::to_string(sample.id)).append("\ndata: ");
    append_json(out, sample.reading);
    out.append("\n\n");
}

asyncio::Duration seconds(double value) {
    return std::chrono::duration_cast<asyncio::Duration>(std::chrono::duration<double>(value));
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

/// Caps the connection's send buffer (a subscriber that stops reading holds little, and is noticed
/// soon) and returns the head of the event stream: no Content-Length (the body ends when the
/// connection does), and a Date as on every 2xx from a server with a clock (RFC 9110 6.6.1).
std::string begin_event_stream(asyncio::Stream& stream) {
    stream.set_send_buffer_size(http::kStreamingSendBuffer);
    std::string head = "HTTP/1.1 200 OK\r\nDate: ";
    head.append(http::http_date());
    head.append(
        "\r\nServer: sensor-server\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n"
        "X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n");
    return head;
}

asyncio::Task<> App::events(http::OwnedRequest request, asyncio::Stream& stream) {
    name_connection_task("/events", request);
    auto subscription = m_sampler.topic().subscribe(kLiveBacklog);
    const History& history = m_sampler.history();
    std::uint64_t sent_id = last_event_id(request);
    // An id from the future means the server restarted since: start afresh.
    if (sent_id > m_sampler.history().last_id()) sent_id = 0;
    std::string out = begin_event_stream(stream);
    // HEAD: the head a GET gets, and no body (RFC 9110 9.3.2), as the stream has no end to send.
    const bool head_only = request.method == "HEAD";
    if (!head_only) {
        out.append("retry: 2000\n\n");
        // A resuming client gets what it missed (as far as the history reaches); a new one the
        // latest reading at once, so the page is current without waiting an interval.
        history.for_each_after(sent_id == 0 ? history.last_id() - 1 : sent_id, [&](const Sample& sample) {
            append_event(out, sample);
            sent_id = sample.id;
        });
    }
    const asyncio::Duration write_timeout = seconds(m_options.write_timeout_s);
    try {
        for (;;) {
            stream.write(out);
            out.clear();
            co_await asyncio::wait_for(stream.drain(), write_timeout);
            if (head_only) co_return;
            std::optional<Sample> sample;
            try {
                sample = co_await asyncio::wait_for(subscription.get(), kKeepAliveEvery);
                if (!sample) co_return;  // the topic closed: the server is shutting down
            } catch (const asyncio::TimeoutError&) {
                out.append(": keep-alive\n\n");
                continue;
            }
            if (sample->id > sent_id) {
                append_event(out, *sample);
                sent_id = sample->id;
            }
        }
    } catch (const asyncio::TimeoutError&) {
        stream.abort();  // the client stopped reading: drop it rather than buffer for it
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
        signal_end(forward_readings(subscription, *socket, seconds(m_options.write_timeout_s)), half_ended),
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
