#include "options.hpp"
#include "number_text.hpp"
#include "version.hpp"

#include <asyncio/http/websocket_handshake.hpp>

#include <algorithm>
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
  --interval SECONDS     time between readings (default 1; fractions allowed, 0.01 to
                         86400)
  --history N            readings kept for /api/history and chart (default 300)
  --history-file PATH    keep those readings across restarts in PATH (JSON lines): loaded at
                         start (the newest N; new readings go on with the next ids), then
                         rewritten whole every 10 s and at SIGINT/SIGTERM (a temporary file
                         in the same folder, fsync, rename). A missing file is a first start.
                         A file that cannot be read, is damaged or holds another --sensor's
                         readings is said in one line on stderr and moved aside, never
                         overwritten: renamed PATH.rejected (replacing an older one), then a
                         new PATH is written (with the readings before a damaged line). A
                         folder the server cannot create files in exits 2
  --admin-token TOKEN    /metrics and /debug/tasks then need "Authorization: Bearer TOKEN"
                         (401 without it). Without a token they are open on a loopback
                         --host and refused (403) on any other
  --alert RULE           a limit such as temperature_c>30 (or <, >=, <=; repeatable): a
                         reading beyond it marks the card and the chart, and is counted in
                         /metrics (sensor_alert_active, sensor_alerts_total)
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
  --tls-cert FILE        serve HTTPS and WSS instead of HTTP and WS, on the same port (no
                         plain HTTP), with this PEM certificate: the server's first, then
                         any intermediate CAs. Needs --tls-key
  --tls-key FILE         the PEM private key of --tls-cert
  --tls-key-password-file FILE
                         the password of an encrypted --tls-key: the file's first line
                         (kept out of the command line, which every user can list)
  --tls-ticket-lifetime S
                         session tickets let a returning client resume without a full
                         handshake; their keys change every S seconds (default 3600, at
                         most 604800); 0: no tickets, every connection a full handshake
  --mqtt URL             publish every reading to an MQTT broker, mqtt://HOST[:PORT]
                         (port 1883 by default) or, over TLS, mqtts://HOST[:PORT] (port
                         8883 by default; needs --mqtt-cafile): the reading (JSON,
                         retained, QoS 1) to PREFIX/reading, online/offline (retained;
                         offline is the last will) to PREFIX/status; a number of seconds
                         sent to PREFIX/cmd/interval changes --interval. The web server
                         runs whether the broker is up or not
  --mqtt-topic PREFIX    the topic prefix (default sensors/<hostname>)
  --fleet URL            a dashboard of every device publishing to this broker, at /fleet
                         (JSON at /api/fleet), mqtt://HOST[:PORT] or mqtts://HOST[:PORT]
  --fleet-topic FILTER   the devices' prefixes, '+' for one level (default sensors/+)
  --mqtt-cafile FILE     the CA certificates (PEM) that the certificate of an mqtts://
                         broker, of --mqtt and of --fleet, must chain to (one file; put
                         several CAs in it if the brokers differ). The broker's name is
                         checked too: give the name its certificate carries, not an
                         address
  --workers N|auto       event loops serving, each on a thread of its own with its own
                         listener on the same host:port (SO_REUSEPORT: the kernel spreads
                         connections across them); auto: one per core (default 1, at most
                         256). The sensor is read once, on the first loop, and every
                         reading reaches every loop; MQTT, --fleet and --history-file run
                         on the first loop; /metrics and /debug/tasks cover every loop
  --version              print the server's version and exit
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

double parse_interval(const std::string& text) {
    double value = 0;
    if (!parse_number(text, value) || value < kMinIntervalS || value > kMaxIntervalS) {
        throw std::invalid_argument("--interval needs a number of seconds >= " + number_text(kMinIntervalS) +
                                    ", at most " + number_text(kMaxIntervalS) + ", got '" + text + "'");
    }
    return value;
}

std::uint16_t parse_broker_port(std::string_view flag, std::string_view text) {
    unsigned value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc{} || end != text.data() + text.size() || value == 0 || value > 65535) {
        throw std::invalid_argument(std::string(flag) + " needs a port from 1 to 65535, got '" + std::string(text) + "'");
    }
    return static_cast<std::uint16_t>(value);
}

std::string file_name(std::string_view flag, const std::string& text) {
    if (text.empty()) throw std::invalid_argument(std::string(flag) + " needs a file name");
    return text;
}

/// The rules between flags, once every flag is read: a flag that would be ignored is an error.
void check_flag_combinations(const Options& options) {
    if (options.tls_cert.empty() != options.tls_key.empty()) {
        throw std::invalid_argument(std::string(options.tls_cert.empty() ? "--tls-key" : "--tls-cert") +
                                    " needs " + (options.tls_cert.empty() ? "--tls-cert" : "--tls-key") +
                                    " too: HTTPS takes a certificate and its private key");
    }
    if (!options.tls_key_password_file.empty() && options.tls_key.empty()) {
        throw std::invalid_argument("--tls-key-password-file needs --tls-key: it is the password of that key");
    }
    if (options.tls_ticket_lifetime_s && options.tls_cert.empty()) {
        throw std::invalid_argument("--tls-ticket-lifetime needs --tls-cert and --tls-key: tickets resume HTTPS sessions");
    }
    const bool mqtt_tls = options.mqtt && options.mqtt->tls;
    const bool mqtts = mqtt_tls || (options.fleet && options.fleet->tls);
    if (mqtts && options.mqtt_cafile.empty()) {
        throw std::invalid_argument(std::string(mqtt_tls ? "--mqtt" : "--fleet") +
                                    ": mqtts:// needs --mqtt-cafile FILE: the CA certificate(s) the broker's "
                                    "certificate must chain to (/etc/ssl/certs/ca-certificates.crt for a public CA)");
    }
    if (!mqtts && !options.mqtt_cafile.empty()) {
        throw std::invalid_argument("--mqtt-cafile is for an mqtts:// broker, and neither --mqtt nor --fleet names one");
    }
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
        {"--interval", [](Options& o, const std::string& v) { o.interval_s = parse_interval(v); }},
        {"--history", [](Options& o, const std::string& v) { o.history = parse_count("--history", v, 1, 1'000'000); }},
        {"--history-file", [](Options& o, const std::string& v) { o.history_file = file_name("--history-file", v); }},
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
        {"--admin-token", [](Options& o, const std::string& v) {
             if (v.empty()) throw std::invalid_argument("--admin-token needs a token (a long random string)");
             o.admin_token = v;
         }},
        {"--alert", [](Options& o, const std::string& v) { o.alerts.push_back(parse_alert(v)); }},
        {"--mqtt", [](Options& o, const std::string& v) { o.mqtt = parse_broker_url("--mqtt", v); }},
        {"--mqtt-topic", [](Options& o, const std::string& v) {
             if (!is_valid_topic_prefix(v)) {
                 throw std::invalid_argument("--mqtt-topic needs a topic prefix such as sensors/kitchen (no '+', '#' "
                                             "or empty last level), got '" + v + "'");
             }
             o.mqtt_topic = v;
         }},
        {"--fleet", [](Options& o, const std::string& v) { o.fleet = parse_broker_url("--fleet", v); }},
        {"--workers", [](Options& o, const std::string& v) {
             if (v == "auto") {
                 o.workers = 0;
                 return;
             }
             std::size_t value = 0;
             const auto [end, error] = std::from_chars(v.data(), v.data() + v.size(), value);
             if (v.empty() || error != std::errc{} || end != v.data() + v.size() || value < 1 || value > kMaxWorkers) {
                 throw std::invalid_argument("--workers needs a number of event loops from 1 to " +
                                             std::to_string(kMaxWorkers) + ", or auto (one per core), got '" + v + "'");
             }
             o.workers = value;
         }},
        {"--tls-cert", [](Options& o, const std::string& v) { o.tls_cert = file_name("--tls-cert", v); }},
        {"--tls-key", [](Options& o, const std::string& v) { o.tls_key = file_name("--tls-key", v); }},
        {"--tls-key-password-file",
         [](Options& o, const std::string& v) { o.tls_key_password_file = file_name("--tls-key-password-file", v); }},
        {"--tls-ticket-lifetime",
         [](Options& o, const std::string& v) { o.tls_ticket_lifetime_s = parse_count("--tls-ticket-lifetime", v, 0, 604800); }},
        {"--mqtt-cafile", [](Options& o, const std::string& v) { o.mqtt_cafile = file_name("--mqtt-cafile", v); }},
        {"--fleet-topic", [](Options& o, const std::string& v) {
             if (!is_valid_prefix_filter(v)) {
                 throw std::invalid_argument("--fleet-topic needs a topic filter such as sensors/+ ('+' for whole "
                                             "levels, no '#'), got '" + v + "'");
             }
             o.fleet_topic = v;
         }},
    };
    return table;
}

}  // namespace

BrokerAddress parse_broker_url(std::string_view flag, std::string_view url) {
    const std::string quoted = "'" + std::string(url) + "'";
    BrokerAddress address;
    std::string_view rest;
    if (url.starts_with("mqtt://")) {
        rest = url.substr(7);
    } else if (url.starts_with("mqtts://")) {
        rest = url.substr(8);
        address.tls = true;
        address.port = 8883;
    } else {
        throw std::invalid_argument(std::string(flag) + " needs mqtt://HOST[:PORT] or mqtts://HOST[:PORT], got " + quoted);
    }
    if (rest.ends_with('/')) rest.remove_suffix(1);  // mqtt://broker/ as people paste it
    if (rest.find_first_of("/?#@ ") != std::string_view::npos) {
        throw std::invalid_argument(std::string(flag) + " needs mqtt://HOST[:PORT] without user, path or query, got " + quoted);
    }
    if (rest.starts_with('[')) {  // [IPv6]:port
        const std::size_t close = rest.find(']');
        if (close == std::string_view::npos || close == 1) {
            throw std::invalid_argument(std::string(flag) + " has an unclosed or empty [IPv6 address] in " + quoted);
        }
        address.host = std::string(rest.substr(1, close - 1));
        const std::string_view after = rest.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') throw std::invalid_argument(std::string(flag) + " needs mqtt://HOST[:PORT], got " + quoted);
            address.port = parse_broker_port(flag, after.substr(1));
        }
        return address;
    }
    const std::size_t colon = rest.find(':');
    address.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) address.port = parse_broker_port(flag, rest.substr(colon + 1));
    if (address.host.empty()) throw std::invalid_argument(std::string(flag) + " needs a host in mqtt://HOST[:PORT], got " + quoted);
    return address;
}

bool is_loopback_host(std::string_view host) noexcept {
    return host.starts_with("127.") || host == "::1" || host == "[::1]" || host == "localhost";
}

std::string AlertRule::text() const { return key + op + number_text(value); }

bool AlertRule::broken_by(double reading) const noexcept {
    if (op == ">") return reading > value;
    if (op == ">=") return reading >= value;
    if (op == "<") return reading < value;
    return reading <= value;
}

AlertRule parse_alert(std::string_view text) {
    const auto fail = [&] {
        return std::invalid_argument("--alert needs QUANTITY>VALUE, QUANTITY<VALUE, >= or <= with a quantity of the "
                                     "sensor's readings and a number (e.g. temperature_c>30), got '" +
                                     std::string(text) + "'");
    };
    const std::size_t op_at = text.find_first_of("<>");
    if (op_at == std::string_view::npos || op_at == 0) throw fail();
    AlertRule rule;
    rule.key = std::string(text.substr(0, op_at));
    for (const char c : rule.key) {
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) throw fail();
    }
    const bool or_equal = op_at + 1 < text.size() && text[op_at + 1] == '=';
    rule.op = std::string(text.substr(op_at, or_equal ? 2 : 1));
    if (!parse_number(text.substr(op_at + rule.op.size()), rule.value)) throw fail();
    return rule;
}

std::optional<double> parse_interval_command(std::string_view payload) {
    constexpr std::string_view kSpace = " \t\r\n";
    const std::size_t first = payload.find_first_not_of(kSpace);
    if (first == std::string_view::npos) return std::nullopt;
    payload = payload.substr(first, payload.find_last_not_of(kSpace) - first + 1);
    double value = 0;
    if (!parse_number(payload, value) || value < kMinIntervalS || value > kMaxIntervalS) return std::nullopt;
    return value;
}

namespace {

bool is_valid_levels(std::string_view topic, bool allow_plus) noexcept {
    if (topic.empty() || topic.back() == '/' || topic.find('\0') != std::string_view::npos) return false;
    if (topic.find('#') != std::string_view::npos) return false;
    for (std::size_t at = 0; at <= topic.size();) {
        const std::size_t slash = std::min(topic.find('/', at), topic.size());
        const std::string_view level = topic.substr(at, slash - at);
        if (level.find('+') != std::string_view::npos && !(allow_plus && level == "+")) return false;
        at = slash + 1;
    }
    return true;
}

}  // namespace

bool is_valid_topic_prefix(std::string_view prefix) noexcept { return is_valid_levels(prefix, false); }

bool is_valid_prefix_filter(std::string_view filter) noexcept { return is_valid_levels(filter, true); }

std::string topic_level(std::string_view name) {
    std::string level;
    for (const char c : name) level.push_back(c == '/' || c == '+' || c == '#' || c == '\0' ? '_' : c);
    return level.empty() ? std::string("unnamed") : level;
}

CommandLine parse_command_line(int argc, const char* const* argv) {
    Options options;
    options.admin_needs_token_beyond_loopback = true;
    try {
        for (int i = 1; i < argc; ++i) {
            std::string flag = argv[i];
            if (flag == "--help" || flag == "-h") return CommandLine{std::nullopt, usage(), 0};
            if (flag == "--version") {
                return CommandLine{std::nullopt, "sensor-server " + std::string(server_version()) + "\n", 0};
            }
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
        check_flag_combinations(options);
    } catch (const std::invalid_argument& error) {
        return CommandLine{std::nullopt, std::string("sensor-server: ") + error.what() + "\nTry 'sensor-server --help'.\n", 2};
    }
    return CommandLine{options, {}, 0};
}

}  // namespace sensor_server
