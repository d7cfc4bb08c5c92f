// An MQTT client publishing a (simulated) temperature every second and printing what arrives on
// the topics it subscribed to. Needs a broker: `mosquitto` on 127.0.0.1:1883, or
//   example_mqtt_sensor HOST PORT
// Watch it with: mosquitto_sub -t 'sensors/#' -v
#include <asyncio/asyncio.hpp>
#include <asyncio/mqtt/mqtt.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

using namespace std::chrono_literals;
namespace mqtt = asyncio::mqtt;

asyncio::Task<> print_messages(mqtt::Subscription& sub) {
    for (;;) {
        mqtt::Message message = co_await sub.get();
        std::printf("%s = %s\n", message.topic.c_str(), message.payload.c_str());
    }
}

asyncio::Task<> main_task(std::string host, std::uint16_t port) {
    mqtt::Options options;
    options.host = std::move(host);
    options.port = port;
    options.client_id = "example-sensor";
    options.keepalive = 10s;
    options.will = mqtt::Will{"sensors/example/status", "offline", mqtt::QoS::at_least_once, true};
    mqtt::Client client = co_await mqtt::connect(options);
    co_await client.publish("sensors/example/status", "online", mqtt::QoS::at_least_once, true);

    mqtt::Subscription sub = co_await client.subscribe("sensors/+/temperature");
    auto printer = asyncio::create_task(print_messages(sub));
    double temperature = 21.0;
    for (int i = 0; i < 10; ++i) {
        temperature += 0.1;
        co_await client.publish("sensors/example/temperature", std::to_string(temperature));
        co_await asyncio::sleep(1s);
    }
    printer.cancel();
    co_await client.publish("sensors/example/status", "offline", mqtt::QoS::at_least_once, true);
    co_await client.disconnect();
}

int main(int argc, char** argv) {
    const std::string host = argc > 1 ? argv[1] : "127.0.0.1";
    const auto port = static_cast<std::uint16_t>(argc > 2 ? std::atoi(argv[2]) : 1883);
    try {
        asyncio::run(main_task(host, port));
    } catch (const std::exception& error) {
        std::fprintf(stderr, "mqtt_sensor: %s\n", error.what());
        return 1;
    }
}
