#pragma once
// The server's version: the VERSION of the repository's project() (the top-level CMakeLists.txt),
// the one place it is written. sources.cmake reads it from there and hands it to version.cpp
// alone, so a new version recompiles one file. Shown by --version, /api/device ("version"),
// /metrics (sensor_server_info{version="..."}) and the dashboard's device panel.

#include <string_view>

namespace sensor_server {

/// "0.1.0".
[[nodiscard]] std::string_view server_version() noexcept;

}  // namespace sensor_server
