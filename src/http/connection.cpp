#include "connection.hpp"

#include <asyncio/core/detail/task_state.hpp>
#include <asyncio/core/errors.hpp>
#include <asyncio/core/loop.hpp>
#include <asyncio/core/sleep.hpp>
#include <asyncio/io/connection_error.hpp>

#include <optional>
#include <system_error>

namespace asyncio::http {

namespace {

/// "GET /path": how a failure report names the request.
std::string route_of(const Request& request) {
    std::string route(request.method);
    route.append(" ").append(request.path);
    return route;
}

}  // namespace

void HttpServer::Connection::start_error_response(int status, std::string_view detail) {
    take_exchange();
    response().reset();
    response().error(status, detail);
    request().method = "-";
    request().target = "-";
}

void HttpServer::Connection::answer_parse_error(const ParseResult& verdict) {
    ++m_server.m_stats.bad_requests;
    start_error_response(verdict.http_status, verdict.reason);
    answer(false);
}

void HttpServer::Connection::answer_unrouted(const Router::Match& route) {
    response().error(route.status);
    if (!route.allow.empty()) response().set_header("Allow", route.allow);
    if (route.status == 204) {  // OPTIONS: the Allow header is the answer, there is no content
        response().body().clear();
        response().set_content_type({});
    }
}

void HttpServer::Connection::answer_handler_failure(const std::exception_ptr& failure) {
    report_failure(route_of(request()), detail::describe(failure));
    response().reset();
    response().error(500);
}

void HttpServer::Connection::report_failure(std::string_view route, std::string_view what) const {
    std::string message = "http: ";
    message.append(route).append(" from ").append(m_peer).append(" failed: ").append(what);
    report_error(message);
}

void HttpServer::Connection::answer(bool keep_alive) {
    const int status = response().status;
    ++m_server.m_stats.requests;
    ++m_server.m_stats.responses_by_class[static_cast<std::size_t>(status >= 100 && status < 600 ? status / 100 : 5)];
    // Serialised straight into the write buffer: no copy, no allocation per response.
    append_response(m_stream.output_buffer(), response(),
                    {.head_request = request().method == "HEAD",
                     .keep_alive = keep_alive,
                     .http_1_0 = request().version_minor == 0,
                     .server_name = options().server_name});
}

void HttpServer::Connection::log(TimePoint started) const {
    if (!options().access_log) return;
    AccessLogEntry entry{m_peer,
                         m_exchange->request.method,
                         m_exchange->request.target,
                         m_exchange->response.status,
                         m_exchange->response.body_view().size(),
                         get_event_loop().time() - started};
    options().access_log(entry);
}

Task<bool> HttpServer::Connection::flush_slowly() {
    while (!m_stream.try_flush()) {
        const bool writable = co_await TimedIoWait(m_stream, TimedIoWait::For::write, m_timer,  // named: g++ 12
                                                   detail::deadline_after(get_event_loop().time(), options().write_timeout));
        if (!writable) {
            ++m_server.m_stats.timeouts;
            m_stream.abort();  // the client stopped reading: nothing more will reach it
            co_return false;
        }
    }
    co_return true;
}

Task<> HttpServer::Connection::flush_before_close() {
    const bool flushed = co_await flush_slowly();
    (void)flushed;  // closing either way; a write time-out is already counted
}

Task<> HttpServer::Connection::refuse(ParseResult verdict) {
    answer_parse_error(verdict);
    co_await flush_before_close();
}

Task<> HttpServer::Connection::time_out(bool waiting_idle) {
    ++m_server.m_stats.timeouts;
    if (waiting_idle) co_return;  // an idle keep-alive connection simply closes
    co_await refuse(ParseResult{ParseStatus::error, 0, 408, "request head not received in time"});
}

Task<> HttpServer::Connection::reject_busy() {
    ++m_server.m_stats.connections_rejected;
    start_error_response(503, "too many connections, retry shortly");
    response().set_header("Retry-After", "1");
    answer(false);
    co_await flush_before_close();
}

Task<bool> HttpServer::Connection::read_body(ParseResult& head) {
    ServerRequest& req = request();
    if (req.expect_continue && m_stream.buffered().size() == head.consumed) {
        m_stream.write(kContinue);
        if (!m_stream.try_flush()) {
            const bool flushed = co_await flush_slowly();
            if (!flushed) co_return false;
        }
    }
    ParseResult body_state{};
    ChunkedDecoder& chunked = m_exchange->chunked;
    std::string& chunked_body = m_exchange->chunked_body;
    chunked.reset();
    chunked_body.clear();
    std::size_t decoded = 0;  // bytes after the head the chunked decoder has already seen
    for (;;) {
        const std::string_view after_head = m_stream.buffered().substr(head.consumed);
        if (req.chunked) {
            body_state = chunked.feed(after_head.substr(decoded), chunked_body, options().limits.max_body);
            decoded += body_state.consumed;
            body_state.consumed = decoded;
        } else if (after_head.size() >= *req.content_length) {
            body_state = ParseResult{ParseStatus::complete, static_cast<std::size_t>(*req.content_length), 0, {}};
        }
        if (!body_state.partial()) break;
        const bool readable = co_await wait_for_request_bytes(body_deadline(after_head.size()));
        m_receiving_request = false;
        if (!readable) {
            ++m_server.m_stats.timeouts;
            co_await refuse(ParseResult{ParseStatus::error, 0, 408, "request body not received in time"});
            co_return false;
        }
        if (!receive()) co_return false;
        head = parse_head();  // the buffer may have moved: views must be refreshed
    }
    if (body_state.error()) {
        co_await refuse(body_state);
        co_return false;
    }
    const std::string_view raw_body = m_stream.buffered().substr(head.consumed, body_state.consumed);
    req.body = req.chunked ? std::string_view(chunked_body) : raw_body;
    head.consumed += body_state.consumed;
    co_return true;
}

Task<> HttpServer::Connection::run_stream_handler(const StreamHandler& handler, std::size_t head_bytes) {
    OwnedRequest owned(request());
    const std::string route = route_of(request());
    release_exchange();             // the handler has its own copy of the request
    m_stream.consume(head_bytes);   // what follows the request belongs to the handler
    m_streaming = true;
    // The handler owns the connection now (it may have answered already): a failure can only be
    // reported, and the connection closes.
    try {
        co_await handler(std::move(owned), m_stream);
    } catch (const CancelledError&) {
        throw;
    } catch (const std::system_error& error) {
        if (!is_connection_error(error)) report_failure(route, error.what());
    } catch (...) {
        report_failure(route, detail::describe(std::current_exception()));
    }
}

Task<> HttpServer::Connection::run(HttpServer* server, Stream stream) {
    stream.allow_background_sends();  // io_uring: a response costs no send() of its own
    // The socket closes as soon as the connection ends, not when the frame is freed.
    struct CloseAtEnd {
        Stream& stream;
        ~CloseAtEnd() { stream.close(); }
    } close_at_end{stream};
    const bool admitted = server->admit();
    Connection connection(*server, stream);
    const Router& router = server->m_router;
    const ServerOptions& options = server->m_options;
    try {
        if (!admitted) {
            co_await connection.reject_busy();
            co_return;
        }
        for (;;) {
            // 1. A complete request head. Idle until its first byte, then the header time-out runs.
            ParseResult head = connection.parse_head();
            std::optional<TimePoint> head_deadline;
            while (head.partial()) {
                if (stream.write_buffer_size() > 0 && !stream.try_flush()) {
                    const bool flushed = co_await connection.flush_slowly();
                    if (!flushed) co_return;
                }
                const bool waiting_idle = stream.buffered().empty();
                if (waiting_idle) {
                    connection.release_exchange();  // an idle connection holds no request state
                    if (server->m_closing) co_return;
                } else if (!head_deadline) {
                    connection.m_request_started = get_event_loop().time();
                    head_deadline = detail::deadline_after(connection.m_request_started, options.header_timeout);
                }
                connection.m_idle = waiting_idle;
                bool ready = false;
                if (waiting_idle) {
                    ready = co_await TimedIoWait(stream, TimedIoWait::For::read, connection.m_timer,
                                                 detail::deadline_after(get_event_loop().time(), options.idle_timeout));
                } else {
                    ready = co_await connection.wait_for_request_bytes(*head_deadline);
                }
                connection.m_idle = false;
                connection.m_receiving_request = false;
                if (!ready) {
                    co_await connection.time_out(waiting_idle);
                    co_return;
                }
                if (!connection.receive()) co_return;  // EOF: the client is done
                head = connection.parse_head();
            }
            if (head.error()) {
                co_await connection.refuse(head);
                co_return;
            }
            if (!head_deadline) connection.m_request_started = get_event_loop().time();  // it came at once
            const TimePoint started = options.access_log ? get_event_loop().time() : TimePoint{};
            ServerRequest& request = connection.request();
            Response& response = connection.response();

            // 2. The body, if any.
            request.body = {};
            if (request.content_length || request.chunked) {
                const bool complete = co_await connection.read_body(head);
                if (!complete) co_return;
            }

            // 3. Dispatch.
            request.peer = connection.m_peer;
            const Router::Match route = router.match(request.method, request.path);
            if (route.stream_handler != nullptr) {
                co_await connection.run_stream_handler(*route.stream_handler, head.consumed);
                co_return;
            }
            response.reset();
            try {
                if (route.handler != nullptr) {
                    (*route.handler)(request, response);
                } else if (route.async_handler != nullptr) {
                    co_await (*route.async_handler)(request, response);
                } else {
                    connection.answer_unrouted(route);
                }
            } catch (const CancelledError&) {
                throw;  // the server is closing, or the connection's time-out: not the handler's fault
            } catch (...) {
                connection.answer_handler_failure(std::current_exception());
            }
            const bool keep_alive = request.keep_alive && !server->m_closing;
            const std::size_t output_before = stream.write_buffer_size();
            connection.answer(keep_alive);
            connection.log(started);
            stream.consume(head.consumed);
            const bool turn_used = connection.account(head.consumed, stream.write_buffer_size() - output_before);
            if (!keep_alive) {
                co_await connection.flush_before_close();
                co_return;
            }
            // 4. Pipelined requests already buffered are answered before one write sends them
            //    all, unless too much output is waiting.
            if (stream.write_buffer_size() > options.max_buffered_output) {
                const bool flushed = co_await connection.flush_slowly();
                if (!flushed) co_return;
            }
            // 5. The others' turn, after a bounded amount of work.
            if (turn_used) {
                connection.end_turn();
                co_await sleep(kYield);
            }
        }
    } catch (const std::system_error& error) {
        // The client reset or vanished: nothing to answer; the stream closes with the frame.
        // Anything else is a fault worth a line.
        if (!is_connection_error(error)) connection.report_failure("connection", error.what());
    }
}

}  // namespace asyncio::http
