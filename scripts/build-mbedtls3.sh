#!/usr/bin/env bash
# Builds mbedTLS 3.6 (what ESP-IDF 5 ships) from Debian's source package, for checking that
# asyncio::tls compiles and passes its tests against the 3.x API as well as against Debian
# bookworm's libmbedtls-dev 2.28. The source is Debian trixie's (bookworm has no 3.x); the static
# libraries go to DEST/install, with mbedTLS's default configuration and three options turned on:
#   - MBEDTLS_ECDH_VARIANT_EVEREST_ENABLED: the formally verified X25519 of Project Everest that
#     mbedTLS ships in 3rdparty/everest (off by default only because it is Apache-2.0-only, not
#     dual-licensed). A TLS 1.3 handshake's X25519 exchange then costs 560 instead of 960 us on
#     this host (bench/RESULTS.md);
#   - MBEDTLS_THREADING_C and MBEDTLS_THREADING_PTHREAD, as Debian's 2.28 has them: the loops of
#     sensor-server --workers share one set of session-ticket keys, which needs their lock.
#
#   scripts/build-mbedtls3.sh DEST      # prints DEST/install (a CMAKE_PREFIX_PATH) when done
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 DEST" >&2; exit 2; }
here="$(cd "$(dirname "$0")/.." && pwd)"
dest="$(mkdir -p "$1" && cd "$1" && pwd)"
prefix="$dest/install"

# Set in the installed mbedtls_config.h (scripts/config.py), so that the library and the code
# built against it see the same structures. A build made without them is made again.
options="MBEDTLS_ECDH_VARIANT_EVEREST_ENABLED MBEDTLS_THREADING_C MBEDTLS_THREADING_PTHREAD"
configured() {
    for option in $options; do
        grep -qs "^#define $option" "$prefix/include/mbedtls/mbedtls_config.h" || return 1
    done
}
if ! configured; then
    rm -rf "$dest/build" "$prefix"
    tree=$(DEBIAN_SUITE=trixie "$here/scripts/fetch-debian-source.sh" mbedtls 3.6 "$dest/src" library/ssl_tls13_client.c)
    for option in $options; do
        python3 "$tree/scripts/config.py" --file "$tree/include/mbedtls/mbedtls_config.h" set "$option"
    done
    echo "build-mbedtls3.sh: building $(grep -m1 -o 'MBEDTLS_VERSION_STRING *"[^"]*"' "$tree/include/mbedtls/build_info.h")" >&2
    cmake -S "$tree" -B "$dest/build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" \
        -DCMAKE_POSITION_INDEPENDENT_CODE=ON -DENABLE_PROGRAMS=OFF -DENABLE_TESTING=OFF \
        -DMBEDTLS_FATAL_WARNINGS=OFF >&2
    cmake --build "$dest/build" -j"$(nproc)" >&2
    cmake --install "$dest/build" >&2
fi
echo "$prefix"
