#pragma once
// What one event loop reports for /metrics and /debug/tasks. With sensor-server --workers N there
// are N loops, each with its own server and tasks; whichever loop answers the request gathers
// every loop's figures (each made on its own loop's thread) and adds them up.

#include <asyncio/core/loop.hpp>
#include <asyncio/http/server.hpp>
#include <asyncio/io/server.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace sensor_server {

/// A counter of one loop's, summed over every loop in /metrics (App::add_counter).
struct LoopCounter {
    std::string name;  ///< the metric's name: tls_handshakes_total
    std::string help;  ///< its HELP text
    double value = 0;
};

/// One loop's figures, a copy made on that loop's thread (App::figures()).
struct LoopFigures {
    std::size_t index = 0;      ///< 0 for the loop that samples the sensor
    bool has_server = false;    ///< whether `http` and `accept` are a server's
    asyncio::http::ServerStats http{};
    asyncio::AcceptStats accept{};
    asyncio::LoopStats loop{};
    std::size_t task_count = 0;
    std::vector<asyncio::TaskInfo> tasks;  ///< filled for /debug/tasks only
    std::size_t live_subscribers = 0;      ///< /events and /ws clients of this loop
    std::uint64_t read_errors = 0;         ///< sensor reads that failed (loop 0 reads)
    std::size_t frames = 0;                ///< coroutine frames alive on this loop's thread
    std::size_t frame_bytes = 0;
    std::vector<LoopCounter> counters;     ///< App::add_counter()'s, now
    std::string process_metrics;           ///< App::add_metrics()'s text (loop 0's MQTT, fleet)
};

}  // namespace sensor_server
