#pragma once
// Linux part: --fleet. Subscribes to FILTER/reading and FILTER/status on a broker and serves what
// it learns: GET /fleet (a card per device), GET /api/fleet (JSON) and GET /fleet/events (Server-
// Sent Events: an `event: device` per device at once, then one per change).

#include "app.hpp"
#include "broker_client.hpp"
#include "fleet_state.hpp"
#include "options.hpp"

#include <asyncio/core/task.hpp>
#include <asyncio/core/topic.hpp>

#include <cstdint>
#include <string>

namespace sensor_server {

class Fleet {
public:
    /// Adds the fleet's routes to `app`. `open_stream`: how to reach an mqtts:// broker
    /// (tls_setup.hpp); empty for mqtt://.
    Fleet(const Options& options, App& app, mqtt::OpenStream open_stream = {});

    /// Connects (retrying until the broker is there) and tracks the devices until cancelled.
    [[nodiscard]] asyncio::Task<> run();
    /// Ends the live streams (/fleet/events): part of a graceful shutdown.
    void end_live_streams() noexcept { m_changes.close(); }
    [[nodiscard]] asyncio::Task<> stop() { return m_broker.disconnect(); }

    [[nodiscard]] const BrokerClient& broker() const noexcept { return m_broker; }
    [[nodiscard]] const FleetState& state() const noexcept { return m_state; }

private:
    [[nodiscard]] asyncio::Task<> track(mqtt::Subscription& messages);
    [[nodiscard]] asyncio::Task<> log_reconnections();
    void page(const http::ServerRequest& request, http::Response& response) const;
    void asset(const http::ServerRequest& request, http::Response& response) const;
    void api(const http::ServerRequest& request, http::Response& response) const;
    asyncio::Task<> events(http::OwnedRequest request, asyncio::Stream& stream);
    /// Queues an event for each device changed after `version`; returns the newest version queued.
    std::uint64_t queue_changes(http::EventStream& events, std::uint64_t version) const;

    std::string m_filter;
    double m_write_timeout_s;
    BrokerClient m_broker;
    FleetState m_state;
    asyncio::Topic<std::uint64_t> m_changes;  ///< the state's version after each change
};

}  // namespace sensor_server
