// Who is served when the server is at its connection cap (ServerOptions::max_connections): an
// idle keep-alive connection is closed for the newcomer; failing that, the connection slowest to
// send its request is shed with 408; failing that, the newcomer gets 503.
#include <asyncio/http/server.hpp>

#include <asyncio/core/loop.hpp>

#include <optional>

#include "connection.hpp"

namespace asyncio::http {

bool HttpServer::admit() noexcept {
    if (m_stats.active_connections < m_options.max_connections) return true;
    bool found = false;
    m_connections.for_each([&](Connection& connection) {
        if (!found && connection.idle()) {
            found = true;
            ++m_stats.idle_closed_for_room;
            connection.close_for_room();
        }
    });
    if (found) return true;
    // Every slot busy: the connection slowest to send its request gives way, rather than the
    // newcomer, so that clients trickling requests cannot hold every slot.
    Connection* slowest = slowest_sender();
    if (slowest == nullptr) return false;
    ++m_stats.slow_closed_for_room;
    slowest->shed();
    return true;
}

HttpServer::Connection* HttpServer::slowest_sender() noexcept {
    const TimePoint now = get_event_loop().time();
    Connection* slowest = nullptr;
    double slowest_rate = 0;
    m_connections.for_each([&](Connection& connection) {
        const std::optional<double> rate = connection.request_rate(now, m_options.shed_after);
        if (rate && (slowest == nullptr || *rate < slowest_rate)) {
            slowest = &connection;
            slowest_rate = *rate;
        }
    });
    return slowest;
}

}  // namespace asyncio::http
