// sensor-server on Linux: the command line, the OS's device facts, SIGINT/SIGTERM. The board's
// main builds Options and DeviceInfo in code and serves the same App.
#include "app.hpp"
#include "broker_client.hpp"
#include "fleet.hpp"
#include "history_file.hpp"
#include "linux_device.hpp"
#include "mqtt_publisher.hpp"
#include "network_info.hpp"
#include "options.hpp"
#include "sampler.hpp"
#include "sensors.hpp"
#include "tls_setup.hpp"

#include <asyncio/asyncio.hpp>

#include <chrono>
#include <cstdio>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace {

using namespace sensor_server;

/// The app's server options (app.cpp) and, with --log, an access log on stdout.
http::ServerOptions linux_server_options(const Options& options) {
    http::ServerOptions result = server_options(options);
    if (options.log) {
        result.access_log = [](const http::AccessLogEntry& entry) {
            std::printf("%s \"%.*s %.*s\" %d %zu %.3fms\n", std::string(entry.peer).c_str(),
                        static_cast<int>(entry.method.size()), entry.method.data(), static_cast<int>(entry.target.size()),
                        entry.target.data(), entry.status, entry.body_bytes,
                        std::chrono::duration<double, std::milli>(entry.duration).count());
            std::fflush(stdout);
        };
    }
    return result;
}

/// An --alert on a quantity the sensor does not report would never fire: a mistake, said at start.
void check_alert_quantities(const Options& options, const Reading& reading) {
    for (const AlertRule& rule : options.alerts) {
        if (reading.get(rule.key)) continue;
        std::string known;
        for (std::size_t i = 0; i < reading.count; ++i) known.append(i ? ", " : "").append(reading.quantities[i].name);
        throw std::invalid_argument("--alert '" + rule.text() + "': the sensor reports no " + rule.key +
                                    " (it reports " + known + ")");
    }
}

/// --mqtt-topic, or sensors/<hostname> by default.
std::string device_prefix(const Options& options) {
    if (!options.mqtt_topic.empty()) return options.mqtt_topic;
    return "sensors/" + topic_level(read_network_info().hostname);
}

/// Cancels `task` and waits for it to end, whatever it ends with (it was a background task;
/// how it failed has been reported).
asyncio::Task<> stop_task(asyncio::Task<>& task) {
    task.cancel();
    try {
        co_await task;
    } catch (const asyncio::CancelledError&) {
    } catch (const std::exception& error) {
        std::fprintf(stderr, "sensor-server: %s\n", error.what());
    }
}

/// How often --history-file is rewritten while readings come (and once more at shutdown).
constexpr auto kSaveHistoryEvery = std::chrono::seconds(10);

/// Waits for the history file's last write (run() returns after it; it never fails).
asyncio::Task<> stop_saving(asyncio::Task<>& saving) {
    try {
        co_await saving;
    } catch (const std::exception& error) {
        std::fprintf(stderr, "sensor-server: %s\n", error.what());
    }
}

asyncio::Task<int> serve(Options options) {
    // The certificates and keys first: a bad file stops the server before anything starts.
    const WebTls web_tls = make_web_tls(options);
    const asyncio::mqtt::OpenStream broker_tls = make_broker_tls(options);
    Sampler sampler(make_sensor(options.sensor),
                    std::chrono::duration_cast<std::chrono::milliseconds>(duration_of(options.interval_s)), options.history);
    // --history-file: a folder that takes no files stops the server here (exit 2); the readings
    // kept by the run before come back with their ids, and this run's first reading follows them.
    std::optional<HistoryFile> history_file;
    if (!options.history_file.empty()) {
        HistoryFile& file = history_file.emplace(options.history_file, std::string(sampler.sensor().name()));
        // Parsed on a worker thread: a long --history takes a while (about 3 s a million readings),
        // which the loop would report as a stall.
        const std::size_t keep = options.history;
        const std::vector<Sample> kept = co_await asyncio::to_thread([&file, keep] { return file.load(keep); });
        sampler.restore(kept);
    }
    sampler.sample_once();
    check_alert_quantities(options, sampler.history().latest().reading);
    App app(options, sampler, linux_device_info());
    std::optional<Fleet> fleet;
    if (options.fleet) fleet.emplace(options, app, broker_tls);  // its routes, before the server starts
    http::HttpServer server(app.router(), linux_server_options(options));
    app.attach(server);
    if (web_tls.append_metrics) app.add_metrics(web_tls.append_metrics);
    try {
        co_await server.start(options.host, options.port, web_tls.listen);
    } catch (const std::system_error& error) {
        // A name that does not resolve, or an address that is not this machine's: a bad --host,
        // said once (not getaddrinfo's text joined to errno's) and, like every bad flag, exit 2.
        if (error.code() != std::errc::address_not_available) throw;
        throw std::invalid_argument("--host '" + options.host +
                                    "' is neither an address of this machine nor a name that resolves to one");
    }
    std::printf("sensor-server: serving %s://%s:%u/ (sensor %s, every %g s)\n", web_tls.listen ? "https" : "http",
                options.host.find(':') != std::string::npos ? ("[" + options.host + "]").c_str() : options.host.c_str(),
                server.port(), std::string(sampler.sensor().name()).c_str(), options.interval_s);
    std::fflush(stdout);

    asyncio::Task<> sampling = asyncio::create_task(sampler.run(), "sampler");
    std::optional<asyncio::Task<>> saving;
    if (history_file) saving = asyncio::create_task(history_file->run(sampler.history(), kSaveHistoryEvery), "history file");
    std::optional<MqttPublisher> publisher;
    std::optional<asyncio::Task<>> publishing;
    if (options.mqtt) {
        publisher.emplace(*options.mqtt, device_prefix(options), sampler, broker_tls);
        publishing = asyncio::create_task(publisher->run(), "mqtt publisher");
    }
    std::optional<asyncio::Task<>> tracking;
    if (fleet) tracking = asyncio::create_task(fleet->run(), "fleet");
    if (publisher || fleet) {
        app.add_metrics([&publisher, &fleet](std::string& out) {
            const BrokerClient* clients[2];
            std::size_t count = 0;
            if (publisher) clients[count++] = &publisher->broker();
            if (fleet) clients[count++] = &fleet->broker();
            append_mqtt_metrics(out, clients, count);
            if (publisher) publisher->append_metrics(out);
        });
    }
    auto shut_down = [&server, &app, &fleet] {
        app.end_live_streams();
        if (fleet) fleet->end_live_streams();
        server.close();
    };
    asyncio::add_signal_handler(SIGINT, shut_down);
    asyncio::add_signal_handler(SIGTERM, shut_down);
    co_await server.wait_closed();
    if (publishing) {
        co_await stop_task(*publishing);
        co_await publisher->stop();
    }
    if (tracking) {
        co_await stop_task(*tracking);
        co_await fleet->stop();
    }
    sampling.cancel();
    if (saving) {  // the last write, once no reading can come
        history_file->stop();
        co_await stop_saving(*saving);
    }
    std::printf("sensor-server: stopped\n");
    co_return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const CommandLine command_line = parse_command_line(argc, argv);
    if (!command_line.options) {
        std::fputs(command_line.message.c_str(), command_line.exit_code == 0 ? stdout : stderr);
        return command_line.exit_code;
    }
    try {
        return asyncio::run(serve(*command_line.options));
    } catch (const std::invalid_argument& error) {
        std::fprintf(stderr, "sensor-server: %s\nTry 'sensor-server --help'.\n", error.what());
        return 2;
    } catch (const std::exception& error) {
        std::fprintf(stderr, "sensor-server: %s\n", error.what());
        return 1;
    }
}
