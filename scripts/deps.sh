#!/usr/bin/env bash
# Makes sure the Debian packages a make target needs are installed.
# As root it installs what is missing; otherwise it prints the exact apt-get line and fails.
#   scripts/deps.sh build|test|bench|fuzz|docs|embedded ...
set -euo pipefail

packages_for() {
  case "$1" in
    build)    echo "g++ cmake make python3 libgtest-dev libgmock-dev libbenchmark-dev libmbedtls-dev liburing-dev ccache" ;;
    test)     echo "curl python3-websockets chromium mosquitto mosquitto-clients" ;;
    bench)    echo "wrk nginx-light libboost1.81-dev valgrind python3 libmosquitto-dev" ;;
    fuzz)     echo "clang libclang-rt-14-dev" ;;
    docs)     echo "doxygen" ;;
    # The board tests talk to the emulated board as users do: curl, Python, websockets, Chromium.
    embedded) echo "gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib qemu-system-arm cmake python3 curl python3-websockets chromium" ;;
    *) echo "deps.sh: unknown group '$1'" >&2; exit 2 ;;
  esac
}

missing=()
for group in "$@"; do
  for package in $(packages_for "$group"); do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$package")
    fi
  done
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  echo "Installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || true
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "Missing Debian packages. Install them with:" >&2
  echo "  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
