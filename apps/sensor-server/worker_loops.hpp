#pragma once
// sensor-server --workers N: loops 1 to N-1, each on a thread of its own with its own App, its
// own HttpServer listening on the same host:port as loop 0 (SO_REUSEPORT: the kernel spreads
// connections across the loops) and its own copy of the readings. Loop 0 (main.cpp) samples the
// sensor and runs MQTT, --fleet and --history-file; every reading reaches the other loops through
// a LoopBroadcast. docs/DESIGN.md, "One loop per core", tells why. Linux part: it needs threads.

#include "device_info.hpp"
#include "history.hpp"
#include "loop_broadcast.hpp"
#include "loop_group.hpp"
#include "options.hpp"
#include "tls_setup.hpp"

#include <asyncio/core/task.hpp>
#include <asyncio/http/server.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <future>
#include <memory>
#include <thread>
#include <vector>

namespace sensor_server {

/// A reading as it crosses from loop 0 to the others: the sample, with its id, and the sampling
/// interval then (an MQTT command may have changed it; /api/device reports it on every loop).
struct SharedReading {
    Sample sample;
    std::chrono::milliseconds interval{};
};

/// The cross-loop Topic of the readings: receiver k-1 is loop k.
using ReadingBroadcast = LoopBroadcast<SharedReading>;

/// Readings a loop may fall behind loop 0 by before its oldest unread ones are dropped (and then
/// missing from that loop's /api/history).
inline constexpr std::size_t kCrossLoopBacklog = 256;

/// "--workers auto": one loop per core (std::thread::hardware_concurrency(), 1 if it does not
/// know), at most kMaxWorkers.
[[nodiscard]] std::size_t resolve_workers(std::size_t workers);

/// The counter every loop adds to /metrics for the readings it lost (0 on loop 0, which takes
/// them).
inline constexpr const char* kDroppedReadingsMetric = "sensor_loop_readings_dropped_total";
inline constexpr const char* kDroppedReadingsHelp =
    "Readings an event loop lost because it fell behind the sampling loop (--workers).";

/// Loops 1 to options.workers - 1, running from the constructor until join().
class WorkerLoops {
public:
    /// Starts the threads: loop k copies `history` (loop 0's readings so far), then listens on
    /// options.host:`port` with SO_REUSEPORT and serves. `group` and `readings` must outlive
    /// this object. Loop 0 must listen with SO_REUSEPORT on `port` already.
    /// Each loop's server has `server_options` (SO_REUSEPORT set here) and its App `device`; both
    /// are copied to every thread, so their functions must be safe to call from any thread.
    /// Each loop makes its own TLS from `options`, with the session tickets of `first_loop_tls`
    /// (loop 0's), which must outlive this object.
    WorkerLoops(const Options& options, std::uint16_t port, const asyncio::http::ServerOptions& server_options,
                const DeviceInfo& device, const WebTls& first_loop_tls, LoopGroup& group, ReadingBroadcast& readings,
                std::vector<Sample> history);
    WorkerLoops(const WorkerLoops&) = delete;
    WorkerLoops& operator=(const WorkerLoops&) = delete;
    /// Stops and joins whatever still runs (as stop(), then join()).
    ~WorkerLoops();

    /// Suspends when: a loop is not listening yet. Resumed by: a worker thread (waited for on
    /// a thread of the default executor, to_thread). Returns: once every loop listens. Throws:
    /// the first loop's error that could not start (its TLS files, its listener): the caller
    /// then stops and joins the others. Lifetime: this object must outlive the wait.
    [[nodiscard]] asyncio::Task<> wait_until_listening();
    /// Asks every loop to stop (graceful, as SIGTERM does to loop 0) and ends the broadcast. From
    /// any thread; again does nothing more.
    void stop();
    /// Blocks until every thread has ended (call stop() first, or they serve on): call it from
    /// a thread that is no loop's (to_thread), since their connections end gracefully meanwhile.
    void join();
    /// Whether a loop ended by an error after it started (it was reported on stderr).
    [[nodiscard]] bool failed() const noexcept { return m_failed.load(); }

private:
    struct Worker {
        std::promise<void> listening;
        std::thread thread;
    };

    LoopGroup& m_group;
    ReadingBroadcast& m_readings;
    std::vector<std::unique_ptr<Worker>> m_workers;
    std::vector<std::future<void>> m_listening;
    std::atomic<bool> m_failed{false};
};

}  // namespace sensor_server
