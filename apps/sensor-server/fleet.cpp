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

/// An idle event stream gets a comment this often (as /events).
constexpr auto kKeepAliveEvery = 15s;

mqtt::Options client_options() {
    mqtt::Options options;
    options.client_id = "";  // the broker names it: a viewer needs no session
    options.keepalive = 30s;
    options.connect_timeout = 5s;
    return options;
}

asyncio::Duration seconds(double value) {
    return std::chrono::duration_cast<asyncio::Duration>(std::chrono::duration<double>(value));
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

std::uint64_t Fleet::append_changes(std::string& out, std::uint64_t version) const {
    std::uint64_t newest = version;
    for (const auto& [prefix, device] : m_state.devices()) {
        if (device.version <= version) continue;
        out.append("event: device\ndata: ");
        FleetState::append_device_json(out, prefix, device);
        out.append("\n\n");
        newest = std::max(newest, device.version);
    }
    return newest;
}

asyncio::Task<> Fleet::events(http::OwnedRequest request, asyncio::Stream& stream) {
    // A backlog of one version: a client that falls behind is sent every device changed since
    // what it got last, each once, with its latest state; it never misses a device.
    auto changes = m_changes.subscribe(1);
    std::string out = begin_event_stream(stream);
    const bool head_only = request.method == "HEAD";
    std::uint64_t sent = 0;
    if (!head_only) {
        out.append("retry: 2000\n\n");
        sent = append_changes(out, 0);
    }
    const asyncio::Duration write_timeout = seconds(m_write_timeout_s);
    try {
        for (;;) {
            stream.write(out);
            out.clear();
            co_await asyncio::wait_for(stream.drain(), write_timeout);
            if (head_only) co_return;
            try {
                const std::optional<std::uint64_t> version = co_await asyncio::wait_for(changes.get(), kKeepAliveEvery);
                if (!version) co_return;  // shutting down
            } catch (const asyncio::TimeoutError&) {
                out.append(": keep-alive\n\n");
                continue;
            }
            sent = append_changes(out, sent);
        }
    } catch (const asyncio::TimeoutError&) {
        stream.abort();  // the client stopped reading: drop it rather than buffer for it
    }
}

}  // namespace sensor_server
