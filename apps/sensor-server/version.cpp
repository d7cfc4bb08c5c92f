#include "version.hpp"

// Defined on this file by sources.cmake from the top-level project(asyncio VERSION ...).
#ifndef SENSOR_SERVER_VERSION
#error "SENSOR_SERVER_VERSION is not defined: build the app through apps/sensor-server/sources.cmake"
#endif

namespace sensor_server {

std::string_view server_version() noexcept { return SENSOR_SERVER_VERSION; }

}  // namespace sensor_server
