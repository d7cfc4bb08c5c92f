#include "mqtt_publisher.hpp"
#include "metrics_text.hpp"
#include "number_text.hpp"
#include "reading.hpp"

#include <asyncio/core/errors.hpp>
#include <asyncio/core/task_group.hpp>
#include <asyncio/core/timeout.hpp>

#include <chrono>
#include <cstdio>
#include <exception>

namespace sensor_server {

namespace {

using namespace std::chrono_literals;

/// The longest a clean shutdown waits for the broker to take "offline".
constexpr auto kOfflineTimeout = 1500ms;

mqtt::Options client_options(const std::string& prefix) {
    mqtt::Options options;
    // Empty: the broker names the client, so two servers never knock each other off.
    options.client_id = "";
    options.keepalive = 30s;
    options.connect_timeout = 5s;
    options.will = mqtt::Will{prefix + "/status", "offline", mqtt::QoS::at_least_once, true};
    return options;
}

/// A payload as a log line may show it: at most 40 printable characters.
std::string printable(std::string_view payload) {
    std::string text;
    for (const char c : payload.substr(0, 40)) text.push_back(c >= 0x20 && c < 0x7f ? c : '?');
    if (payload.size() > 40) text.append("...");
    return text;
}

}  // namespace

MqttPublisher::MqttPublisher(const BrokerAddress& broker, std::string prefix, Sampler& sampler,
                             mqtt::OpenStream open_stream)
    : m_prefix(std::move(prefix)),
      m_sampler(sampler),
      m_broker("mqtt", broker, client_options(m_prefix), std::move(open_stream)),
      m_readings(sampler.topic().subscribe(1)) {}

asyncio::Task<> MqttPublisher::run() {
    co_await m_broker.connect();
    m_connected_once = true;
    co_await announce_online();
    mqtt::Subscription commands =
        co_await m_broker.client().subscribe(m_prefix + "/cmd/interval", mqtt::QoS::at_least_once);
    asyncio::TaskGroup group;
    (void)group.create_task(publish_readings(), "mqtt readings");
    (void)group.create_task(apply_commands(commands), "mqtt commands");
    (void)group.create_task(announce_after_reconnects(), "mqtt status");
    co_await group.wait();
}

asyncio::Task<> MqttPublisher::announce_online() {
    co_await m_broker.client().publish(m_prefix + "/status", "online", mqtt::QoS::at_least_once, true);
}

asyncio::Task<> MqttPublisher::announce_after_reconnects() {
    // The broker published the will when the connection broke (and forgot everything retained
    // if it restarted): say "online" again after every reconnection.
    for (;;) {
        co_await m_broker.wait_reconnected();
        co_await announce_online();
    }
}

asyncio::Task<> MqttPublisher::publish_readings() {
    // A backlog of one: while a publish waits for the broker, newer readings replace each other.
    const std::string topic = m_prefix + "/reading";
    std::string json;
    append_json(json, m_sampler.history().latest().reading);  // retained at once, not after an interval
    for (;;) {
        m_sending = true;
        co_await m_broker.client().publish(topic, json, mqtt::QoS::at_least_once, true);
        m_sending = false;
        ++m_published;
        std::optional<Sample> sample = co_await m_readings.get();  // named: g++ 12
        if (!sample) co_return;  // the sampler's topic closed: shutting down
        json.clear();
        append_json(json, sample->reading);
    }
}

void MqttPublisher::append_metrics(std::string& out) const {
    append_metric_family(out, "mqtt_readings_published_total", "counter",
                         "Readings published to PREFIX/reading and acknowledged by the broker.");
    append_metric_sample(out, "mqtt_readings_published_total", static_cast<double>(m_published));
    append_metric_family(out, "mqtt_readings_dropped_total", "counter",
                         "Readings replaced by a newer one before they could be published (broker away or slow).");
    append_metric_sample(out, "mqtt_readings_dropped_total", static_cast<double>(m_readings.dropped()));
    append_metric_family(out, "mqtt_readings_queued", "gauge",
                         "Readings waiting to be published: the one being sent and the latest since, at most 2.");
    append_metric_sample(out, "mqtt_readings_queued", static_cast<double>((m_sending ? 1 : 0) + m_readings.pending()));
}

asyncio::Task<> MqttPublisher::apply_commands(mqtt::Subscription& commands) {
    for (;;) {
        const mqtt::Message message = co_await commands.get();
        apply_interval_command(message.payload);
    }
}

void MqttPublisher::apply_interval_command(std::string_view payload) {
    const std::optional<double> seconds = parse_interval_command(payload);
    if (!seconds) {
        std::fprintf(stderr, "sensor-server: ignored %s/cmd/interval '%s': needs a number of seconds from %s to %s\n",
                     m_prefix.c_str(), printable(payload).c_str(), number_text(kMinIntervalS).c_str(),
                     number_text(kMaxIntervalS).c_str());
        std::fflush(stderr);
        return;
    }
    const auto interval = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::duration<double>(*seconds));
    m_sampler.set_interval(interval);
    std::printf("sensor-server: interval set to %s s by %s/cmd/interval\n", number_text(*seconds).c_str(), m_prefix.c_str());
    std::fflush(stdout);
}

asyncio::Task<> MqttPublisher::stop() {
    if (m_connected_once && m_broker.is_connected()) {
        try {
            co_await asyncio::wait_for(
                m_broker.client().publish(m_prefix + "/status", "offline", mqtt::QoS::at_least_once, true),
                kOfflineTimeout);
        } catch (const asyncio::CancelledError&) {
            throw;
        } catch (const std::exception& error) {
            std::fprintf(stderr, "sensor-server: mqtt: could not publish offline: %s\n", error.what());
        }
    }
    co_await m_broker.disconnect();
}

}  // namespace sensor_server
