# embed_assets(TARGET <target> OUTPUT_NAME <name> [NAMESPACE <ns>] [TEMPLATES <file name>...] FILES <file>...)
#
# Compiles FILES into <target> with scripts/embed_assets.py: generates <name>.cpp and <name>.hpp
# in ${CMAKE_CURRENT_BINARY_DIR}/<name>/, adds the .cpp to <target>'s sources and that directory to
# its include path (PUBLIC, so tests linking <target> can `#include "<name>.hpp"` too).
# The files are regenerated whenever one of FILES or the script changes.
#
#   include(${PROJECT_SOURCE_DIR}/cmake/EmbedAssets.cmake)
#   embed_assets(TARGET sensor_server_lib OUTPUT_NAME web_assets
#                FILES web/index.html web/app.js web/style.css web/favicon.svg)
#
# NAMESPACE defaults to sensor_server; TEMPLATES (file names kept raw-only, keyed by bare name)
# defaults to index.html. Relative FILES are taken from ${CMAKE_CURRENT_SOURCE_DIR}. Call it from
# the directory that defines <target> (a custom command's output is only known in its directory).

find_package(Python3 COMPONENTS Interpreter REQUIRED)

# Resolved once, here: inside the function CMAKE_CURRENT_LIST_DIR is the caller's directory.
get_filename_component(_embed_assets_script "${CMAKE_CURRENT_LIST_DIR}/../scripts/embed_assets.py" ABSOLUTE)
set_property(GLOBAL PROPERTY EMBED_ASSETS_SCRIPT "${_embed_assets_script}")

function(embed_assets)
  cmake_parse_arguments(PARSE_ARGV 0 EA "" "TARGET;OUTPUT_NAME;NAMESPACE" "FILES;TEMPLATES")
  if(EA_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "embed_assets: unknown arguments: ${EA_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT EA_TARGET OR NOT EA_OUTPUT_NAME OR NOT EA_FILES)
    message(FATAL_ERROR "embed_assets: TARGET, OUTPUT_NAME and FILES are required")
  endif()
  if(NOT TARGET ${EA_TARGET})
    message(FATAL_ERROR "embed_assets: ${EA_TARGET} is not a target")
  endif()
  get_property(script GLOBAL PROPERTY EMBED_ASSETS_SCRIPT)

  set(options)
  if(EA_NAMESPACE)
    list(APPEND options --namespace ${EA_NAMESPACE})
  endif()
  foreach(t IN LISTS EA_TEMPLATES)
    list(APPEND options --template ${t})
  endforeach()

  set(files)
  foreach(f IN LISTS EA_FILES)
    get_filename_component(abs "${f}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    list(APPEND files "${abs}")
  endforeach()

  set(dir "${CMAKE_CURRENT_BINARY_DIR}/${EA_OUTPUT_NAME}")
  set(cpp "${dir}/${EA_OUTPUT_NAME}.cpp")
  set(hpp "${dir}/${EA_OUTPUT_NAME}.hpp")
  add_custom_command(
    OUTPUT "${cpp}" "${hpp}"
    COMMAND "${Python3_EXECUTABLE}" "${script}" ${options} "${cpp}" "${hpp}" ${files}
    DEPENDS ${files} "${script}"
    COMMENT "Embedding web assets into ${EA_OUTPUT_NAME}.cpp"
    VERBATIM)
  target_sources(${EA_TARGET} PRIVATE "${cpp}" "${hpp}")
  target_include_directories(${EA_TARGET} PUBLIC "$<BUILD_INTERFACE:${dir}>")
endfunction()
