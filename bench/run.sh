#!/usr/bin/env bash
# `make bench`: every benchmark, each printing ratios against a reference measured in the same
# run. Results are summarised by hand in bench/RESULTS.md with the commands that produced them.
#   bench/run.sh BUILD_DIR
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
out="$build/bench-results"
mkdir -p "$out"

echo "== core micro-benchmarks"
if [ -x "$here/core/run.sh" ]; then "$here/core/run.sh" "$build" | tee "$out/core.txt"; fi

echo "== streams"
if [ -x "$here/io/run.sh" ]; then "$here/io/run.sh" "$build" | tee "$out/io.txt"; fi

echo "== HTTP: allocations per keep-alive request (counting allocator)"
if [ -x "$build/bench/keepalive_bench" ]; then "$build/bench/keepalive_bench" | tee "$out/http-allocations.txt"; fi

echo "== MQTT: publish throughput over one connection, asyncio-cpp against libmosquitto (same broker)"
if [ -x "$build/bench/mqtt_publish_bench" ]; then "$build/bench/mqtt_publish_bench" | tee "$out/mqtt-publish.txt"; fi

echo "== HTTP: sensor-server against raw epoll, Boost.Asio, nginx and CPython asyncio"
python3 "$here/http/run.py" --sensor-server "$build/apps/sensor-server/sensor-server" \
  --build-dir "$build/bench-http" --out "$out/http.md" "${@:2}"

echo "== HTTPS: sensor-server against nginx (keep-alive requests and full TLS handshakes)"
python3 "$here/tls/run.py" --sensor-server "$build/apps/sensor-server/sensor-server" --out "$out/tls.md"
echo "Results in $out/"
