# Reads the repository's CMakeLists.txt as ESP-IDF does (ESP_PLATFORM set, idf_component_register
# provided) and checks the component it declares, without ESP-IDF:
# - the ESP-IDF branch returns before anything only a Linux build may run (project() cannot run
#   in this script mode: reaching it fails the check);
# - every folder and excluded file it names exists (a renamed file would silently stop being
#   excluded);
# - the sources are the poll() back-end with the ESP-IDF port: one make_default_platform(), no
#   Linux-only header (epoll, eventfd, signalfd, <poll.h>, which ESP-IDF's newlib lacks);
# - C++ exceptions: with CONFIG_COMPILER_CXX_EXCEPTIONS off the branch stops with a message that
#   names the option; ESP-IDF's first pass (CMAKE_BUILD_EARLY_EXPANSION, no sdkconfig loaded yet)
#   still registers; the example's sdkconfig.defaults turns them on.
# Usage: cmake -DREPO=<repository root> -P check_component.cmake
# (each sdkconfig case runs as its own cmake -P of this script, with -DSCENARIO=<case>)
cmake_minimum_required(VERSION 3.20)
if(NOT REPO)
  message(FATAL_ERROR "pass -DREPO=<repository root>")
endif()
include(${CMAKE_CURRENT_LIST_DIR}/component_sources.cmake)

if(NOT SCENARIO)
  set(expected_exceptions-on "ESP-IDF component: [0-9]+ sources")
  set(expected_early-expansion "ESP-IDF component: [0-9]+ sources")
  set(expected_exceptions-off "CONFIG_COMPILER_CXX_EXCEPTIONS=y")
  foreach(scenario exceptions-on early-expansion exceptions-off)
    execute_process(COMMAND ${CMAKE_COMMAND} -DREPO=${REPO} -DSCENARIO=${scenario} -P ${CMAKE_CURRENT_LIST_FILE}
                    RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
    message(STATUS "[${scenario}]\n${output}")
    if(scenario STREQUAL "exceptions-off")
      if(result EQUAL 0 OR NOT output MATCHES "${expected_${scenario}}")
        message(FATAL_ERROR "[${scenario}] the component must refuse to build without C++ exceptions, "
                            "naming CONFIG_COMPILER_CXX_EXCEPTIONS=y")
      endif()
    elseif(NOT result EQUAL 0 OR NOT output MATCHES "${expected_${scenario}}")
      message(FATAL_ERROR "[${scenario}] the component was not registered")
    endif()
  endforeach()
  file(STRINGS ${REPO}/ports/esp-idf/examples/blink/sdkconfig.defaults defaults)
  if(NOT "CONFIG_COMPILER_CXX_EXCEPTIONS=y" IN_LIST defaults)
    message(FATAL_ERROR "the example's sdkconfig.defaults must set CONFIG_COMPILER_CXX_EXCEPTIONS=y")
  endif()
  return()
endif()

set(COMPONENT_REGISTERED FALSE)
function(idf_component_register)
  asyncio_idf_list_sources(sources ${REPO} ${ARGN})
  cmake_parse_arguments(ARG "" "" "SRCS;SRC_DIRS;EXCLUDE_SRCS;INCLUDE_DIRS;PRIV_INCLUDE_DIRS;REQUIRES;PRIV_REQUIRES" ${ARGN})
  foreach(required esp_timer vfs lwip mbedtls)
    if(NOT required IN_LIST ARG_REQUIRES AND NOT required IN_LIST ARG_PRIV_REQUIRES)
      message(FATAL_ERROR "the component must require ${required}")
    endif()
  endforeach()

  set(platform_definitions "")
  foreach(source IN LISTS sources)
    file(READ ${REPO}/${source} text)
    if(text MATCHES "make_default_platform\\(\\)[ \n]*{")
      list(APPEND platform_definitions ${source})
    endif()
    if(text MATCHES "#include <(sys/epoll\\.h|sys/eventfd\\.h|sys/signalfd\\.h|sys/timerfd\\.h|poll\\.h|linux/[^>]*)>")
      message(FATAL_ERROR "${source} includes <${CMAKE_MATCH_1}>, which ESP-IDF does not have")
    endif()
  endforeach()
  if(NOT platform_definitions STREQUAL "src/io/poll_poller.cpp")
    message(FATAL_ERROR "make_default_platform() must be defined once, by src/io/poll_poller.cpp; found: ${platform_definitions}")
  endif()
  if(NOT "ports/esp-idf/src/poll_port_esp_idf.cpp" IN_LIST sources)
    message(FATAL_ERROR "the ESP-IDF port is not among the sources")
  endif()
  list(LENGTH sources count)
  message(STATUS "ESP-IDF component: ${count} sources, poll() back-end, ESP-IDF port")
  set(COMPONENT_REGISTERED TRUE PARENT_SCOPE)
endfunction()

set(ESP_PLATFORM 1)
if(SCENARIO STREQUAL "exceptions-on")
  set(CONFIG_COMPILER_CXX_EXCEPTIONS y)
elseif(SCENARIO STREQUAL "early-expansion")
  set(CMAKE_BUILD_EARLY_EXPANSION 1)
elseif(NOT SCENARIO STREQUAL "exceptions-off")
  message(FATAL_ERROR "unknown SCENARIO ${SCENARIO}")
endif()
set(CMAKE_CURRENT_SOURCE_DIR ${REPO})
set(CMAKE_CURRENT_LIST_DIR ${REPO})
include(${REPO}/CMakeLists.txt)
if(NOT COMPONENT_REGISTERED)
  message(FATAL_ERROR "the ESP_PLATFORM branch did not call idf_component_register()")
endif()
