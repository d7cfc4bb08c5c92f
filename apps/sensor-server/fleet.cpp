#include "fleet.hpp"
#include "asset_response.hpp"
#include "fleet_assets.hpp"
#include "reading.hpp"

#include <asyncio/core/errors.hpp>
#include <asyncio/core/task_group.hpp>
#include <asyncio/core/timeout.hpp>
#include <asyncio/http/response.hpp>

#include <chrono>
#include <optional>
#include <string_view>

namespace sensor_server {

namespace {

using namespace std::chrono_literals;

mqtt::Options client_options() {
    mqtt::Options options;
    options.client_id = "";  // the broker names it: a viewer needs no session
    options.keepalive = 30s;
    options.connect_timeout = 5s;
    return options;
}

}  // namespace

Fleet::Fleet(const Options& options, App& app, mqtt::OpenStream open_stream)
    : m_filter(options.fleet_topic),
      m_write_timeout_s(options.write_timeout_s),
      m_broker("fleet", *options.fleet, client_options(), std::move(open_stream)) {
    http::Router& routes = app.routes();
    routes.get("/fleet", [this](const auto& req, auto& res) { page(req, res); });
    routes.get_prefix("/fleet/static/", [this](const auto& req, auto& res) { asset(req, res); });
    routes.get("/api/fleet", [this](const auto& req, auto& res) { api(req, res); });
    routes.stream("/fleet/events", [this](http::OwnedRequest req, asyncio::Stream& stream) { return events(std::move(req), stream); });
}

asyncio::Task<> Fleet::run() {
    co_await m_broker.connect();
    // Retained messages arrive first: every device that said something before we came.
    mqtt::Subscription readings = co_await m_broker.client().subscribe(m_filter + "/reading", mqtt::QoS::at_least_once);
    mqtt::Subscription statuses = co_await m_broker.client().subscribe(m_filter + "/status", mqtt::QoS::at_least_once);
    asyncio::TaskGroup group;
    (void)group.create_task(track(readings), "fleet readings");
    (void)group.create_task(track(statuses), "fleet statuses");
    (void)group.create_task(log_reconnections(), "fleet connection");
    co_await group.wait();
}

asyncio::Task<> Fleet::track(mqtt::Subscription& messages) {
    for (;;) {
        const mqtt::Message message = co_await messages.get();
        if (m_state.apply(message.topic, message.payload, unix_ms())) m_changes.publish(m_state.version());
    }
}

asyncio::Task<> Fleet::log_reconnections() {
    for (;;) co_await m_broker.wait_reconnected();
}

void Fleet::page(const http::ServerRequest&, http::Response& response) const {
    const fleet_web::Asset* page = fleet_web::find_asset("fleet.html");
    response.html(std::string(page->body));
    response.set_header("Content-Security-Policy", kContentSecurityPolicy);
    add_no_store_headers(response);
}

void Fleet::asset(const http::ServerRequest& request, http::Response& response) const {
    // /fleet/static/fleet.js is the asset /static/fleet.js: exact names only, no traversal.
    serve_asset(fleet_web::find_asset(request.path.substr(std::string_view("/fleet").size())), request, response);
}

void Fleet::api(const http::ServerRequest&, http::Response& response) const {
    std::string& out = response.body();
    out.clear();
    m_state.append_json(out);
    response.set_content_type("application/json");
    add_no_store_headers(response);
}

std::uint64_t Fleet::queue_changes(http::EventStream& events, std::uint64_t version) const {
    std::uint64_t newest = version;
    std::string json;
    for (const auto& [prefix, device] : m_state.devices()) {
        if (device.version <= version) continue;
        json.clear();
        FleetState::append_device_json(json, prefix, device);
        events.queue(json, std::nullopt, "device");
        newest = std::max(newest, device.version);
    }
    return newest;
}

asyncio::Task<> Fleet::events(http::OwnedRequest request, asyncio::Stream& stream) {
    // A backlog of one version: a client that falls behind is sent every device changed since
    // what it got last, each once, with its latest state; it never misses a device.
    auto changes = m_changes.subscribe(1);
    http::EventStream events(request, stream, event_stream_options(m_write_timeout_s));
    std::uint64_t sent = queue_changes(events, 0);
    for (;;) {
        co_await events.flush();
        if (events.head_only()) co_return;
        const std::optional<std::uint64_t> version = co_await events.next([&] { return changes.get(); });
        if (!version) co_return;  // shutting down
        sent = queue_changes(events, sent);
    }
}

}  // namespace sensor_server
