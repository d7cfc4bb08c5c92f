// The JSON API (/api/sensor, /api/history, /api/device), /metrics and /debug/tasks.
#include "app.hpp"
#include "json_text.hpp"
#include "metrics_text.hpp"
#include "number_text.hpp"
#include "quantities.hpp"
#include "version.hpp"

#include <asyncio/core/frame_allocator.hpp>
#include <asyncio/core/loop.hpp>

#include <algorithm>
#include <bit>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace sensor_server {

void append_metric_family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
    out.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void append_metric_sample(std::string& out, std::string_view name, double value) {
    out.append(name);
    out.push_back(' ');
    append_number(out, value);
    out.push_back('\n');
}

namespace {

void json_headers(http::Response& response) {
    response.set_content_type("application/json");
    add_no_store_headers(response);
}

/// The readings' headers: as json_headers, and a Link to what each quantity is (/api/quantities),
/// so that a script can discover labels and units from the reading it got.
void reading_headers(http::Response& response, std::string_view content_type = "application/json") {
    static const http::HeaderBlock headers{{"Cache-Control", "no-store"},
                                           {"Referrer-Policy", "no-referrer"},
                                           {"Link", "</api/quantities>; rel=\"describedby\""}};
    response.set_content_type(content_type);
    response.add_headers(headers);
}

double seconds(asyncio::Duration duration) { return std::chrono::duration<double>(duration).count(); }

/// A family of one sample: its HELP and TYPE lines, then the sample.
void metric(std::string& out, std::string_view name, std::string_view type, std::string_view help, double value) {
    append_metric_family(out, name, type, help);
    append_metric_sample(out, name, value);
}

bool same_reading(const Reading& a, const Reading& b) noexcept {
    if (a.ts_ms != b.ts_ms || a.count != b.count) return false;
    for (std::size_t i = 0; i < a.count; ++i) {
        const Quantity& x = a.quantities[i];
        const Quantity& y = b.quantities[i];
        // Bit for bit: -0.0 and 0.0 print differently, and NaN never equals itself.
        if (x.name != y.name || std::bit_cast<std::uint64_t>(x.value) != std::bit_cast<std::uint64_t>(y.value)) {
            return false;
        }
    }
    return true;
}

/// The JSON of `reading`, formatted once per new reading: the shortest form of a double costs
/// about 800 instructions, more than the rest of a request, and /api/sensor answers every
/// request until the next sample with the same reading. Keyed by the reading's value, so it
/// can never serve a stale one.
const std::string& reading_json(const Reading& reading) {
    thread_local Reading formatted;
    thread_local std::string json;
    if (json.empty() || !same_reading(reading, formatted)) {
        json.clear();
        append_json(json, reading);
        formatted = reading;
    }
    return json;
}

}  // namespace

void App::api_sensor(const http::ServerRequest&, http::Response& response) const {
    response.body().assign(reading_json(m_sampler.history().latest().reading));
    reading_headers(response);
}

void App::api_quantities(const http::ServerRequest&, http::Response& response) const {
    const Reading& latest = m_sampler.history().latest().reading;
    std::string& out = response.body();
    out.assign("{");
    for (std::size_t i = 0; i < latest.count; ++i) {
        const QuantityInfo q = describe_quantity(latest.quantities[i].name);
        if (i > 0) out.push_back(',');
        append_json_string(out, q.key);
        out.append(":{\"label\":");
        append_json_string(out, q.label);
        out.append(",\"unit\":");
        append_json_string(out, q.unit);
        out.append(",\"decimals\":");
        append_number(out, q.decimals);
        out.append(",\"metric\":");
        append_json_string(out, metric_name(q));
        out.append("}");
    }
    out.push_back('}');
    json_headers(response);
}

namespace {

/// The value of `name` in a query string ("since=1&limit=5"), if it is there.
std::optional<std::string_view> query_value(std::string_view query, std::string_view name) {
    while (!query.empty()) {
        const std::size_t amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        const std::size_t equals = pair.find('=');
        if (pair.substr(0, equals) == name) return equals == std::string_view::npos ? std::string_view() : pair.substr(equals + 1);
        if (amp == std::string_view::npos) break;
        query.remove_prefix(amp + 1);
    }
    return std::nullopt;
}

/// since=MS (readings taken after this Unix millisecond) and limit=N (the newest N of them).
struct HistoryQuery {
    std::int64_t since = std::numeric_limits<std::int64_t>::min();
    std::size_t limit = std::numeric_limits<std::size_t>::max();
};

/// The query of /api/history, or a message for the 400 that a malformed one gets.
std::optional<HistoryQuery> parse_history_query(std::string_view query, std::string& problem) {
    HistoryQuery result;
    if (const auto since = query_value(query, "since")) {
        const auto [end, error] = std::from_chars(since->data(), since->data() + since->size(), result.since);
        if (since->empty() || error != std::errc{} || end != since->data() + since->size()) {
            problem = "since needs a time in Unix milliseconds (a whole number), as the readings' ts";
            return std::nullopt;
        }
    }
    if (const auto limit = query_value(query, "limit")) {
        const auto [end, error] = std::from_chars(limit->data(), limit->data() + limit->size(), result.limit);
        if (limit->empty() || error != std::errc{} || end != limit->data() + limit->size() || result.limit == 0) {
            problem = "limit needs a whole number of readings, 1 or more";
            return std::nullopt;
        }
    }
    return result;
}

/// Calls fn(const Reading&) for the readings `query` selects, oldest first.
template <class Fn>
void for_each_selected(const History& history, const HistoryQuery& query, Fn fn) {
    std::size_t matching = 0;
    history.for_each_after(0, [&](const Sample& sample) { matching += sample.reading.ts_ms > query.since ? 1 : 0; });
    std::size_t skip = matching > query.limit ? matching - query.limit : 0;
    history.for_each_after(0, [&](const Sample& sample) {
        if (sample.reading.ts_ms <= query.since) return;
        if (skip > 0) {
            --skip;
            return;
        }
        fn(sample.reading);
    });
}

}  // namespace

void App::api_history(const http::ServerRequest& request, http::Response& response) const {
    std::string problem;
    const std::optional<HistoryQuery> query = parse_history_query(request.query, problem);
    if (!query) {
        response.error(400, problem);
        add_no_store_headers(response);
        return;
    }
    std::string& out = response.body();
    out.assign("[");
    for_each_selected(m_sampler.history(), *query, [&](const Reading& reading) {
        if (out.size() > 1) out.push_back(',');
        append_json(out, reading);
    });
    out.push_back(']');
    reading_headers(response);
}

// The same readings as CSV: a header of "ts,time" and every key the selected readings have (in
// the order they first appear), then one line per reading; a quantity a reading lacks is empty.
void App::api_history_csv(const http::ServerRequest& request, http::Response& response) const {
    std::string problem;
    const std::optional<HistoryQuery> query = parse_history_query(request.query, problem);
    if (!query) {
        response.error(400, problem);
        add_no_store_headers(response);
        return;
    }
    std::vector<std::string_view> keys;
    for_each_selected(m_sampler.history(), *query, [&](const Reading& reading) {
        for (std::size_t i = 0; i < reading.count; ++i) {
            if (std::find(keys.begin(), keys.end(), reading.quantities[i].name) == keys.end()) {
                keys.push_back(reading.quantities[i].name);
            }
        }
    });
    std::string& out = response.body();
    out.assign("ts,time");
    for (const std::string_view key : keys) out.append(",").append(key);
    out.append("\r\n");
    for_each_selected(m_sampler.history(), *query, [&](const Reading& reading) {
        append_number(out, reading.ts_ms);
        out.append(",").append(iso_time(reading.ts_ms, true));
        for (const std::string_view key : keys) {
            out.push_back(',');
            const std::optional<double> value = reading.get(key);
            if (value && std::isfinite(*value)) append_number(out, *value);
        }
        out.append("\r\n");
    });
    static const http::HeaderBlock headers{{"Content-Disposition", "attachment; filename=\"sensor-history.csv\""}};
    reading_headers(response, "text/csv; charset=utf-8; header=present");
    response.add_headers(headers);
}

void App::api_device(const http::ServerRequest&, http::Response& response) const {
    const NetworkInfo network = this->network();
    std::string& out = response.body();
    out.clear();
    const auto field = [&out](std::string_view name, std::string_view value) {
        out.append(out.empty() ? "{\"" : ",\"").append(name).append("\":");
        append_json_string(out, value);
    };
    field("hostname", network.hostname);
    field("ip", network.ip);
    field("netmask", network.netmask);
    field("gateway", network.gateway);
    field("dns", network.dns);
    field("sensor", m_sampler.sensor().name());
    out.append(",\"sensor_note\":");
    if (const std::string_view note = m_sampler.sensor().note(); !note.empty()) {
        append_json_string(out, note);
    } else {
        out.append("null");
    }
    out.append(",\"interval_s\":");
    append_number(out, interval_s());
    out.append(",\"uptime_s\":");
    append_number(out, std::round(uptime_s() * 1000.0) / 1000.0);  // to the millisecond
    field("platform", m_device.platform);
    field("version", server_version());
    out.append(",\"free_heap_bytes\":");
    if (const auto bytes = free_heap_bytes()) {
        append_number(out, *bytes);
    } else {
        out.append("null");
    }
    out.push_back('}');
    json_headers(response);
}

void App::add_counter(std::string name, std::string help, std::function<double()> value) {
    m_counters.push_back(CounterSource{std::move(name), std::move(help), std::move(value)});
}

LoopFigures App::figures(bool with_tasks) const {
    const asyncio::EventLoop& loop = asyncio::get_event_loop();
    LoopFigures figures;
    figures.index = m_loop_index;
    if (m_server != nullptr) {
        figures.has_server = true;
        figures.http = m_server->stats();
        figures.accept = m_server->accept_stats();
    }
    figures.loop = loop.stats();
    figures.task_count = loop.task_count();
    if (with_tasks) figures.tasks = loop.tasks();
    figures.live_subscribers = m_sampler.topic().subscriber_count();
    figures.read_errors = m_sampler.read_errors();
    figures.frames = asyncio::frame_stats().live_frames;
    figures.frame_bytes = asyncio::frame_stats().live_bytes;
    for (const CounterSource& counter : m_counters) figures.counters.push_back(LoopCounter{counter.name, counter.help, counter.value()});
    for (const auto& append : m_metric_sources) append(figures.process_metrics);
    return figures;
}

asyncio::Task<std::vector<LoopFigures>> App::all_figures(bool with_tasks) const {
    std::vector<LoopFigures> loops;
    if (m_gather) loops = co_await m_gather(with_tasks);  // the other loops'
    // The others come in loop order: this loop's own goes in its place among them.
    auto place = std::find_if(loops.begin(), loops.end(), [this](const LoopFigures& other) { return other.index > m_loop_index; });
    loops.insert(place, figures(with_tasks));
    co_return loops;
}

namespace {

/// The figures of every loop added up (the longest step: the longest of them); `index` is the
/// answering loop's, `tasks` empty.
LoopFigures sum_of(const std::vector<LoopFigures>& loops) {
    LoopFigures total;
    for (const LoopFigures& one : loops) {
        total.has_server = total.has_server || one.has_server;
        total.http.requests += one.http.requests;
        total.http.connections_accepted += one.http.connections_accepted;
        total.http.connections_rejected += one.http.connections_rejected;
        total.http.idle_closed_for_room += one.http.idle_closed_for_room;
        total.http.slow_closed_for_room += one.http.slow_closed_for_room;
        total.http.timeouts += one.http.timeouts;
        total.http.bad_requests += one.http.bad_requests;
        total.http.bytes_received += one.http.bytes_received;
        total.http.active_connections += one.http.active_connections;
        for (std::size_t kind = 0; kind < total.http.responses_by_class.size(); ++kind) {
            total.http.responses_by_class[kind] += one.http.responses_by_class[kind];
        }
        total.accept.accepted += one.accept.accepted;
        total.accept.shed += one.accept.shed;
        total.accept.backoffs += one.accept.backoffs;
        total.loop.steps += one.loop.steps;
        total.loop.stalls += one.loop.stalls;
        if (one.loop.longest_step >= total.loop.longest_step) total.loop.longest_step = one.loop.longest_step;
        total.task_count += one.task_count;
        total.live_subscribers += one.live_subscribers;
        total.read_errors += one.read_errors;
        total.frames += one.frames;
        total.frame_bytes += one.frame_bytes;
        for (const LoopCounter& counter : one.counters) {
            auto same = std::find_if(total.counters.begin(), total.counters.end(),
                                     [&](const LoopCounter& kept) { return kept.name == counter.name; });
            if (same == total.counters.end()) {
                total.counters.push_back(counter);
            } else {
                same->value += counter.value;
            }
        }
        total.process_metrics += one.process_metrics;
    }
    return total;
}

void append_http_metrics(std::string& out, const LoopFigures& total) {
    const http::ServerStats& stats = total.http;
    append_metric_family(out, "http_responses_total", "counter", "HTTP responses sent, by status class.");
    for (std::size_t kind = 1; kind <= 5; ++kind) {
        out.append("http_responses_total{code=\"").append(std::to_string(kind)).append("xx\"} ");
        append_number(out, stats.responses_by_class[kind]);
        out.push_back('\n');
    }
    metric(out, "http_requests_total", "counter", "HTTP requests received.", static_cast<double>(stats.requests));
    metric(out, "http_connections_active", "gauge", "Open HTTP connections.", static_cast<double>(stats.active_connections));
    metric(out, "http_connections_accepted_total", "counter", "HTTP connections accepted.",
           static_cast<double>(stats.connections_accepted));
    metric(out, "http_connections_rejected_total", "counter",
           "Connections answered 503: over the connection cap with none idle.",
           static_cast<double>(stats.connections_rejected));
    metric(out, "http_idle_connections_closed_for_room_total", "counter",
           "Idle keep-alive connections closed to make room at the connection cap.",
           static_cast<double>(stats.idle_closed_for_room));
    metric(out, "http_slow_connections_closed_for_room_total", "counter",
           "Connections slowest to send their request, answered 408 to make room at the connection cap.",
           static_cast<double>(stats.slow_closed_for_room));
    metric(out, "http_connections_shed_total", "counter",
           "Connections accepted only to be refused: out of file descriptors for too long.",
           static_cast<double>(total.accept.shed));
    metric(out, "http_accept_backoffs_total", "counter", "Pauses of the accept loop while out of file descriptors or memory.",
           static_cast<double>(total.accept.backoffs));
    metric(out, "http_timeouts_total", "counter", "Connections closed by the header, idle or write time-out.",
           static_cast<double>(stats.timeouts));
    metric(out, "http_bad_requests_total", "counter", "Requests the parser rejected (answered 4xx or 5xx).",
           static_cast<double>(stats.bad_requests));
    metric(out, "http_received_bytes_total", "counter", "Bytes received from HTTP clients.",
           static_cast<double>(stats.bytes_received));
}

/// One family with a sample per loop ({loop="0"}, {loop="1"}...): how the work is spread.
template <class Value>
void append_per_loop(std::string& out, const std::vector<LoopFigures>& loops, std::string_view name, std::string_view type,
                     std::string_view help, Value value) {
    append_metric_family(out, name, type, help);
    for (const LoopFigures& one : loops) {
        append_metric_sample(out, std::string(name) + "{loop=\"" + std::to_string(one.index) + "\"}",
                             static_cast<double>(value(one)));
    }
}

void append_loop_metrics(std::string& out, const std::vector<LoopFigures>& loops, const LoopFigures& total) {
    metric(out, "asyncio_tasks", "gauge", "Tasks alive on the event loops.", static_cast<double>(total.task_count));
    metric(out, "asyncio_loop_steps_total", "counter", "Task steps and callbacks the event loops ran.",
           static_cast<double>(total.loop.steps));
    metric(out, "asyncio_loop_stalls_total", "counter", "Steps that held an event loop longer than the stall threshold.",
           static_cast<double>(total.loop.stalls));
    metric(out, "asyncio_loop_longest_step_seconds", "gauge",
           "The longest a single step held an event loop (its task: /debug/tasks).", seconds(total.loop.longest_step));
    metric(out, "asyncio_coroutine_frames", "gauge", "Coroutine frames alive.", static_cast<double>(total.frames));
    metric(out, "asyncio_coroutine_frame_bytes", "gauge", "Bytes held by the coroutine frames alive.",
           static_cast<double>(total.frame_bytes));
    metric(out, "sensor_server_loops", "gauge", "Event loops serving (--workers), each on a thread of its own.",
           static_cast<double>(loops.size()));
    append_per_loop(out, loops, "http_loop_requests_total", "counter", "HTTP requests received, by event loop.",
                    [](const LoopFigures& one) { return one.http.requests; });
    append_per_loop(out, loops, "http_loop_connections_accepted_total", "counter", "HTTP connections accepted, by event loop.",
                    [](const LoopFigures& one) { return one.http.connections_accepted; });
    append_per_loop(out, loops, "asyncio_loop_tasks", "gauge", "Tasks alive, by event loop.",
                    [](const LoopFigures& one) { return one.task_count; });
}

}  // namespace

asyncio::Task<> App::metrics(const http::ServerRequest& request, http::Response& response) const {
    if (!admin_allowed(request, response)) co_return;
    const std::vector<LoopFigures> loops = co_await all_figures(false);
    const LoopFigures total = sum_of(loops);
    std::string& out = response.body();
    out.clear();
    const Reading& latest = m_sampler.history().latest().reading;
    // Each quantity under its name in base units (sensor_temperature_celsius, whatever the source:
    // sim, fixed, linux or a board); a quantity the catalogue does not know keeps its key.
    for (std::size_t i = 0; i < latest.count; ++i) {
        const QuantityInfo q = describe_quantity(latest.quantities[i].name);
        const std::string name = metric_name(q);
        const double value = latest.quantities[i].value * q.metric_scale;
        if (q.help.empty()) {
            metric(out, name, "gauge", "The latest reading of " + std::string(q.key) + " (the unit is in the name).", value);
        } else {
            metric(out, name, "gauge", q.help, value);
        }
    }
    // The names before base units (sensor_temperature_c), kept for the dashboards and scrapers
    // that read them; deprecated.
    for (std::size_t i = 0; i < latest.count; ++i) {
        const QuantityInfo q = describe_quantity(latest.quantities[i].name);
        if (q.metric.empty() || q.metric.substr(7) == q.key) continue;
        metric(out, "sensor_" + std::string(q.key), "gauge",
               "Deprecated: " + std::string(q.metric) + " in the reading's own unit (" + std::string(q.key) + ").",
               latest.quantities[i].value);
    }
    if (!m_alerts.empty()) {
        append_metric_family(out, "sensor_alert_active", "gauge",
                             "1 while the latest reading breaks the --alert rule named by the label, else 0.");
        for (const AlertState& alert : m_alerts) {
            append_metric_sample(out, "sensor_alert_active{alert=\"" + alert.rule.text() + "\"}", alert.active ? 1 : 0);
        }
        append_metric_family(out, "sensor_alerts_total", "counter",
                             "Times a reading began to break the --alert rule named by the label.");
        for (const AlertState& alert : m_alerts) {
            append_metric_sample(out, "sensor_alerts_total{alert=\"" + alert.rule.text() + "\"}",
                                 static_cast<double>(alert.triggered));
        }
    }
    append_metric_family(out, "sensor_server_info", "gauge", "The server's version, in the label; always 1.");
    out.append("sensor_server_info{version=\"").append(server_version()).append("\"} 1\n");
    metric(out, "sensor_reading_timestamp_seconds", "gauge", "When the latest reading was taken, Unix time in seconds.",
           static_cast<double>(latest.ts_ms) / 1000.0);
    metric(out, "sensor_read_errors_total", "counter", "Sensor reads that failed.", static_cast<double>(total.read_errors));
    metric(out, "sensor_live_subscribers", "gauge", "Live clients (/events and /ws) receiving readings.",
           static_cast<double>(total.live_subscribers));
    if (total.has_server) append_http_metrics(out, total);
    append_loop_metrics(out, loops, total);
    if (m_device.resident_memory_bytes) {
        if (const auto bytes = m_device.resident_memory_bytes()) {
            metric(out, "process_resident_memory_bytes", "gauge", "Resident memory of this process in bytes.",
                   static_cast<double>(*bytes));
        }
    }
    if (const auto bytes = free_heap_bytes()) {
        metric(out, "device_free_heap_bytes", "gauge", "Free heap of the device in bytes.", static_cast<double>(*bytes));
    }
    for (const LoopCounter& counter : total.counters) metric(out, counter.name, "counter", counter.help, counter.value);
    out.append(total.process_metrics);
    response.set_content_type("text/plain; version=0.0.4; charset=utf-8");
    add_no_store_headers(response);
}

namespace {

void append_task(std::string& out, const asyncio::TaskInfo& task, std::size_t loop) {
    out.append("{\"name\":");
    append_json_string(out, task.name);
    out.append(",\"loop\":");
    append_number(out, loop);
    out.append(",\"state\":");
    append_json_string(out, task.state);
    out.append(",\"steps\":");
    append_number(out, task.steps);
    out.append(",\"run_time_s\":");
    append_number(out, seconds(task.run_time));
    out.push_back('}');
}

/// A loop's own figures: {"index":0,"tasks":12,"steps":...,"longest_step_task":"..."}.
void append_loop(std::string& out, const LoopFigures& one) {
    out.append("{\"index\":");
    append_number(out, one.index);
    out.append(",\"tasks\":");
    append_number(out, one.task_count);
    out.append(",\"requests\":");
    append_number(out, one.http.requests);
    out.append(",\"steps\":");
    append_number(out, one.loop.steps);
    out.append(",\"stalls\":");
    append_number(out, one.loop.stalls);
    out.append(",\"longest_step_s\":");
    append_number(out, seconds(one.loop.longest_step));
    out.append(",\"longest_step_task\":");
    append_json_string(out, one.loop.longest_step_task);
    out.push_back('}');
}

}  // namespace

// {"tasks":[every loop's tasks, each with its "loop"],"loop":{the answering loop},"loops":[each
// loop's figures]}.
asyncio::Task<> App::debug_tasks(const http::ServerRequest& request, http::Response& response) const {
    if (!admin_allowed(request, response)) co_return;
    const std::vector<LoopFigures> loops = co_await all_figures(true);
    std::string& out = response.body();
    out.assign("{\"tasks\":[");
    bool first = true;
    for (const LoopFigures& one : loops) {
        for (const asyncio::TaskInfo& task : one.tasks) {
            if (!first) out.push_back(',');
            first = false;
            append_task(out, task, one.index);
        }
    }
    out.append("],\"loop\":");
    const auto own = std::find_if(loops.begin(), loops.end(), [&](const LoopFigures& one) { return one.index == m_loop_index; });
    if (own != loops.end()) {
        append_loop(out, *own);
    } else {
        out.append("null");
    }
    out.append(",\"loops\":[");
    for (std::size_t i = 0; i < loops.size(); ++i) {
        if (i > 0) out.push_back(',');
        append_loop(out, loops[i]);
    }
    out.append("]}");
    json_headers(response);
}

}  // namespace sensor_server
