#include <asyncio/http/event_stream.hpp>

#include <asyncio/http/response.hpp>
#include <asyncio/http/streaming.hpp>

#include <cerrno>
#include <system_error>

namespace asyncio::http {

namespace {

/// The head of an event stream: no Content-Length (the body ends when the connection does),
/// and a Date as on every 2xx from a server with a clock (RFC 9110 6.6.1).
void append_head(std::string& out, std::string_view extra_headers) {
    out.append("HTTP/1.1 200 OK\r\nDate: ");
    out.append(http_date());
    out.append("\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\nConnection: close\r\n");
    out.append(extra_headers);
    out.append("\r\n");
}

}  // namespace

EventStream::EventStream(const OwnedRequest& request, Stream& stream, Options options)
    : m_stream(stream),
      m_options(std::move(options)),
      m_last_event_id(request.header("Last-Event-ID")),
      m_head_only(request.method == "HEAD") {
    m_stream.set_send_buffer_size(kStreamingSendBuffer);
    append_head(m_pending, m_options.headers);
    if (m_options.retry && !m_head_only) {
        const auto milliseconds = std::chrono::duration_cast<std::chrono::milliseconds>(*m_options.retry).count();
        m_pending.append("retry: ").append(std::to_string(milliseconds)).append("\n\n");
    }
}

void EventStream::queue(std::string_view data, std::optional<std::uint64_t> id, std::string_view type) {
    if (m_head_only) return;
    if (id) m_pending.append("id: ").append(std::to_string(*id)).append("\n");
    if (!type.empty()) m_pending.append("event: ").append(type).append("\n");
    // A line break in the data would end the field: each line is a "data:" field of its own,
    // which the browser joins with "\n" again.
    for (;;) {
        const std::size_t end = data.find('\n');
        m_pending.append("data: ").append(data.substr(0, end)).append("\n");
        if (end == std::string_view::npos) break;
        data.remove_prefix(end + 1);
    }
    m_pending.append("\n");
}

void EventStream::queue_comment(std::string_view text) {
    if (m_head_only) return;
    m_pending.append(": ").append(text).append("\n\n");
}

Task<> EventStream::flush() {
    m_stream.write(m_pending);
    m_pending.clear();
    try {
        co_await wait_for(m_stream.drain(), m_options.write_timeout);
    } catch (const TimeoutError&) {
        m_stream.abort();  // drop what is unsent rather than buffer it for a client that does not read
        throw std::system_error(ETIMEDOUT, std::generic_category(), "event stream: the client stopped reading");
    }
}

}  // namespace asyncio::http
