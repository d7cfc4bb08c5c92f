// MQTT publish throughput over one connection: asyncio-cpp's mqtt::Client against libmosquitto
// (the C client of the Eclipse Mosquitto project), measured in the same run against the same
// broker: a mosquitto this program starts on a free port of 127.0.0.1 (no persistence, no
// subscribers) and stops by its PID at the end.
//
//   build/bench/mqtt_publish_bench [QOS0_MESSAGES [QOS1_MESSAGES [RUNS]]]   (200000 50000 5)
//
// Each run connects a fresh client (not timed), then times the publication of N messages of 64
// bytes to one topic (MQTT 3.1.1):
//   QoS 0  N messages, then one QoS 1 message whose PUBACK says the broker has read them all.
//   QoS 1  N messages, at most 64 outstanding (published, not yet acknowledged), at most 20 in
//          flight on the wire (libmosquitto's default window; ours is set to the same); done at
//          the last PUBACK.
// msgs/s is N over the wall time; CPU/msg is the process's user+system CPU time (getrusage
// RUSAGE_SELF: the client only, the broker is another process) over N. Runs of the two clients
// alternate, and each figure is the median of RUNS.
//
// How each client is driven, the way its documentation suggests for one thread:
//   asyncio-cpp   QoS 0: `co_await client.publish(...)` in a loop (it returns at once while the
//                 connection's buffer has room). QoS 1: 64 tasks, each awaiting its publishes in
//                 turn (publish() returns at the PUBACK).
//   libmosquitto  mosquitto_publish() (it writes each message to the socket at once when it can,
//                 else queues it) and mosquitto_loop() for the acknowledgements, in the caller's
//                 thread (no mosquitto_loop_start thread); options left at their defaults
//                 (Nagle on) but the window.
//
// Built without libmosquitto's headers (Debian: libmosquitto-dev), it measures asyncio-cpp alone
// and says so.
#include <asyncio/asyncio.hpp>
#include <asyncio/mqtt/client.hpp>

#if ASYNCIO_BENCH_LIBMOSQUITTO
#include <mosquitto.h>
#endif

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "mqtt/mosquitto_process.hpp"  // tests/: the broker the MQTT tests start, the same way

namespace {

using namespace std::chrono_literals;
namespace mqtt = asyncio::mqtt;

constexpr int kOutstanding = 64;   // QoS 1: published and not yet acknowledged, at most
constexpr int kInflight = 20;      // QoS 1: on the wire without PUBACK, at most
constexpr std::size_t kPayloadSize = 64;
const char* const kTopic = "bench/publish";

using mqtt_test::find_program;

// ---------------------------------------------------------------------------------------------
// Measuring

struct Sample {
    double seconds = 0;
    double cpu_seconds = 0;
};

double cpu_now() {
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

class Stopwatch {
public:
    Stopwatch() : m_wall(std::chrono::steady_clock::now()), m_cpu(cpu_now()) {}
    [[nodiscard]] Sample stop() const {
        return {std::chrono::duration<double>(std::chrono::steady_clock::now() - m_wall).count(), cpu_now() - m_cpu};
    }

private:
    std::chrono::steady_clock::time_point m_wall;
    double m_cpu;
};

const std::string& payload() {
    static const std::string bytes(kPayloadSize, 'x');
    return bytes;
}

// ---------------------------------------------------------------------------------------------
// asyncio-cpp

asyncio::Task<> publish_share(mqtt::Client& client, int count) {
    for (int i = 0; i < count; ++i) co_await client.publish(kTopic, payload(), mqtt::QoS::at_least_once);
}

asyncio::Task<Sample> ours(std::uint16_t port, int qos, int messages, int run) {
    mqtt::Options options;
    options.port = port;
    options.client_id = "bench-ours-" + std::to_string(qos) + "-" + std::to_string(run);
    options.limits.max_inflight = kInflight;
    options.limits.max_queued = kOutstanding;
    mqtt::Client client(options);
    co_await client.connect();
    const Stopwatch watch;
    if (qos == 0) {
        for (int i = 0; i < messages; ++i) co_await client.publish(kTopic, payload(), mqtt::QoS::at_most_once);
        co_await client.publish(kTopic, payload(), mqtt::QoS::at_least_once);  // read them all?
    } else {
        std::vector<asyncio::Task<>> tasks;
        for (int k = 0; k < kOutstanding; ++k) {
            const int share = messages / kOutstanding + (k < messages % kOutstanding ? 1 : 0);
            tasks.push_back(asyncio::create_task(publish_share(client, share)));
        }
        for (auto& task : tasks) co_await task;
    }
    const Sample sample = watch.stop();
    co_await client.disconnect();
    co_return sample;
}

// ---------------------------------------------------------------------------------------------
// libmosquitto

#if ASYNCIO_BENCH_LIBMOSQUITTO
struct TheirState {
    bool connected = false;
    int acknowledged = 0;  // QoS 1 PUBACKs (on_publish also fires for QoS 0 once written)
    int marker_mid = -1;
    bool marker_done = false;
};

void check(int rc, const char* what) {
    if (rc != MOSQ_ERR_SUCCESS) throw std::runtime_error(std::string(what) + ": " + mosquitto_strerror(rc));
}

Sample theirs(std::uint16_t port, int qos, int messages, int run) {
    TheirState state;
    const std::string id = "bench-libmosquitto-" + std::to_string(qos) + "-" + std::to_string(run);
    mosquitto* mosq = mosquitto_new(id.c_str(), true, &state);
    if (mosq == nullptr) throw std::runtime_error("mosquitto_new");
    check(mosquitto_int_option(mosq, MOSQ_OPT_SEND_MAXIMUM, kInflight), "MOSQ_OPT_SEND_MAXIMUM");
    mosquitto_connect_callback_set(mosq, [](mosquitto*, void* data, int rc) {
        static_cast<TheirState*>(data)->connected = rc == 0;
    });
    mosquitto_publish_callback_set(mosq, [](mosquitto*, void* data, int mid) {
        auto* s = static_cast<TheirState*>(data);
        if (mid == s->marker_mid) s->marker_done = true;
        ++s->acknowledged;
    });
    check(mosquitto_connect(mosq, "127.0.0.1", port, 60), "mosquitto_connect");
    while (!state.connected) check(mosquitto_loop(mosq, 1000, 1), "mosquitto_loop (CONNACK)");

    const Stopwatch watch;
    const int size = static_cast<int>(payload().size());
    if (qos == 0) {
        for (int i = 0; i < messages; ++i) check(mosquitto_publish(mosq, nullptr, kTopic, size, payload().data(), 0, false), "mosquitto_publish");
        check(mosquitto_publish(mosq, &state.marker_mid, kTopic, size, payload().data(), 1, false), "mosquitto_publish");
        while (!state.marker_done) check(mosquitto_loop(mosq, 1000, 1), "mosquitto_loop");
    } else {
        int published = 0;
        while (state.acknowledged < messages) {
            while (published < messages && published - state.acknowledged < kOutstanding) {
                check(mosquitto_publish(mosq, nullptr, kTopic, size, payload().data(), 1, false), "mosquitto_publish");
                ++published;
            }
            check(mosquitto_loop(mosq, 1000, 1), "mosquitto_loop");
        }
    }
    const Sample sample = watch.stop();
    mosquitto_disconnect(mosq);
    mosquitto_loop(mosq, 100, 1);
    mosquitto_destroy(mosq);
    return sample;
}
#endif

// ---------------------------------------------------------------------------------------------

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    const std::size_t n = values.size();
    return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

struct Figures {
    double msgs_per_second = 0;
    double cpu_us_per_message = 0;
};

Figures summarise(const std::vector<Sample>& samples, int messages) {
    std::vector<double> rates;
    std::vector<double> cpu;
    for (const Sample& s : samples) {
        rates.push_back(messages / s.seconds);
        cpu.push_back(s.cpu_seconds * 1e6 / messages);
    }
    return {median(rates), median(cpu)};
}

void print_runs(const char* name, const std::vector<Sample>& samples, int messages) {
    std::printf("  %-13s runs:", name);
    for (const Sample& s : samples) std::printf(" %.0f/s %.2fus", messages / s.seconds, s.cpu_seconds * 1e6 / messages);
    std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
    const int qos0_messages = argc > 1 ? std::atoi(argv[1]) : 200000;
    const int qos1_messages = argc > 2 ? std::atoi(argv[2]) : 50000;
    const int runs = argc > 3 ? std::max(1, std::atoi(argv[3])) : 5;
    const std::string program = find_program("mosquitto");
    if (program.empty()) {
        std::printf("mosquitto is not installed (scripts/deps.sh test): nothing measured\n");
        return 0;
    }
#if ASYNCIO_BENCH_LIBMOSQUITTO
    mosquitto_lib_init();
    int major = 0, minor = 0, revision = 0;
    mosquitto_lib_version(&major, &minor, &revision);
    std::printf("MQTT publish throughput, one connection, %zu-byte payloads, MQTT 3.1.1, median of %d runs;\n"
                "asyncio-cpp against libmosquitto %d.%d.%d, same broker\n",
                kPayloadSize, runs, major, minor, revision);
#else
    std::printf("MQTT publish throughput, one connection, %zu-byte payloads, MQTT 3.1.1, median of %d runs;\n"
                "built without libmosquitto (install libmosquitto-dev and reconfigure): asyncio-cpp alone\n",
                kPayloadSize, runs);
#endif
    mqtt_test::Mosquitto broker;
    if (!broker.start()) throw std::runtime_error("mosquitto did not start");
    std::printf("broker: %s on 127.0.0.1:%u (pid %d)\n", program.c_str(), broker.port(), static_cast<int>(broker.pid()));

    for (const int qos : {0, 1}) {
        const int messages = qos == 0 ? qos0_messages : qos1_messages;
        std::vector<Sample> our_samples;
        std::vector<Sample> their_samples;
        for (int run = 0; run < runs; ++run) {
            our_samples.push_back(asyncio::run(ours(broker.port(), qos, messages, run)));
#if ASYNCIO_BENCH_LIBMOSQUITTO
            their_samples.push_back(theirs(broker.port(), qos, messages, run));
#endif
        }
        std::printf("QoS %d, %d messages per run:\n", qos, messages);
        print_runs("asyncio-cpp", our_samples, messages);
        const Figures our = summarise(our_samples, messages);
        std::printf("  %-13s %10.0f msgs/s  %6.3f us CPU/msg\n", "asyncio-cpp", our.msgs_per_second, our.cpu_us_per_message);
        if (!their_samples.empty()) {
            print_runs("libmosquitto", their_samples, messages);
            const Figures their = summarise(their_samples, messages);
            std::printf("  %-13s %10.0f msgs/s  %6.3f us CPU/msg\n", "libmosquitto", their.msgs_per_second, their.cpu_us_per_message);
            std::printf("  ours/libmosquitto: msgs/s %.2fx (goal >= %.1fx), CPU/msg %.2fx (goal < 1)\n",
                        our.msgs_per_second / their.msgs_per_second, qos == 0 ? 1.5 : 1.0,
                        our.cpu_us_per_message / their.cpu_us_per_message);
        }
        std::fflush(stdout);
    }
#if ASYNCIO_BENCH_LIBMOSQUITTO
    mosquitto_lib_cleanup();
#endif
    return 0;
}
