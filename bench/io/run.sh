#!/usr/bin/env bash
# Stream benchmarks: echo throughput through one connection (asyncio Stream echo server against a
# blocking-socket copy loop, same run, same client) and connections accepted+closed per second
# (asyncio-cpp against CPython asyncio, same client). Results: bench/RESULTS.md, "## Streams".
#   bench/io/run.sh BUILD_DIR [REPS]
set -euo pipefail
build=${1:-build}
reps=${2:-9}
here=$(cd "$(dirname "$0")" && pwd)

echo "-- echo throughput (64 MiB per iteration, 64 KiB chunks; median of $reps, interleaved)"
"$build/bench/echo_bench" --benchmark_repetitions="$reps" --benchmark_enable_random_interleaving=true \
  --benchmark_report_aggregates_only=true 2>&1 | grep -E "median|^Run on|^Load"

echo "-- connections accepted and closed per second (median of 5)"
python3 "$here/accept_bench.py" --bench "$build/bench/accept_bench" --reps 5 --seconds 2
