#!/usr/bin/env bash
# What asyncio::tls costs the mps2-an385 board (Cortex-M3): builds an echo server over TLS and
# the same server in plain TCP (embedded/tls/footprint_main.cpp), with mbedTLS 2.28 configured
# for a board (embedded/tls/mbedtls_config.h) from Debian's source package, and prints their
# flash and static RAM and where the difference comes from.
#
#   embedded/tls/footprint.sh [BUILD]      # default embedded/build-tls-footprint; `make tls-footprint`
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${1:-$here/embedded/build-tls-footprint}"

mbedtls=$("$here/scripts/fetch-debian-source.sh" mbedtls 2.28.3 "$here/embedded/build-mbedtls/src" library/ssl_tls.c)
cmake -S "$here/embedded" -B "$build" -DCMAKE_TOOLCHAIN_FILE="$here/embedded/cmake/arm-none-eabi.cmake" \
    -DASYNCIO_BOARD=mps2-an385 -DASYNCIO_EXCEPTIONS=ON -DASYNCIO_MBEDTLS_DIR="$mbedtls" >/dev/null
cmake --build "$build" -j"$(nproc)" --target tls_footprint plain_footprint >/dev/null
python3 "$here/embedded/tls/footprint_report.py" "$build/device"
