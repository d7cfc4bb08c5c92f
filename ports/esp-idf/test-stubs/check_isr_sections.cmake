# The interrupt path of ThreadSafeFlag::set() is in IRAM on ESP-IDF: reads the symbol table of a
# program built from the component's sources with the stand-in esp_attr.h (IRAM_ATTR = section
# ".iram1.<n>", as ESP-IDF spells it) and checks the section of each function an interrupt handler
# runs through set(). One function off that path must be in .text, to show the reading works.
# Usage: cmake -DOBJDUMP=<objdump> -DPROGRAM=<esp_idf_component_check> -P check_isr_sections.cmake
cmake_minimum_required(VERSION 3.20)
if(NOT OBJDUMP OR NOT PROGRAM)
  message(FATAL_ERROR "pass -DOBJDUMP=<objdump> -DPROGRAM=<program>")
endif()
execute_process(COMMAND ${OBJDUMP} -t -C ${PROGRAM} RESULT_VARIABLE result OUTPUT_VARIABLE table ERROR_VARIABLE errors)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "${OBJDUMP} -t ${PROGRAM} failed: ${errors}")
endif()
string(REPLACE ";" "," table "${table}")
string(REPLACE "\n" ";" lines "${table}")

# section_of(<out> <demangled name>): the section of the function symbol with that name.
function(section_of out name)
  foreach(line IN LISTS lines)
    string(LENGTH "${line}" line_length)
    string(LENGTH "${name}" name_length)
    if(line_length LESS name_length)
      continue()
    endif()
    math(EXPR start "${line_length} - ${name_length}")
    string(SUBSTRING "${line}" ${start} -1 tail)
    # "<address> <flags> F <section>\t<size> <name>"
    if(tail STREQUAL name AND line MATCHES "^[0-9a-f]+ [^\t]* F ([^ \t]+)\t")
      set(${out} ${CMAKE_MATCH_1} PARENT_SCOPE)
      return()
    endif()
  endforeach()
  message(FATAL_ERROR "no function ${name} in ${PROGRAM}")
endfunction()

set(failed FALSE)
foreach(name
    "asyncio::ThreadSafeFlag::set()"
    "asyncio::EventLoop::notify_threadsafe()"
    "asyncio::detail::(anonymous namespace)::PollPoller::wake()")
  section_of(section "${name}")
  if(section MATCHES "^\\.iram1(\\.|$)")
    message(STATUS "in IRAM: ${name} (${section})")
  else()
    message(SEND_ERROR "${name} is in ${section}, not in IRAM (.iram1): mark it ASYNCIO_ISR_ATTR")
    set(failed TRUE)
  endif()
endforeach()
section_of(section "asyncio::EventLoop::run_external_events()")
if(NOT section STREQUAL ".text")
  message(SEND_ERROR "asyncio::EventLoop::run_external_events() is in ${section}, expected .text")
  set(failed TRUE)
endif()
if(failed)
  message(FATAL_ERROR "the interrupt path of ThreadSafeFlag::set() is not all in IRAM")
endif()
