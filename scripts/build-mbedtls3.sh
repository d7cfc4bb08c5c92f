#!/usr/bin/env bash
# Builds mbedTLS 3.6 (what ESP-IDF 5 ships) from Debian's source package, for checking that
# asyncio::tls compiles and passes its tests against the 3.x API as well as against Debian
# bookworm's libmbedtls-dev 2.28. The source is Debian trixie's (bookworm has no 3.x); the static
# libraries go to DEST/install, with mbedTLS's default configuration.
#
#   scripts/build-mbedtls3.sh DEST      # prints DEST/install (a CMAKE_PREFIX_PATH) when done
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 DEST" >&2; exit 2; }
here="$(cd "$(dirname "$0")/.." && pwd)"
dest="$(mkdir -p "$1" && cd "$1" && pwd)"
prefix="$dest/install"

if [ ! -f "$prefix/lib/libmbedtls.a" ]; then
    tree=$(DEBIAN_SUITE=trixie "$here/scripts/fetch-debian-source.sh" mbedtls 3.6 "$dest/src" library/ssl_tls13_client.c)
    echo "build-mbedtls3.sh: building $(grep -m1 -o 'MBEDTLS_VERSION_STRING *"[^"]*"' "$tree/include/mbedtls/build_info.h")" >&2
    cmake -S "$tree" -B "$dest/build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" \
        -DCMAKE_POSITION_INDEPENDENT_CODE=ON -DENABLE_PROGRAMS=OFF -DENABLE_TESTING=OFF \
        -DMBEDTLS_FATAL_WARNINGS=OFF >&2
    cmake --build "$dest/build" -j"$(nproc)" >&2
    cmake --install "$dest/build" >&2
fi
echo "$prefix"
