#pragma once
// Linux part: --mqtt. Publishes every reading to PREFIX/reading (the JSON of /api/sensor,
// retained, QoS 1), PREFIX/status "online" (retained; "offline" is the last will and is sent on
// a clean shutdown), and applies PREFIX/cmd/interval commands to the sampler.
//
// Offline, nothing piles up: the publisher waits for the broker's acknowledgement of one
// reading at a time and takes the sampler's readings through a backlog of one, so while the
// broker is away it holds the reading being sent and the latest one taken since, no more. The
// latest is what a retained topic keeps anyway.

#include "broker_client.hpp"
#include "options.hpp"
#include "sampler.hpp"

#include <asyncio/core/task.hpp>
#include <asyncio/mqtt/client.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace sensor_server {

class MqttPublisher {
public:
    /// `open_stream`: how to reach an mqtts:// broker (tls_setup.hpp); empty for mqtt://.
    MqttPublisher(const BrokerAddress& broker, std::string prefix, Sampler& sampler, mqtt::OpenStream open_stream = {});

    /// Connects (retrying until the broker is there), then publishes and listens to commands
    /// until cancelled. Never ends because of the broker: the client reconnects by itself.
    [[nodiscard]] asyncio::Task<> run();
    /// A clean shutdown: "offline" to PREFIX/status and DISCONNECT, at most a few seconds.
    /// Cancel run() first.
    [[nodiscard]] asyncio::Task<> stop();

    [[nodiscard]] const BrokerClient& broker() const noexcept { return m_broker; }
    [[nodiscard]] const std::string& prefix() const noexcept { return m_prefix; }
    /// Appends the publisher's figures to /metrics: readings the broker acknowledged, readings
    /// replaced by a newer one before they could be sent (the broker was away or slow), and
    /// readings waiting now (at most two: the one being sent and the latest since).
    void append_metrics(std::string& out) const;

private:
    [[nodiscard]] asyncio::Task<> publish_readings();
    [[nodiscard]] asyncio::Task<> apply_commands(mqtt::Subscription& commands);
    [[nodiscard]] asyncio::Task<> announce_after_reconnects();
    [[nodiscard]] asyncio::Task<> announce_online();
    void apply_interval_command(std::string_view payload);

    std::string m_prefix;
    Sampler& m_sampler;
    BrokerClient m_broker;
    bool m_connected_once = false;
    /// The sampler's readings, with a backlog of one (see the head of this file).
    asyncio::Topic<Sample>::Subscription m_readings;
    std::uint64_t m_published = 0;  ///< readings the broker acknowledged
    bool m_sending = false;         ///< a reading's publish waits for the broker
};

}  // namespace sensor_server
