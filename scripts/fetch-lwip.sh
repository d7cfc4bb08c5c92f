#!/usr/bin/env bash
# Fetches lwIP 2.1.3 from Debian's source package `lwip` with apt's source download and unpacks
# it under DEST (default embedded/build-lwip/src). Nothing of lwIP is kept in the repository.
#
#   scripts/fetch-lwip.sh [DEST]      # prints DEST/lwip-2.1.3 (the tree) when done
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec "$here/scripts/fetch-debian-source.sh" lwip 2.1.3 "${1:-$here/embedded/build-lwip/src}" src/core/tcp.c
