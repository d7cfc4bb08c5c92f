#include "options.hpp"
#include "number_text.hpp"

#include <asyncio/http/websocket_handshake.hpp>

#include <charconv>
#include <cmath>
#include <functional>
#include <map>
#include <stdexcept>
#include <string_view>

namespace sensor_server {

std::string usage() {
    return R"(Usage: sensor-server [OPTIONS]

Serves live sensor readings: a dashboard at /, JSON at /api/sensor and /api/history, the device's
facts (address, netmask, gateway, DNS, uptime) at /api/device, Server-Sent Events at /events,
WebSocket at /ws, Prometheus metrics at /metrics, /healthz and /debug/tasks.

Options:
  --host H               address to listen on (default 127.0.0.1: this machine only;
                         0.0.0.0 or :: to serve the LAN)
  --port P               TCP port, 0 picks a free one (default 8080)
  --sensor S             sim        simulated temperature, humidity, pressure (default)
                         fixed:V    a fixed temperature V in degrees Celsius (e.g. fixed:21.5)
                         linux      this host's thermal zones, load average and memory
  --interval SECONDS     time between readings (default 1; fractions allowed, min 0.01)
  --history N            readings kept for /api/history and chart (default 300)
  --log                  print one access-log line per request
  --max-connections N    concurrent connections before idle ones, then those slowest to
                         send their request, are closed, and new ones get 503 (default 1024)
  --header-timeout S     seconds for a request head to arrive before 408 (default 20); the
                         body shares the deadline, plus a second per KiB it has sent
  --idle-timeout S       seconds a keep-alive connection may stay idle (default 60)
  --write-timeout S      seconds a client may leave its responses unread (default 10)
  --allow-origin ORIGIN  a web page origin allowed to open /ws besides this server's own
                         pages, as the browser sends it (https://dash.example:8443);
                         repeatable; '*' allows any page. Without it, /ws refuses (403)
                         pages served elsewhere; clients sending no Origin are allowed
  --help                 show this text
)";
}

namespace {

double parse_seconds(std::string_view flag, const std::string& text, double minimum) {
    double value = 0;
    if (!parse_number(text, value) || value < minimum) {
        // number_text: "0.01" as a person writes it, not std::to_string's "0.010000".
        throw std::invalid_argument(std::string(flag) + " needs a number of seconds >= " + number_text(minimum) +
                                    ", got '" + text + "'");
    }
    return value;
}

std::size_t parse_count(std::string_view flag, const std::string& text, std::size_t minimum, std::size_t maximum) {
    std::size_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc{} || end != text.data() + text.size() || value < minimum || value > maximum) {
        throw std::invalid_argument(std::string(flag) + " needs a whole number from " + std::to_string(minimum) +
                                    " to " + std::to_string(maximum) + ", got '" + text + "'");
    }
    return value;
}

using Setter = std::function<void(Options&, const std::string&)>;

const std::map<std::string, Setter, std::less<>>& setters() {
    static const std::map<std::string, Setter, std::less<>> table{
        {"--host", [](Options& o, const std::string& v) {
             if (v.empty()) throw std::invalid_argument("--host needs an address");
             o.host = v;
         }},
        {"--port", [](Options& o, const std::string& v) { o.port = static_cast<std::uint16_t>(parse_count("--port", v, 0, 65535)); }},
        {"--sensor", [](Options& o, const std::string& v) { o.sensor = v; }},
        {"--interval", [](Options& o, const std::string& v) { o.interval_s = parse_seconds("--interval", v, 0.01); }},
        {"--history", [](Options& o, const std::string& v) { o.history = parse_count("--history", v, 1, 1'000'000); }},
        {"--max-connections", [](Options& o, const std::string& v) { o.max_connections = parse_count("--max-connections", v, 1, 1'000'000); }},
        {"--header-timeout", [](Options& o, const std::string& v) { o.header_timeout_s = parse_seconds("--header-timeout", v, 0.001); }},
        {"--idle-timeout", [](Options& o, const std::string& v) { o.idle_timeout_s = parse_seconds("--idle-timeout", v, 0.001); }},
        {"--write-timeout", [](Options& o, const std::string& v) { o.write_timeout_s = parse_seconds("--write-timeout", v, 0.001); }},
        {"--allow-origin", [](Options& o, const std::string& v) {
             if (!asyncio::http::is_origin_pattern(v)) {
                 throw std::invalid_argument("--allow-origin needs '*', 'null' or scheme://host[:port], got '" + v + "'");
             }
             o.allowed_origins.push_back(v);
         }},
    };
    return table;
}

}  // namespace

CommandLine parse_command_line(int argc, const char* const* argv) {
    Options options;
    try {
        for (int i = 1; i < argc; ++i) {
            std::string flag = argv[i];
            if (flag == "--help" || flag == "-h") return CommandLine{std::nullopt, usage(), 0};
            if (flag == "--log") {
                options.log = true;
                continue;
            }
            std::string value;
            bool has_value = false;
            if (const auto equals = flag.find('='); equals != std::string::npos) {
                value = flag.substr(equals + 1);
                flag.resize(equals);
                has_value = true;
            }
            const auto setter = setters().find(flag);
            if (setter == setters().end()) throw std::invalid_argument("unknown option '" + flag + "'");
            if (!has_value) {
                if (i + 1 >= argc) throw std::invalid_argument(flag + " needs a value");
                value = argv[++i];
            }
            setter->second(options, value);
        }
    } catch (const std::invalid_argument& error) {
        return CommandLine{std::nullopt, std::string("sensor-server: ") + error.what() + "\nTry 'sensor-server --help'.\n", 2};
    }
    return CommandLine{options, {}, 0};
}

}  // namespace sensor_server
