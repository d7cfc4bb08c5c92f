# lwIP 2.1.3 and the io layer on it, for every build that uses them: the board's (embedded/) and
# the host tests of the lwIP back-end (tests/lwip). Include with ASYNCIO_LWIP_REPO set to the
# repository's root.
#
# lwIP is not in the repository: scripts/fetch-lwip.sh unpacks Debian's source package `lwip`
# (BSD-3-Clause) into embedded/build-lwip/src once, shared by every build tree; the cache entry
# ASYNCIO_LWIP_DIR names a tree unpacked elsewhere instead.
#
#   asyncio_find_lwip(<var>)    the lwIP tree in <var>, or empty with the reason in <var>_ERROR
#   asyncio_lwip_sources(<var> <tree>)  lwIP's core, IPv4 and Ethernet files of <tree>
#                               (COREFILES + CORE4FILES of src/Filelists.mk, netif/ethernet.c),
#                               compiled without this project's warnings
#   ASYNCIO_LWIP_IO_SOURCES     the io and http layers as a board builds them: the shared io
#                               files, and src/io/lwip in place of the Linux socket calls

set(ASYNCIO_LWIP_DIR "" CACHE PATH "An unpacked lwIP 2.1.3 tree (empty: fetch it with scripts/fetch-lwip.sh)")

function(asyncio_find_lwip var)
  set(error "")
  if(ASYNCIO_LWIP_DIR)
    set(tree "${ASYNCIO_LWIP_DIR}")
  else()
    execute_process(COMMAND "${ASYNCIO_LWIP_REPO}/scripts/fetch-lwip.sh"
      OUTPUT_VARIABLE tree ERROR_VARIABLE log RESULT_VARIABLE status OUTPUT_STRIP_TRAILING_WHITESPACE)
    if(NOT status EQUAL 0)
      set(tree "")
      set(error "scripts/fetch-lwip.sh could not fetch lwIP 2.1.3 (exit status ${status}):\n${log}\n"
        "It needs Debian's archive (apt-get source lwip). Without network access, unpack lwip_2.1.3 "
        "somewhere and configure with -DASYNCIO_LWIP_DIR=<the tree>.")
    endif()
  endif()
  if(tree AND (NOT EXISTS "${tree}/src/core/tcp.c" OR NOT EXISTS "${tree}/src/include/lwip/init.h"))
    set(error "'${tree}' is not an lwIP 2.1.3 tree (no src/core/tcp.c)")
    set(tree "")
  endif()
  set(${var} "${tree}" PARENT_SCOPE)
  set(${var}_ERROR "${error}" PARENT_SCOPE)
endfunction()

function(asyncio_lwip_sources var tree)
  set(sources)
  foreach(file core/init.c core/def.c core/dns.c core/inet_chksum.c core/ip.c core/mem.c core/memp.c
      core/netif.c core/pbuf.c core/raw.c core/stats.c core/sys.c core/altcp.c core/altcp_alloc.c
      core/altcp_tcp.c core/tcp.c core/tcp_in.c core/tcp_out.c core/timeouts.c core/udp.c
      core/ipv4/autoip.c core/ipv4/dhcp.c core/ipv4/etharp.c core/ipv4/icmp.c core/ipv4/igmp.c
      core/ipv4/ip4_frag.c core/ipv4/ip4.c core/ipv4/ip4_addr.c netif/ethernet.c)
    list(APPEND sources "${tree}/src/${file}")
  endforeach()
  # lwIP's own code is not held to this project's warnings.
  set_source_files_properties(${sources} PROPERTIES COMPILE_OPTIONS "-w")
  set(${var} ${sources} PARENT_SCOPE)
endfunction()

file(GLOB ASYNCIO_LWIP_IO_SOURCES CONFIGURE_DEPENDS
  ${ASYNCIO_LWIP_REPO}/src/io/lwip/*.cpp ${ASYNCIO_LWIP_REPO}/src/http/*.cpp)
list(APPEND ASYNCIO_LWIP_IO_SOURCES
  ${ASYNCIO_LWIP_REPO}/src/io/address.cpp
  ${ASYNCIO_LWIP_REPO}/src/io/buffer_pool.cpp
  ${ASYNCIO_LWIP_REPO}/src/io/io_handle.cpp
  ${ASYNCIO_LWIP_REPO}/src/io/accept_shedding.cpp
  ${ASYNCIO_LWIP_REPO}/src/io/server.cpp
  ${ASYNCIO_LWIP_REPO}/src/io/stream.cpp)
