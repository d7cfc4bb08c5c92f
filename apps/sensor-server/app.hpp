#pragma once
// sensor-server's routes: the dashboard, the JSON API, live readings (SSE and WebSocket),
// metrics and introspection. Each group lives in its own file: dashboard.cpp, api.cpp, live.cpp.

#include "network_info.hpp"
#include "options.hpp"
#include "sampler.hpp"

#include <asyncio/core/event.hpp>
#include <asyncio/http/router.hpp>
#include <asyncio/http/server.hpp>

#include <cstdint>

namespace sensor_server {

namespace http = asyncio::http;

class App {
public:
    App(const Options& options, Sampler& sampler, NetworkInfo network);

    [[nodiscard]] const http::Router& router() const noexcept { return m_router; }
    /// The server whose figures /metrics reports (set once it exists).
    void attach(const http::HttpServer& server) noexcept { m_server = &server; }
    /// Ends every live stream (SSE, WebSocket): part of a graceful shutdown.
    void end_live_streams() noexcept;

private:
    // dashboard.cpp
    void dashboard(const http::ServerRequest& request, http::Response& response) const;
    void static_asset(const http::ServerRequest& request, http::Response& response) const;
    // api.cpp
    void api_sensor(const http::ServerRequest& request, http::Response& response) const;
    void api_history(const http::ServerRequest& request, http::Response& response) const;
    void metrics(const http::ServerRequest& request, http::Response& response) const;
    void debug_tasks(const http::ServerRequest& request, http::Response& response) const;
    // live.cpp
    asyncio::Task<> events(http::OwnedRequest request, asyncio::Stream& stream);
    asyncio::Task<> websocket(http::OwnedRequest request, asyncio::Stream& stream);

    Options m_options;
    Sampler& m_sampler;
    NetworkInfo m_network;
    http::Router m_router;
    const http::HttpServer* m_server = nullptr;
    asyncio::Event m_live_streams_ended;
    std::uint64_t m_live_clients = 0;
};

/// Headers every response of the dashboard and API carries (safe defaults).
void add_security_headers(http::Response& response);
/// The security headers and Cache-Control: no-store, for answers that change (the API,
/// /metrics, /healthz, the page), checked once and added with one copy.
void add_no_store_headers(http::Response& response);

}  // namespace sensor_server
