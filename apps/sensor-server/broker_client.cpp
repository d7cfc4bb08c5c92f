#include "broker_client.hpp"
#include "metrics_text.hpp"

#include <asyncio/core/errors.hpp>
#include <asyncio/core/sleep.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <stdexcept>

namespace sensor_server {

namespace {

using namespace std::chrono_literals;

/// How often the connection's state is looked at for the log lines (the client has no callback).
constexpr auto kWatchEvery = 250ms;

}  // namespace

BrokerClient::BrokerClient(std::string role, const BrokerAddress& broker, mqtt::Options options,
                           mqtt::OpenStream open_stream)
    : m_role(std::move(role)),
      m_broker_text(std::string(broker.tls ? "mqtts://" : "mqtt://") +
                    (broker.host.find(':') != std::string::npos ? "[" + broker.host + "]" : broker.host) + ":" +
                    std::to_string(broker.port)),
      m_options(std::move(options)) {
    // An mqtts:// broker reached in plain TCP would be a silent downgrade: refuse it.
    if (broker.tls && !open_stream) throw std::invalid_argument(m_broker_text + " needs TLS (--mqtt-cafile)");
    m_options.host = broker.host;
    m_options.port = broker.port;
    if (broker.tls) m_options.open_stream = std::move(open_stream);
}

asyncio::Task<> BrokerClient::connect() {
    auto delay = std::chrono::duration_cast<std::chrono::milliseconds>(m_options.reconnect.initial_delay);
    bool reported = false;
    for (;;) {
        // A client's first connect() is not retried by the library, and a failed one cannot
        // be started again: a new client per attempt.
        m_client.emplace(m_options);
        try {
            co_await m_client->connect();
            std::printf("sensor-server: %s: connected to %s\n", m_role.c_str(), m_broker_text.c_str());
            std::fflush(stdout);
            co_return;
        } catch (const asyncio::CancelledError&) {
            throw;
        } catch (const std::exception& error) {
            if (!reported) {
                std::fprintf(stderr, "sensor-server: %s: %s not reachable (%s); retrying in the background\n",
                             m_role.c_str(), m_broker_text.c_str(), error.what());
                std::fflush(stderr);
                reported = true;
            }
        }
        co_await asyncio::sleep(delay);
        delay = std::min(std::chrono::duration_cast<std::chrono::milliseconds>(delay * m_options.reconnect.multiplier),
                         std::chrono::duration_cast<std::chrono::milliseconds>(m_options.reconnect.max_delay));
    }
}

asyncio::Task<> BrokerClient::wait_reconnected() {
    const std::uint64_t connections = m_client->stats().connections;
    bool loss_reported = false;
    for (;;) {
        co_await asyncio::sleep(kWatchEvery);
        const bool connected = m_client->is_connected();
        const bool reconnected = connected && m_client->stats().connections != connections;
        if (!loss_reported && (!connected || reconnected)) {
            std::fprintf(stderr, "sensor-server: %s: connection to %s lost (%s); reconnecting\n", m_role.c_str(),
                         m_broker_text.c_str(), m_client->last_error().c_str());
            std::fflush(stderr);
            loss_reported = true;
        }
        if (reconnected) {
            std::printf("sensor-server: %s: connected again to %s\n", m_role.c_str(), m_broker_text.c_str());
            std::fflush(stdout);
            co_return;
        }
    }
}

asyncio::Task<> BrokerClient::disconnect() {
    if (m_client) co_await m_client->disconnect();
}

void append_mqtt_metrics(std::string& out, const BrokerClient* const* clients, std::size_t count) {
    struct Family {
        const char* name;
        const char* type;
        const char* help;
        double (*value)(const BrokerClient&);
    };
    static constexpr Family kFamilies[] = {
        {"mqtt_connected", "gauge", "1 while connected to the MQTT broker, else 0.",
         [](const BrokerClient& c) { return c.is_connected() ? 1.0 : 0.0; }},
        {"mqtt_connections_total", "counter", "Successful connections to the MQTT broker.",
         [](const BrokerClient& c) { return static_cast<double>(c.stats().connections); }},
        {"mqtt_connection_losses_total", "counter", "MQTT connections that ended without a disconnect.",
         [](const BrokerClient& c) { return static_cast<double>(c.stats().connection_losses); }},
        {"mqtt_messages_sent_total", "counter", "MQTT PUBLISH packets sent (resends included).",
         [](const BrokerClient& c) { return static_cast<double>(c.stats().messages_sent); }},
        {"mqtt_messages_received_total", "counter", "MQTT messages received on subscriptions.",
         [](const BrokerClient& c) { return static_cast<double>(c.stats().messages_received); }},
    };
    for (const Family& family : kFamilies) {
        append_metric_family(out, family.name, family.type, family.help);
        for (std::size_t i = 0; i < count; ++i) {
            append_metric_sample(out, std::string(family.name) + "{client=\"" + clients[i]->role() + "\"}",
                                 family.value(*clients[i]));
        }
    }
}

}  // namespace sensor_server
