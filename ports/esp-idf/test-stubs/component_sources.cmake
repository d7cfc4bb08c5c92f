# The sources of the ESP-IDF component, found as ESP-IDF finds them, for the checks that stand in
# for an ESP-IDF build (check_component.cmake, tests/io/CMakeLists.txt).

# asyncio_idf_list_sources(<out> <repo> <idf_component_register arguments>...): the sources that
# call names (SRCS, *.c/*.cpp/*.S of each SRC_DIRS folder, less EXCLUDE_SRCS), relative to <repo>.
# Every folder and excluded file it names must exist: a renamed file would silently stop being
# excluded.
function(asyncio_idf_list_sources out repo)
  cmake_parse_arguments(ARG "" "" "SRCS;SRC_DIRS;EXCLUDE_SRCS;INCLUDE_DIRS;PRIV_INCLUDE_DIRS;REQUIRES;PRIV_REQUIRES" ${ARGN})
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "idf_component_register: unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  set(sources ${ARG_SRCS})
  foreach(dir IN LISTS ARG_SRC_DIRS ARG_INCLUDE_DIRS ARG_PRIV_INCLUDE_DIRS)
    if(NOT IS_DIRECTORY ${repo}/${dir})
      message(FATAL_ERROR "component folder ${dir} does not exist")
    endif()
  endforeach()
  foreach(dir IN LISTS ARG_SRC_DIRS)
    if(CMAKE_SCRIPT_MODE_FILE)
      file(GLOB found RELATIVE ${repo} ${repo}/${dir}/*.c ${repo}/${dir}/*.cpp ${repo}/${dir}/*.S)
    else()
      file(GLOB found RELATIVE ${repo} CONFIGURE_DEPENDS ${repo}/${dir}/*.c ${repo}/${dir}/*.cpp ${repo}/${dir}/*.S)
    endif()
    list(APPEND sources ${found})
  endforeach()
  foreach(excluded IN LISTS ARG_EXCLUDE_SRCS)
    if(NOT EXISTS ${repo}/${excluded})
      message(FATAL_ERROR "excluded source ${excluded} does not exist")
    endif()
    list(REMOVE_ITEM sources ${excluded})
  endforeach()
  set(${out} ${sources} PARENT_SCOPE)
endfunction()

# asyncio_esp_component_sources(<repo> <out>): reads <repo>/CMakeLists.txt as ESP-IDF does (its
# ESP_PLATFORM branch, with C++ exceptions on) and returns the sources of the component it
# registers. For a configuring project: the branch returns before anything else is read.
function(asyncio_esp_component_sources repo out)
  function(idf_component_register)
    asyncio_idf_list_sources(sources ${ASYNCIO_IDF_REPO} ${ARGN})
    set(ASYNCIO_IDF_SOURCES ${sources} PARENT_SCOPE)
  endfunction()
  set(ASYNCIO_IDF_REPO ${repo})
  set(ESP_PLATFORM 1)
  set(CONFIG_COMPILER_CXX_EXCEPTIONS y)
  unset(ASYNCIO_IDF_SOURCES)
  include(${repo}/CMakeLists.txt)
  if(NOT ASYNCIO_IDF_SOURCES)
    message(FATAL_ERROR "${repo}/CMakeLists.txt registered no ESP-IDF component")
  endif()
  set(${out} ${ASYNCIO_IDF_SOURCES} PARENT_SCOPE)
endfunction()
