#include "worker_loops.hpp"

#include "app.hpp"
#include "sampler.hpp"
#include "sensors.hpp"
#include "tls_setup.hpp"

#include <asyncio/core/detail/task_state.hpp>
#include <asyncio/core/errors.hpp>
#include <asyncio/core/loop.hpp>
#include <asyncio/core/to_thread.hpp>

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <utility>

namespace sensor_server {

std::size_t resolve_workers(std::size_t workers) {
    if (workers != 0) return workers;
    const std::size_t cores = std::thread::hardware_concurrency();
    return std::clamp<std::size_t>(cores, 1, kMaxWorkers);
}

namespace {

/// What one worker thread is given (copies: the thread outlives nothing of its creator's but
/// the group and the broadcast).
struct WorkerStart {
    std::size_t index = 0;
    Options options;
    std::uint16_t port = 0;
    asyncio::http::ServerOptions server_options;
    DeviceInfo device;
    std::vector<Sample> history;
    LoopGroup* group = nullptr;
    ReadingBroadcast* readings = nullptr;
    const WebTls* first_loop_tls = nullptr;
    std::promise<void>* listening = nullptr;
    std::atomic<bool>* failed = nullptr;
};

/// Stores every reading loop 0 broadcasts in this loop's copy, until the broadcast closes.
asyncio::Task<> copy_readings(ReadingBroadcast& readings, std::size_t receiver, Sampler& copy) {
    for (;;) {
        const std::vector<SharedReading> batch = co_await readings.receive(receiver);  // named: g++ 12
        if (batch.empty()) co_return;
        for (const SharedReading& shared : batch) {
            if (shared.interval != copy.interval()) copy.set_interval(shared.interval);
            copy.store_copy(shared.sample);
        }
    }
}

/// Loop `start.index`: listens, says so through `start.listening` (`told`), serves until the
/// group stops it, then leaves the group before its App and server go.
asyncio::Task<> serve_loop(WorkerStart& start, bool& told) {
    const Options& options = start.options;
    const std::size_t receiver = start.index - 1;
    // Its own ServerTls (certificate, key, random generator): one is used on one thread only.
    // The session-ticket keys are loop 0's, so a returning client resumes on any loop.
    const WebTls web_tls = make_web_tls(options, start.first_loop_tls);
    Sampler copy(make_sensor(options.sensor),
                 std::chrono::duration_cast<std::chrono::milliseconds>(duration_of(options.interval_s)), options.history);
    copy.restore(start.history);
    App app(options, copy, start.device);
    http::HttpServer server(app.router(), start.server_options);
    app.attach(server);
    for (const WebTlsCounter& counter : web_tls.counters) app.add_counter(counter.name, counter.help, counter.value);
    ReadingBroadcast& readings = *start.readings;
    app.add_counter(kDroppedReadingsMetric, kDroppedReadingsHelp,
                    [&readings, receiver] { return static_cast<double>(readings.dropped(receiver)); });
    LoopGroup& group = *start.group;
    const std::size_t index = start.index;
    app.join_loops(index, [&group, index](bool with_tasks) { return group.gather(index, with_tasks); });
    co_await server.start(options.host, start.port, web_tls.listen);
    group.attach(index, asyncio::get_event_loop(), [&app](bool with_tasks) { return app.figures(with_tasks); },
                 [&app, &server] {
                     app.end_live_streams();
                     server.close();
                 });
    told = true;
    start.listening->set_value();
    asyncio::Task<> copying = asyncio::create_task(copy_readings(readings, receiver, copy), "readings from loop 0");
    co_await server.wait_closed();
    group.detach(index);
    copying.cancel();
    try {
        co_await copying;
    } catch (const asyncio::CancelledError&) {
    }
}

/// SIGINT and SIGTERM go to loop 0's thread (its handlers stop every loop), not to a worker's.
void block_stop_signals() {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

void run_worker(WorkerStart start) {
    block_stop_signals();
    bool told = false;
    try {
        asyncio::EventLoop loop;
        loop.run_until_complete(serve_loop(start, told));
    } catch (...) {
        if (!told) {
            start.listening->set_exception(std::current_exception());
            return;
        }
        // A loop that served and then failed: said, and the whole server stops (exit 1), rather
        // than serve on with a loop the kernel no longer sends connections to.
        std::fprintf(stderr, "sensor-server: loop %zu: %s\n", start.index,
                     asyncio::detail::describe(std::current_exception()).c_str());
        start.failed->store(true);
        start.group->stop_all();
    }
}

}  // namespace

WorkerLoops::WorkerLoops(const Options& options, std::uint16_t port, const asyncio::http::ServerOptions& server_options,
                         const DeviceInfo& device, const WebTls& first_loop_tls, LoopGroup& group,
                         ReadingBroadcast& readings, std::vector<Sample> history)
    : m_group(group), m_readings(readings) {
    asyncio::http::ServerOptions sharing = server_options;
    sharing.listen_options.reuse_port = true;
    for (std::size_t index = 1; index < group.size(); ++index) {
        auto worker = std::make_unique<Worker>();
        m_listening.push_back(worker->listening.get_future());
        WorkerStart start;
        start.index = index;
        start.options = options;
        start.port = port;
        start.server_options = sharing;
        start.device = device;
        start.history = history;
        start.group = &group;
        start.readings = &readings;
        start.first_loop_tls = &first_loop_tls;
        start.listening = &worker->listening;
        start.failed = &m_failed;
        worker->thread = std::thread(run_worker, std::move(start));
        m_workers.push_back(std::move(worker));
    }
}

WorkerLoops::~WorkerLoops() {
    stop();
    join();
}

asyncio::Task<> WorkerLoops::wait_until_listening() {
    std::vector<std::future<void>>* listening = &m_listening;
    co_await asyncio::to_thread([listening] {
        for (std::future<void>& one : *listening) {
            if (one.valid()) one.get();  // rethrows the loop's error
        }
    });
}

void WorkerLoops::stop() {
    m_group.stop_all();
    m_readings.close();
}

void WorkerLoops::join() {
    for (auto& worker : m_workers) {
        if (worker->thread.joinable()) worker->thread.join();
    }
}

}  // namespace sensor_server
