# Fails when a layer includes a layer it must not know (docs/DESIGN.md, "Layers"): every file
# under include/asyncio/<layer>/ and src/<layer>/ may include asyncio/<other>/... only for the
# layers listed as allowed below. A relative include that climbs out of the layer ("../http/x.hpp")
# counts as an include of that layer too.
#   cmake -DREPO=<repository root> -P tests/layers/check_layers.cmake
cmake_minimum_required(VERSION 3.20)  # the policies of if(IN_LIST)
if(NOT REPO)
  message(FATAL_ERROR "usage: cmake -DREPO=<repository root> -P check_layers.cmake")
endif()

# layer -> the layers its files may include (itself and those below it). tls has no headers of
# its own: include/asyncio/io/tls.hpp sits in io and follows io's rule.
set(allowed_core core)
set(allowed_io core io)
set(allowed_http core io http)
set(allowed_mqtt core io mqtt)
set(allowed_tls core io tls)
set(layers core io http mqtt tls)

set(violations "")
set(files_checked 0)
foreach(layer IN LISTS layers)
  file(GLOB_RECURSE files LIST_DIRECTORIES false
    "${REPO}/include/asyncio/${layer}/*.hpp" "${REPO}/include/asyncio/${layer}/*.h"
    "${REPO}/src/${layer}/*.hpp" "${REPO}/src/${layer}/*.h" "${REPO}/src/${layer}/*.cpp")
  foreach(file IN LISTS files)
    math(EXPR files_checked "${files_checked} + 1")
    file(STRINGS "${file}" includes REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"]")
    foreach(line IN LISTS includes)
      set(included "")
      if(line MATCHES "[<\"]asyncio/([a-z_]+)/")
        set(included "${CMAKE_MATCH_1}")
      elseif(line MATCHES "[<\"](\\.\\./)+([a-z_]+)/")
        set(included "${CMAKE_MATCH_2}")
      endif()
      if(included AND included IN_LIST layers AND NOT included IN_LIST allowed_${layer})
        file(RELATIVE_PATH shown "${REPO}" "${file}")
        string(STRIP "${line}" line)
        string(APPEND violations "\n  ${shown}: ${line}  (${layer} may include only: ${allowed_${layer}})")
      endif()
    endforeach()
  endforeach()
endforeach()

if(files_checked EQUAL 0)
  message(FATAL_ERROR "no file found under ${REPO}/include/asyncio or ${REPO}/src: wrong REPO?")
endif()
if(violations)
  message(FATAL_ERROR "a layer includes a layer above or beside it:${violations}")
endif()
message(STATUS "layers: ${files_checked} files, every include within its layer's rule")
