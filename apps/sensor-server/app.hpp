#pragma once
// sensor-server's routes: the dashboard, the JSON API, live readings (SSE and WebSocket),
// metrics and introspection. Each group lives in its own file: dashboard.cpp, api.cpp, live.cpp.
// Portable: the same App runs on Linux and on a board; what differs is in DeviceInfo, given by
// each main.

#include "device_info.hpp"
#include "loop_figures.hpp"
#include "options.hpp"
#include "sampler.hpp"

#include <asyncio/core/event.hpp>
#include <asyncio/core/platform.hpp>
#include <asyncio/http/event_stream.hpp>
#include <asyncio/http/router.hpp>
#include <asyncio/http/server.hpp>
#include <asyncio/http/websocket_handshake.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace sensor_server {

namespace http = asyncio::http;

class App {
public:
    /// Call on the loop's thread: the uptime DeviceInfo does not give is counted from here.
    App(const Options& options, Sampler& sampler, DeviceInfo device);
    /// Network facts that never change and nothing else known (tests, benchmarks).
    App(const Options& options, Sampler& sampler, NetworkInfo network);
    ~App();
    App(const App&) = delete;
    App& operator=(const App&) = delete;

    [[nodiscard]] const http::Router& router() const noexcept { return m_router; }
    /// For a platform part that serves more (the Linux build's /fleet): add routes before the
    /// server starts.
    [[nodiscard]] http::Router& routes() noexcept { return m_router; }
    /// Adds figures to /metrics: `append` writes Prometheus text (metrics_text.hpp) at each request.
    /// With several loops (--workers), they are the process's figures, added on one loop only.
    void add_metrics(std::function<void(std::string&)> append) { m_metric_sources.push_back(std::move(append)); }
    /// Adds a counter of this loop's to /metrics, summed over every loop: `value` is called at
    /// each request, on this loop's thread. Every loop adds the same counters.
    void add_counter(std::string name, std::string help, std::function<double()> value);
    /// This loop's figures for /metrics (and its tasks too, for /debug/tasks). Call it on the
    /// loop's thread.
    [[nodiscard]] LoopFigures figures(bool with_tasks) const;
    /// Gathers the other loops' figures: suspends until each has made its own (on its thread).
    using GatherFigures = std::function<asyncio::Task<std::vector<LoopFigures>>(bool with_tasks)>;
    /// With a loop per core (--workers): this App serves loop `index`, and `gather` collects the
    /// figures of the other loops for /metrics and /debug/tasks, which add this loop's own.
    /// Without it, they cover this loop.
    void join_loops(std::size_t index, GatherFigures gather) {
        m_loop_index = index;
        m_gather = std::move(gather);
    }
    /// The server whose figures /metrics reports (set once it exists).
    void attach(const http::HttpServer& server) noexcept { m_server = &server; }
    /// Ends every live stream (SSE, WebSocket): part of a graceful shutdown.
    void end_live_streams() noexcept;

private:
    // dashboard.cpp
    void dashboard(const http::ServerRequest& request, http::Response& response) const;
    void static_asset(const http::ServerRequest& request, http::Response& response) const;
    void favicon(const http::ServerRequest& request, http::Response& response) const;
    // api.cpp
    void api_sensor(const http::ServerRequest& request, http::Response& response) const;
    void api_history(const http::ServerRequest& request, http::Response& response) const;
    void api_history_csv(const http::ServerRequest& request, http::Response& response) const;
    void api_quantities(const http::ServerRequest& request, http::Response& response) const;
    void api_device(const http::ServerRequest& request, http::Response& response) const;
    asyncio::Task<> metrics(const http::ServerRequest& request, http::Response& response) const;
    asyncio::Task<> debug_tasks(const http::ServerRequest& request, http::Response& response) const;
    /// Every loop's figures (this loop's alone without join_loops()), in loop order.
    [[nodiscard]] asyncio::Task<std::vector<LoopFigures>> all_figures(bool with_tasks) const;
    // live.cpp
    asyncio::Task<> events(http::OwnedRequest request, asyncio::Stream& stream);
    asyncio::Task<> websocket(http::OwnedRequest request, asyncio::Stream& stream);

    [[nodiscard]] NetworkInfo network() const;
    [[nodiscard]] double uptime_s() const;
    /// The sampling interval now (an MQTT command may have changed --interval).
    [[nodiscard]] double interval_s() const;
    [[nodiscard]] std::optional<std::size_t> free_heap_bytes() const;
    /// --alert: each rule, whether the latest reading breaks it, and how often readings began to.
    struct AlertState {
        AlertRule rule;
        bool active = false;
        std::uint64_t triggered = 0;
    };
    void check_alerts(const Reading& reading);
    /// For /metrics and /debug/tasks: true if `request` may see them, else the refusal (401 or
    /// 403) is in `response`.
    [[nodiscard]] bool admin_allowed(const http::ServerRequest& request, http::Response& response) const;

    Options m_options;
    Sampler& m_sampler;
    DeviceInfo m_device;
    asyncio::TimePoint m_started;  ///< loop time at construction: uptime when m_device has none
    http::Router m_router;
    http::OriginPolicy m_origins;  ///< who may open /ws, from --allow-origin
    const http::HttpServer* m_server = nullptr;
    asyncio::Event m_live_streams_ended;
    std::uint64_t m_live_clients = 0;
    std::vector<std::function<void(std::string&)>> m_metric_sources;
    struct CounterSource {
        std::string name;
        std::string help;
        std::function<double()> value;
    };
    std::vector<CounterSource> m_counters;
    std::size_t m_loop_index = 0;
    GatherFigures m_gather;
    std::vector<AlertState> m_alerts;
};

/// What the Server header of every response and event stream says.
inline constexpr std::string_view kServerName = "sensor-server";

/// A number of seconds from the command line (or a board's options) as the loop's Duration.
[[nodiscard]] asyncio::Duration duration_of(double seconds);

/// The HTTP server's options from the app's: the time-outs, the connection cap and "Server:
/// sensor-server", defined here once for every main (a main may add its access log).
[[nodiscard]] http::ServerOptions server_options(const Options& options);

/// How the server's event streams (/events, /fleet/events) are sent: a 2 s reconnection delay,
/// keep-alive comments, the write time-out given, and the dashboard's headers.
[[nodiscard]] http::EventStream::Options event_stream_options(double write_timeout_s);

/// Headers every response of the dashboard and API carries (safe defaults).
void add_security_headers(http::Response& response);
/// The security headers and Cache-Control: no-store, for answers that change (the API,
/// /metrics, /healthz, the page), checked once and added with one copy.
void add_no_store_headers(http::Response& response);

}  // namespace sensor_server
