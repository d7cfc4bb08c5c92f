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
    m_router.get("/metrics", [this](const auto& req, auto& res) { metrics(req, res); });
    m_router.get("/debug/tasks", [this](const auto& req, auto& res) { debug_tasks(req, res); });
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
