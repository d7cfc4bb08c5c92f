#include <asyncio/http/event_stream.hpp>

#include <asyncio/http/response.hpp>
#include <asyncio/http/streaming.hpp>

#include <cerrno>
#include <stdexcept>
#include <system_error>

namespace asyncio::http {

namespace {

/// The head of an event stream: no Content-Length (the body ends when the connection does).
void append_head(std::string& out, std::string_view server_name) {
    static const HeaderBlock kNoStore{{"Cache-Control", "no-store"}};
    Response head;
    head.set_content_type("text/event-stream");
    head.add_headers(kNoStore);
    append_response(out, head, {.keep_alive = false, .sized = false, .server_name = server_name});
}

/// Appends `text` as one `prefix` field per line. The event-stream format ends a line at CR LF,
/// at LF and at a lone CR alike, so a line break of any kind in the text would end its field
/// early (and could start another field): each line becomes a field of its own, which the
/// browser joins with "\n" again (data) or ignores (comments).
void append_lines(std::string& out, std::string_view prefix, std::string_view text) {
    for (;;) {
        const std::size_t end = text.find_first_of("\r\n");
        out.append(prefix).append(text.substr(0, end)).append("\n");
        if (end == std::string_view::npos) return;
        const bool crlf = text[end] == '\r' && end + 1 < text.size() && text[end + 1] == '\n';
        text.remove_prefix(end + (crlf ? 2 : 1));
    }
}

}  // namespace

EventStream::EventStream(const OwnedRequest& request, Stream& stream, Options options)
    : m_stream(stream),
      m_options(std::move(options)),
      m_last_event_id(request.header("Last-Event-ID")),
      m_head_only(request.method == "HEAD") {
    m_stream.set_send_buffer_size(kStreamingSendBuffer);
    append_head(m_pending, m_options.server_name);
    if (m_options.retry && !m_head_only) {
        const auto milliseconds = std::chrono::duration_cast<std::chrono::milliseconds>(*m_options.retry).count();
        m_pending.append("retry: ").append(std::to_string(milliseconds)).append("\n\n");
    }
}

void EventStream::queue(std::string_view data, std::optional<std::uint64_t> id, std::string_view type) {
    if (type.find_first_of("\r\n") != std::string_view::npos) {
        throw std::invalid_argument("event stream: a line break in an event type");
    }
    if (m_head_only) return;
    if (id) m_pending.append("id: ").append(std::to_string(*id)).append("\n");
    if (!type.empty()) m_pending.append("event: ").append(type).append("\n");
    append_lines(m_pending, "data: ", data);
    m_pending.append("\n");
}

void EventStream::queue_comment(std::string_view text) {
    if (m_head_only) return;
    append_lines(m_pending, ": ", text);
    m_pending.append("\n");
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
