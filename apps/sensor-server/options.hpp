#pragma once
// The command line: sensor-server [--host H] [--port P] [--sensor sim|fixed:VALUE|linux]
// [--interval SECONDS] ... Every flag is explained by --help.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sensor_server {

struct Options {
    std::string host = "127.0.0.1";  ///< only this machine, unless --host says otherwise
    std::uint16_t port = 8080;
    std::string sensor = "sim";
    double interval_s = 1.0;
    std::size_t history = 300;
    bool log = false;
    std::size_t max_connections = 1024;
    double header_timeout_s = 20;
    double idle_timeout_s = 60;
    double write_timeout_s = 10;
    /// Web pages of other origins allowed to open /ws (--allow-origin, repeatable; "*": any).
    /// Pages of this server and clients without Origin are always allowed.
    std::vector<std::string> allowed_origins;
};

/// What the command line asks for: options to run with, or text to print and an exit code
/// (0 for --help on stdout, 2 for a bad flag on stderr).
struct CommandLine {
    std::optional<Options> options;
    std::string message;
    int exit_code = 0;
};

[[nodiscard]] CommandLine parse_command_line(int argc, const char* const* argv);
[[nodiscard]] std::string usage();

}  // namespace sensor_server
