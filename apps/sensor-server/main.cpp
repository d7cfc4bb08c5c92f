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
#include "worker_loops.hpp"

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

/// DeviceInfo of every loop: the Linux facts, and the uptime counted from one moment for all of
/// them (each loop's clock has its own origin).
DeviceInfo device_info() {
    DeviceInfo device = linux_device_info();
    const auto started = std::chrono::steady_clock::now();
    device.uptime_s = [started] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(); };
    return device;
}

/// A reading shared with the other loops: the sample and the interval it was taken at.
SharedReading shared_reading(const Sample& sample, const Sampler& sampler) {
    SharedReading shared;
    shared.sample = sample;
    shared.interval = sampler.interval();
    return shared;
}

/// The readings kept so far, oldest first: each other loop starts from a copy.
std::vector<Sample> kept_readings(const History& history) {
    std::vector<Sample> kept;
    history.for_each_after(0, [&kept](const Sample& sample) { kept.push_back(sample); });
    return kept;
}

/// Loops 1 to N-1 (--workers N), and what loop 0 shares with them; nothing with one loop.
struct OtherLoops {
    LoopGroup group;
    ReadingBroadcast readings;
    std::optional<WorkerLoops> workers;
    explicit OtherLoops(std::size_t loops) : group(loops), readings(loops - 1, kCrossLoopBacklog) {}
};

/// Stops the other loops and waits, on a thread that is no loop's, until their threads end.
asyncio::Task<> stop_other_loops(OtherLoops& others) {
    if (!others.workers) co_return;
    WorkerLoops* workers = &*others.workers;
    workers->stop();
    co_await asyncio::to_thread([workers] { workers->join(); });
}

asyncio::Task<int> serve(Options options) {
    // The certificates and keys first: a bad file stops the server before anything starts.
    const WebTls web_tls = make_web_tls(options);
    const asyncio::mqtt::OpenStream broker_tls = make_broker_tls(options);
    const std::size_t loops = resolve_workers(options.workers);
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
    const DeviceInfo device = device_info();
    App app(options, sampler, device);
    std::optional<Fleet> fleet;
    if (options.fleet) fleet.emplace(options, app, broker_tls);  // its routes, before the server starts
    http::ServerOptions server_settings = linux_server_options(options);
    // With several loops, each listens on the same port: the kernel spreads connections.
    server_settings.listen_options.reuse_port = loops > 1;
    http::HttpServer server(app.router(), server_settings);
    app.attach(server);
    for (const WebTlsCounter& counter : web_tls.counters) app.add_counter(counter.name, counter.help, counter.value);
    try {
        co_await server.start(options.host, options.port, web_tls.listen);
    } catch (const std::system_error& error) {
        // A name that does not resolve, or an address that is not this machine's: a bad --host,
        // said once (not getaddrinfo's text joined to errno's) and, like every bad flag, exit 2.
        if (error.code() != std::errc::address_not_available) throw;
        throw std::invalid_argument("--host '" + options.host +
                                    "' is neither an address of this machine nor a name that resolves to one");
    }
    std::optional<OtherLoops> others;
    if (loops > 1) {
        others.emplace(loops);
        OtherLoops& shared = *others;
        app.add_counter(kDroppedReadingsMetric, kDroppedReadingsHelp, [] { return 0.0; });
        app.join_loops(0, [&shared](bool with_tasks) { return shared.group.gather(0, with_tasks); });
        // Before the sampler runs: the other loops start from the readings so far and get every
        // later one through their mailboxes, which exist from now on.
        sampler.on_stored([&shared, &sampler](const Sample& sample) { shared.readings.publish(shared_reading(sample, sampler)); });
        shared.workers.emplace(options, server.port(), server_settings, device, web_tls, shared.group,
                               shared.readings, kept_readings(sampler.history()));
        std::exception_ptr failed;
        try {
            co_await shared.workers->wait_until_listening();
        } catch (...) {
            failed = std::current_exception();
        }
        if (failed) {
            server.close();
            co_await stop_other_loops(shared);
            std::rethrow_exception(failed);
        }
    }
    std::printf("sensor-server: serving %s://%s:%u/ (sensor %s, every %g s", web_tls.listen ? "https" : "http",
                options.host.find(':') != std::string::npos ? ("[" + options.host + "]").c_str() : options.host.c_str(),
                server.port(), std::string(sampler.sensor().name()).c_str(), options.interval_s);
    if (loops > 1) std::printf(", %zu event loops", loops);
    std::printf(")\n");
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
    if (others) {
        // Loop 0 stops as the others do: through the group, whichever loop asks first.
        LoopGroup& group = others->group;
        group.attach(0, asyncio::get_event_loop(), [&app](bool with_tasks) { return app.figures(with_tasks); }, shut_down);
        asyncio::add_signal_handler(SIGINT, [&group] { group.stop_all(); });
        asyncio::add_signal_handler(SIGTERM, [&group] { group.stop_all(); });
    } else {
        asyncio::add_signal_handler(SIGINT, shut_down);
        asyncio::add_signal_handler(SIGTERM, shut_down);
    }
    co_await server.wait_closed();
    if (others) others->group.detach(0);
    if (publishing) {
        co_await stop_task(*publishing);
        co_await publisher->stop();
    }
    if (tracking) {
        co_await stop_task(*tracking);
        co_await fleet->stop();
    }
    sampling.cancel();
    sampler.on_stored(nullptr);
    if (saving) {  // the last write, once no reading can come
        history_file->stop();
        co_await stop_saving(*saving);
    }
    bool other_loop_failed = false;
    if (others) {
        co_await stop_other_loops(*others);
        other_loop_failed = others->workers->failed();
    }
    std::printf("sensor-server: stopped\n");
    co_return other_loop_failed ? 1 : 0;
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
