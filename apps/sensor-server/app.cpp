#include "app.hpp"

namespace sensor_server {

App::App(const Options& options, Sampler& sampler, NetworkInfo network)
    : m_options(options), m_sampler(sampler), m_network(std::move(network)) {
    // Handlers are plain lambdas calling members; the coroutine ones pass what they need as
    // parameters (a capturing coroutine lambda would dangle, PITFALLS.md).
    m_router.get("/", [this](const auto& req, auto& res) { dashboard(req, res); });
    m_router.get_prefix("/static/", [this](const auto& req, auto& res) { static_asset(req, res); });
    m_router.get("/api/sensor", [this](const auto& req, auto& res) { api_sensor(req, res); });
    m_router.get("/api/history", [this](const auto& req, auto& res) { api_history(req, res); });
    m_router.get("/metrics", [this](const auto& req, auto& res) { metrics(req, res); });
    m_router.get("/debug/tasks", [this](const auto& req, auto& res) { debug_tasks(req, res); });
    m_router.get("/healthz", [](const auto&, auto& res) {
        res.text("ok\n");
        add_no_store_headers(res);
    });
    m_router.stream("/events", [this](http::OwnedRequest req, asyncio::Stream& stream) { return events(std::move(req), stream); });
    m_router.stream("/ws", [this](http::OwnedRequest req, asyncio::Stream& stream) { return websocket(std::move(req), stream); });
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
