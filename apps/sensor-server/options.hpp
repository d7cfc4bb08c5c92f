#pragma once
// The command line: sensor-server [--host H] [--port P] [--sensor sim|fixed:VALUE|linux]
// [--interval SECONDS] ... Every flag is explained by --help.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sensor_server {

/// The range of --interval and of an interval command received over MQTT, in seconds.
inline constexpr double kMinIntervalS = 0.01;
inline constexpr double kMaxIntervalS = 86400;

/// A broker named by mqtt://HOST[:PORT] or mqtts://HOST[:PORT] (--mqtt, --fleet).
struct BrokerAddress {
    std::string host;
    std::uint16_t port = 1883;
    bool tls = false;  ///< mqtts://: MQTT over TLS, port 8883 by default
    friend bool operator==(const BrokerAddress&, const BrokerAddress&) = default;
};

/// --alert QUANTITY>VALUE (or <, >=, <=): a reading beyond a limit, marked on the dashboard and
/// counted in /metrics.
struct AlertRule {
    std::string key;   ///< a quantity's key: "temperature_c"
    std::string op;    ///< ">", "<", ">=" or "<="
    double value = 0;
    /// "temperature_c>30": how the rule is named in /metrics and on the page.
    [[nodiscard]] std::string text() const;
    /// Whether `reading` (the quantity's value) breaks the rule.
    [[nodiscard]] bool broken_by(double reading) const noexcept;
};

/// Parses "temperature_c>30"; std::invalid_argument with a message for people otherwise.
[[nodiscard]] AlertRule parse_alert(std::string_view text);

/// The most event loops --workers may ask for (a thread each).
inline constexpr std::size_t kMaxWorkers = 256;

struct Options {
    std::string host = "127.0.0.1";  ///< only this machine, unless --host says otherwise
    std::uint16_t port = 8080;
    std::string sensor = "sim";
    double interval_s = 1.0;
    std::size_t history = 300;
    /// --history-file: where the history is kept across restarts (empty: nowhere). Read and
    /// written by the Linux main (history_file.cpp); a board has no file system.
    std::string history_file;
    bool log = false;
    std::size_t max_connections = 1024;
    double header_timeout_s = 20;
    double idle_timeout_s = 60;
    double write_timeout_s = 10;
    /// Web pages of other origins allowed to open /ws (--allow-origin, repeatable; "*": any).
    /// Pages of this server and clients without Origin are always allowed.
    std::vector<std::string> allowed_origins;
    /// --admin-token: the Bearer token /metrics and /debug/tasks require (empty: none; then they
    /// are open on a loopback address and refused, 403, on any other).
    std::string admin_token;
    /// Whether /metrics and /debug/tasks are refused beyond loopback without a token. The command
    /// line sets it; a board's main that builds Options in code decides for itself (off: open).
    bool admin_needs_token_beyond_loopback = false;
    /// --alert (repeatable): limits each reading is checked against.
    std::vector<AlertRule> alerts;
    /// --tls-cert and --tls-key: serve HTTPS and WSS only, with this PEM certificate chain and
    /// key (both or neither; empty: plain HTTP).
    std::string tls_cert;
    std::string tls_key;
    /// --tls-key-password-file: the file whose first line is tls_key's password (empty: the key
    /// is not encrypted).
    std::string tls_key_password_file;
    /// --tls-ticket-lifetime: seconds between changes of the session-ticket keys, 0: no session
    /// tickets (unset: the library's default, one hour).
    std::optional<std::size_t> tls_ticket_lifetime_s;
    /// --mqtt: publish every reading to this broker (none: no MQTT at all).
    std::optional<BrokerAddress> mqtt;
    /// --mqtt-topic: the device's topic prefix; empty means sensors/<hostname>, filled in by main.
    std::string mqtt_topic;
    /// --fleet: show every device publishing to this broker at /fleet.
    std::optional<BrokerAddress> fleet;
    /// --fleet-topic: a filter of device prefixes ('+' for a whole level).
    std::string fleet_topic = "sensors/+";
    /// --mqtt-cafile: the PEM CA certificates an mqtts:// broker (--mqtt or --fleet) must chain
    /// to; required by mqtts://, refused without it.
    std::string mqtt_cafile;
    /// --workers: event loops serving, each on a thread of its own with its own SO_REUSEPORT
    /// listener on host:port (1: one loop, no threads). 0 stands for --workers auto, one per
    /// core, which the Linux main turns into a number (a board has one loop).
    std::size_t workers = 1;
};

/// Parses mqtt://HOST[:PORT] or mqtts://HOST[:PORT] (HOST may be [IPv6]; the default port is
/// 1883, or 8883 for mqtts://); std::invalid_argument naming `flag` otherwise.
[[nodiscard]] BrokerAddress parse_broker_url(std::string_view flag, std::string_view url);

/// The seconds asked for by an interval command (a payload such as "2.5", spaces around it
/// allowed), or std::nullopt if it is not a number in [kMinIntervalS, kMaxIntervalS].
[[nodiscard]] std::optional<double> parse_interval_command(std::string_view payload);

/// A topic prefix a device publishes under: levels without '+' or '#', no empty last level.
[[nodiscard]] bool is_valid_topic_prefix(std::string_view prefix) noexcept;
/// A filter of device prefixes: as a prefix, but '+' may fill whole levels ('#' may not: the
/// fleet appends /reading and /status to it).
[[nodiscard]] bool is_valid_prefix_filter(std::string_view filter) noexcept;
/// `name` made usable as one topic level (the default prefix sensors/<hostname>).
[[nodiscard]] std::string topic_level(std::string_view name);

/// What the command line asks for: options to run with, or text to print and an exit code
/// (0 for --help and --version on stdout, 2 for a bad flag on stderr).
struct CommandLine {
    std::optional<Options> options;
    std::string message;
    int exit_code = 0;
};

/// Whether `host` (--host) lets only this machine in: 127.x.y.z, ::1 or localhost.
[[nodiscard]] bool is_loopback_host(std::string_view host) noexcept;

[[nodiscard]] CommandLine parse_command_line(int argc, const char* const* argv);
[[nodiscard]] std::string usage();

}  // namespace sensor_server
