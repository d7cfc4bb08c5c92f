#pragma once
// Linux part: one MQTT connection of sensor-server (--mqtt or --fleet), kept up for as long as
// the server runs. The library's client reconnects by itself once connected; this adds the
// first connection (retried with the same back-off, so a broker down at start never stops the
// web server), one log line per connection lost or regained, and the counters for /metrics.

#include "options.hpp"

#include <asyncio/core/task.hpp>
#include <asyncio/mqtt/client.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace sensor_server {

namespace mqtt = asyncio::mqtt;

class BrokerClient {
public:
    /// `role` names the connection in logs and metrics ("mqtt", "fleet"). `open_stream` opens
    /// the connection to an mqtts:// broker (tls_setup.hpp); empty for mqtt://.
    BrokerClient(std::string role, const BrokerAddress& broker, mqtt::Options options,
                 mqtt::OpenStream open_stream = {});

    /// Suspends until connected, trying again with growing delays (up to the reconnect
    /// policy's max_delay) while the broker is unreachable or refuses. Cancellable.
    [[nodiscard]] asyncio::Task<> connect();
    /// Suspends until the connection was lost and is back again, logging both events.
    [[nodiscard]] asyncio::Task<> wait_reconnected();
    /// Sends DISCONNECT (no will) and closes, at most a few seconds. Idempotent.
    [[nodiscard]] asyncio::Task<> disconnect();

    /// The connected client; only after connect() returned.
    [[nodiscard]] mqtt::Client& client() noexcept { return *m_client; }
    [[nodiscard]] bool is_connected() const noexcept { return m_client && m_client->is_connected(); }
    [[nodiscard]] mqtt::ClientStats stats() const noexcept { return m_client ? m_client->stats() : mqtt::ClientStats{}; }
    [[nodiscard]] const std::string& role() const noexcept { return m_role; }
    [[nodiscard]] const std::string& broker_text() const noexcept { return m_broker_text; }

private:
    std::string m_role;
    std::string m_broker_text;  ///< "mqtt://127.0.0.1:1883", for the logs
    mqtt::Options m_options;
    std::optional<mqtt::Client> m_client;
};

/// Appends the Prometheus families of the clients' figures (connected, connections, losses,
/// messages sent and received), one sample per client labelled with its role.
void append_mqtt_metrics(std::string& out, const BrokerClient* const* clients, std::size_t count);

}  // namespace sensor_server
