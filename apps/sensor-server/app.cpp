#include "app.hpp"

#include <asyncio/core/loop.hpp>

#include <chrono>

namespace sensor_server {

namespace {
DeviceInfo fixed_network(NetworkInfo network) {
    DeviceInfo device;
    device.network = [network = std::move(network)] { return network; };
    return device;
}
}  // namespace

App::App(const Options& options, Sampler& sampler, NetworkInfo network)
    : App(options, sampler, fixed_network(std::move(network))) {}

App::App(const Options& options, Sampler& sampler, DeviceInfo device)
    : m_options(options),
      m_sampler(sampler),
      m_device(std::move(device)),
      m_started(asyncio::get_event_loop().time()),
      m_origins{options.allowed_origins} {
    // Handlers are plain lambdas calling members; the coroutine ones pass what they need as
    // parameters (a capturing coroutine lambda would dangle, docs/TOOLCHAIN.md).
    for (const AlertRule& rule : options.alerts) m_alerts.push_back(AlertState{rule});
    if (!m_alerts.empty()) {
        if (!m_sampler.history().empty()) check_alerts(m_sampler.history().latest().reading);
        m_sampler.on_sample([this](const Reading& reading) { check_alerts(reading); });
    }
    m_router.get("/", [this](const auto& req, auto& res) { dashboard(req, res); });
    m_router.get_prefix("/static/", [this](const auto& req, auto& res) { static_asset(req, res); });
    m_router.get("/favicon.ico", [this](const auto& req, auto& res) { favicon(req, res); });
    m_router.get("/api/sensor", [this](const auto& req, auto& res) { api_sensor(req, res); });
    m_router.get("/api/history", [this](const auto& req, auto& res) { api_history(req, res); });
    m_router.get("/api/history.csv", [this](const auto& req, auto& res) { api_history_csv(req, res); });
    m_router.get("/api/quantities", [this](const auto& req, auto& res) { api_quantities(req, res); });
    m_router.get("/api/device", [this](const auto& req, auto& res) { api_device(req, res); });
    // Async: with several loops (--workers), the others' figures are asked for and awaited.
    m_router.get_async("/metrics", [this](const auto& req, auto& res) { return metrics(req, res); });
    m_router.get_async("/debug/tasks", [this](const auto& req, auto& res) { return debug_tasks(req, res); });
    m_router.get("/healthz", [](const auto&, auto& res) {
        res.text("ok\n");
        add_no_store_headers(res);
    });
    m_router.stream("/events", [this](http::OwnedRequest req, asyncio::Stream& stream) { return events(std::move(req), stream); });
    m_router.stream("/ws", [this](http::OwnedRequest req, asyncio::Stream& stream) { return websocket(std::move(req), stream); });
}

App::~App() {
    if (!m_alerts.empty()) m_sampler.on_sample(nullptr);
}

void App::check_alerts(const Reading& reading) {
    for (AlertState& alert : m_alerts) {
        const std::optional<double> value = reading.get(alert.rule.key);
        const bool active = value && alert.rule.broken_by(*value);
        if (active && !alert.active) ++alert.triggered;
        alert.active = active;
    }
}

bool App::admin_allowed(const http::ServerRequest& request, http::Response& response) const {
    if (m_options.admin_token.empty()) {
        if (is_loopback_host(m_options.host) || !m_options.admin_needs_token_beyond_loopback) return true;
        response.error(403, "this server listens beyond this machine: start it with --admin-token to open this page");
        add_no_store_headers(response);
        return false;
    }
    const std::string_view given = request.header("Authorization");
    const std::string_view expected = m_options.admin_token;
    bool same = given.size() == expected.size() + 7 && given.substr(0, 7) == "Bearer ";
    // Compared in full whatever differs first, so the time taken does not tell how much matched.
    unsigned char difference = same ? 0 : 1;
    for (std::size_t i = 0; i < expected.size(); ++i) {
        const unsigned char g = i + 7 < given.size() ? static_cast<unsigned char>(given[i + 7]) : 0;
        difference |= static_cast<unsigned char>(g ^ static_cast<unsigned char>(expected[i]));
    }
    if (difference == 0) return true;
    response.error(401, "this page needs Authorization: Bearer and the --admin-token");
    response.set_header("WWW-Authenticate", "Bearer realm=\"sensor-server\"");
    add_no_store_headers(response);
    return false;
}

NetworkInfo App::network() const { return m_device.network ? m_device.network() : NetworkInfo{}; }

double App::uptime_s() const {
    if (m_device.uptime_s) return m_device.uptime_s();
    return std::chrono::duration<double>(asyncio::get_event_loop().time() - m_started).count();
}

double App::interval_s() const { return std::chrono::duration<double>(m_sampler.interval()).count(); }

std::optional<std::size_t> App::free_heap_bytes() const {
    return m_device.free_heap_bytes ? m_device.free_heap_bytes() : std::nullopt;
}

void App::end_live_streams() noexcept {
    m_live_streams_ended.set();
    m_sampler.topic().close();
}

asyncio::Duration duration_of(double seconds) {
    return std::chrono::duration_cast<asyncio::Duration>(std::chrono::duration<double>(seconds));
}

http::ServerOptions server_options(const Options& options) {
    http::ServerOptions result;
    result.header_timeout = duration_of(options.header_timeout_s);
    result.idle_timeout = duration_of(options.idle_timeout_s);
    result.write_timeout = duration_of(options.write_timeout_s);
    result.server_name = kServerName;
    result.max_connections = options.max_connections;
    return result;
}

// X-Content-Type-Options: nosniff is on every response already (http::append_response).
void add_security_headers(http::Response& response) {
    static const http::HeaderBlock headers{{"Referrer-Policy", "no-referrer"}};
    response.add_headers(headers);
}

void add_no_store_headers(http::Response& response) {
    static const http::HeaderBlock headers{{"Cache-Control", "no-store"}, {"Referrer-Policy", "no-referrer"}};
    response.add_headers(headers);
}

}  // namespace sensor_server
