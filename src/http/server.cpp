#include <asyncio/http/server.hpp>

#include <asyncio/io/detail/buffer_pool.hpp>  // ASYNCIO_SMALL_BUFFERS

#include <string>
#include <string_view>

#include "connection.hpp"

namespace asyncio::http {

namespace {

/// What the accept loop sends a connection it sheds (out of descriptors for too long, see
/// Server::set_refusal_message). Fixed bytes, so without Date: RFC 9110 6.6.1 leaves it optional
/// on a 5xx, and a date frozen at start-up would be wrong.
std::string shed_response(std::string_view server_name) {
    Response refusal;
    refusal.error(503, "server out of resources, retry shortly");
    refusal.set_header("Retry-After", "1");
    std::string out;
    append_response(out, refusal, {.keep_alive = false, .dated = false, .server_name = server_name});
    return out;
}

#if ASYNCIO_SMALL_BUFFERS
// A microcontroller (io/detail/buffer_pool.hpp): nothing is kept beyond what is in use.
constexpr std::size_t kMaxFreeExchanges = 0;
constexpr std::size_t kMaxPooledBody = 0;
#else
/// Exchanges a server keeps for reuse beyond those in use (each about 2.3 KiB).
constexpr std::size_t kMaxFreeExchanges = 32;
/// A pooled response whose body grew beyond this (a large page) gives that memory back.
constexpr std::size_t kMaxPooledBody = 64 * 1024;
#endif

}  // namespace

std::unique_ptr<HttpServer::Exchange> HttpServer::take_exchange() {
    if (m_free_exchanges.empty()) return std::make_unique<Exchange>();
    std::unique_ptr<Exchange> exchange = std::move(m_free_exchanges.back());
    m_free_exchanges.pop_back();
    return exchange;
}

void HttpServer::give_exchange(std::unique_ptr<Exchange> exchange) noexcept {
    if (m_free_exchanges.size() == kMaxFreeExchanges) return;  // the unique_ptr frees it
    if (exchange->response.body().capacity() > kMaxPooledBody) std::string().swap(exchange->response.body());
    if (exchange->chunked_body.capacity() > kMaxPooledBody) std::string().swap(exchange->chunked_body);
    m_free_exchanges.push_back(std::move(exchange));  // reserved: cannot throw
}

// --- HttpServer ---

HttpServer::HttpServer(const Router& router, ServerOptions options) : m_router(router), m_options(std::move(options)) {
    m_free_exchanges.reserve(kMaxFreeExchanges);  // give_exchange() then never allocates
}

HttpServer::~HttpServer() {
    close();
    // Connections still running (the caller did not await wait_closed()) must not reach back
    // into this object when their tasks end.
    while (!m_connections.empty()) m_connections.pop_front().orphan();
}

Task<> HttpServer::start(std::string host, std::uint16_t port) { return start(std::move(host), port, Listen()); }

Task<> HttpServer::start(std::string host, std::uint16_t port, Listen listen) {
    HttpServer* self = this;
    Server::Callback handler = [self](Stream stream) { return serve(self, std::move(stream)); };
    if (listen) {
        m_server = co_await listen(std::move(handler), std::move(host), port, m_options.listen_options);
    } else {
        m_server = co_await start_server(std::move(handler), std::move(host), port, m_options.listen_options);
    }
    m_server.set_refusal_message(shed_response(m_options.server_name));
}

Task<> HttpServer::serve(HttpServer* server, Stream stream) { return Connection::run(server, std::move(stream)); }

void HttpServer::close() noexcept {
    if (m_closing) return;
    m_closing = true;
    m_server.close();
    if (m_stats.active_connections == 0) m_all_closed.set();
    m_connections.for_each([](Connection& connection) {
        if (connection.idle() || connection.streaming()) connection.cancel();
    });
}

Task<> HttpServer::wait_closed() { co_await m_all_closed.wait(); }

}  // namespace asyncio::http
