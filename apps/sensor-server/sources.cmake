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
  ${SENSOR_SERVER_DIR}/live.cpp
  ${SENSOR_SERVER_DIR}/number_text.cpp
  ${SENSOR_SERVER_DIR}/options.cpp
  ${SENSOR_SERVER_DIR}/reading.cpp
  ${SENSOR_SERVER_DIR}/sampler.cpp
  ${SENSOR_SERVER_DIR}/sensors.cpp)

# Linux only: the OS's device facts, the host's sensors, make_sensor() with "linux", and main().
set(SENSOR_SERVER_LINUX_SOURCES
  ${SENSOR_SERVER_DIR}/linux_device.cpp
  ${SENSOR_SERVER_DIR}/linux_sensor.cpp
  ${SENSOR_SERVER_DIR}/network_info.cpp)
set(SENSOR_SERVER_LINUX_MAIN ${SENSOR_SERVER_DIR}/main.cpp)

# The dashboard's files, compiled into the core by sensor_server_embed_assets().
set(SENSOR_SERVER_WEB_ASSETS
  ${SENSOR_SERVER_DIR}/web/index.html
  ${SENSOR_SERVER_DIR}/web/app.js
  ${SENSOR_SERVER_DIR}/web/style.css
  ${SENSOR_SERVER_DIR}/web/favicon.svg)

include(${SENSOR_SERVER_DIR}/../../cmake/EmbedAssets.cmake)

# sensor_server_embed_assets(<target>): generates web_assets.cpp/.hpp (gzip at build time) in the
# calling directory's binary folder and adds them to <target> (dashboard.cpp includes
# "web_assets.hpp"). Call it from the directory that defines <target>.
function(sensor_server_embed_assets target)
  embed_assets(TARGET ${target} OUTPUT_NAME web_assets FILES ${SENSOR_SERVER_WEB_ASSETS})
endfunction()
