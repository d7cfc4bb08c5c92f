# sensor-server's file lists, shared by every build of the app: the Linux build
# (apps/sensor-server/CMakeLists.txt) and a board's (embedded/CMakeLists.txt). Include it from
# any CMake project, then use the lists and sensor_server_embed_assets():
#
#   include(${ASYNCIO_ROOT}/apps/sensor-server/sources.cmake)   # ASYNCIO_ROOT: the repository
#   add_library(sensor_server_core STATIC ${SENSOR_SERVER_CORE_SOURCES})
#   target_include_directories(sensor_server_core PUBLIC ${SENSOR_SERVER_DIR} ${ASYNCIO_ROOT}/include)
#   sensor_server_embed_assets(sensor_server_core)   # the web page, compiled in (needs Python 3)
#
# The core is portable: C++20 and the asyncio core/io/http headers, no OS header, no /proc or
# /sys, no std::thread where the platform has none (sampler.cpp checks), no std::random_device
# (main gives the seed). What a platform adds is its main, a DeviceInfo (device_info.hpp) and,
# if it wants one, make_sensor() (sensors.hpp).

# The folder of this file, resolved now: inside a function CMAKE_CURRENT_LIST_DIR is the caller's.
get_filename_component(SENSOR_SERVER_DIR "${CMAKE_CURRENT_LIST_DIR}" ABSOLUTE)

# The portable application core (history.hpp, device_info.hpp and the other headers are in
# SENSOR_SERVER_DIR).
set(SENSOR_SERVER_CORE_SOURCES
  ${SENSOR_SERVER_DIR}/app.cpp
  ${SENSOR_SERVER_DIR}/api.cpp
  ${SENSOR_SERVER_DIR}/dashboard.cpp
  ${SENSOR_SERVER_DIR}/json_text.cpp
  ${SENSOR_SERVER_DIR}/live.cpp
  ${SENSOR_SERVER_DIR}/number_text.cpp
  ${SENSOR_SERVER_DIR}/options.cpp
  ${SENSOR_SERVER_DIR}/quantities.cpp
  ${SENSOR_SERVER_DIR}/reading.cpp
  ${SENSOR_SERVER_DIR}/sampler.cpp
  ${SENSOR_SERVER_DIR}/sensors.cpp
  ${SENSOR_SERVER_DIR}/version.cpp)

# The server's version (--version, /api/device, /metrics, the dashboard): the VERSION of the
# top-level project(asyncio VERSION ...), the only place it is written. A build of the whole
# repository has it as asyncio_VERSION; a board's project (embedded/) reads the same line. It is a
# compile definition of version.cpp alone (a source property: it applies to targets made in the
# directory that includes this file, as the core's add_library() must be).
if(DEFINED asyncio_VERSION AND NOT asyncio_VERSION STREQUAL "")
  set(SENSOR_SERVER_VERSION "${asyncio_VERSION}")
else()
  set(_sensor_server_top "${SENSOR_SERVER_DIR}/../../CMakeLists.txt")
  file(STRINGS "${_sensor_server_top}" _sensor_server_project REGEX "^project\\(asyncio VERSION [0-9.]+")
  if(NOT _sensor_server_project MATCHES "VERSION ([0-9.]+)")
    message(FATAL_ERROR "sensor-server: no project(asyncio VERSION x.y.z) in ${_sensor_server_top}")
  endif()
  set(SENSOR_SERVER_VERSION "${CMAKE_MATCH_1}")
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${_sensor_server_top}")
endif()
set_source_files_properties(${SENSOR_SERVER_DIR}/version.cpp PROPERTIES
  COMPILE_DEFINITIONS "SENSOR_SERVER_VERSION=\"${SENSOR_SERVER_VERSION}\"")

# Linux only: the OS's device facts, the host's sensors, make_sensor() with "linux", the MQTT
# publisher (--mqtt) and fleet view (--fleet), the history file (--history-file), and main(). The core works without MQTT: a board's
# main simply leaves Options::mqtt and Options::fleet empty.
set(SENSOR_SERVER_LINUX_SOURCES
  ${SENSOR_SERVER_DIR}/broker_client.cpp
  ${SENSOR_SERVER_DIR}/fleet.cpp
  ${SENSOR_SERVER_DIR}/fleet_state.cpp
  ${SENSOR_SERVER_DIR}/history_file.cpp
  ${SENSOR_SERVER_DIR}/mqtt_publisher.cpp
  ${SENSOR_SERVER_DIR}/linux_device.cpp
  ${SENSOR_SERVER_DIR}/linux_sensor.cpp
  ${SENSOR_SERVER_DIR}/loop_group.cpp
  ${SENSOR_SERVER_DIR}/network_info.cpp
  ${SENSOR_SERVER_DIR}/worker_loops.cpp)
set(SENSOR_SERVER_LINUX_MAIN ${SENSOR_SERVER_DIR}/main.cpp)

# The dashboard's files, compiled into the core by sensor_server_embed_assets().
set(SENSOR_SERVER_WEB_ASSETS
  ${SENSOR_SERVER_DIR}/web/index.html
  ${SENSOR_SERVER_DIR}/web/app.js
  ${SENSOR_SERVER_DIR}/web/style.css
  ${SENSOR_SERVER_DIR}/web/favicon.svg
  ${SENSOR_SERVER_DIR}/web/manifest.webmanifest)

# The fleet page's files (--fleet), compiled into the Linux part by sensor_server_embed_fleet_assets().
set(SENSOR_SERVER_FLEET_ASSETS
  ${SENSOR_SERVER_DIR}/web/fleet.html
  ${SENSOR_SERVER_DIR}/web/fleet.js
  ${SENSOR_SERVER_DIR}/web/fleet.css)

include(${SENSOR_SERVER_DIR}/../../cmake/EmbedAssets.cmake)

# sensor_server_embed_assets(<target>): generates web_assets.cpp/.hpp (gzip at build time) in the
# calling directory's binary folder and adds them to <target> (dashboard.cpp includes
# "web_assets.hpp"). Call it from the directory that defines <target>.
function(sensor_server_embed_assets target)
  embed_assets(TARGET ${target} OUTPUT_NAME web_assets FILES ${SENSOR_SERVER_WEB_ASSETS})
endfunction()

# sensor_server_embed_fleet_assets(<target>): fleet_assets.cpp/.hpp, namespace
# sensor_server::fleet_web (fleet.cpp includes "fleet_assets.hpp").
function(sensor_server_embed_fleet_assets target)
  embed_assets(TARGET ${target} OUTPUT_NAME fleet_assets NAMESPACE sensor_server::fleet_web TEMPLATES fleet.html
               FILES ${SENSOR_SERVER_FLEET_ASSETS})
endfunction()
