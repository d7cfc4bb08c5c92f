#!/bin/sh
# Builds the fuzzers (http parsers, MQTT packet decoder, Stream buffering) and runs each for
# SECONDS seconds (default 60), as many at once as there are cores.
#   fuzz/run.sh 20
# Exits non-zero if any harness crashes, leaks, times out or fails to build; the input that
# did it is saved as build-fuzz/artifacts/<harness>-crash-... (reproduce: build-fuzz/<harness>_fuzz FILE).
# Environment: FUZZ_BUILD_DIR (default: build-fuzz beside fuzz/), CXX (default clang++).
set -eu

seconds=${1:-60}
here=$(cd "$(dirname "$0")" && pwd)
build=${FUZZ_BUILD_DIR:-$(cd "$here/.." && pwd)/build-fuzz}
harnesses="request_parser chunked_decoder websocket_frame stream_readline mqtt_packet"

cmake -S "$here" -B "$build" -DCMAKE_CXX_COMPILER="${CXX:-clang++}" >/dev/null
cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)"

mkdir -p "$build/artifacts"
# One harness per core at a time; each writes its own log, read once it has finished.
fuzz_one() {
    name=$1
    # New inputs go to the build dir's corpus; the seeds in fuzz/corpus/ stay as committed.
    mkdir -p "$build/corpus/$name"
    if "$build/${name}_fuzz" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
            -print_final_stats=1 -artifact_prefix="$build/artifacts/$name-" \
            "$build/corpus/$name" "$here/corpus/$name" >"$build/$name.log" 2>&1; then
        echo ok >"$build/$name.status"
    else
        echo failed >"$build/$name.status"
    fi
}
cores=$(nproc 2>/dev/null || echo 1)
running=0
for name in $harnesses; do
    echo "== $name: ${seconds}s"
    fuzz_one "$name" &
    running=$((running + 1))
    if [ "$running" -ge "$cores" ]; then
        wait
        running=0
    fi
done
wait
failed=""
for name in $harnesses; do
    if [ "$(cat "$build/$name.status")" != ok ]; then
        failed="$failed $name"
        tail -n 40 "$build/$name.log"
    fi
    grep -E "^(stat::number_of_executed_units|stat::new_units_added)" "$build/$name.log" || true
done

if [ -n "$failed" ]; then
    echo "FUZZING FAILED:$failed (logs and artifacts in $build)" >&2
    exit 1
fi
echo "all fuzzers ran ${seconds}s without a finding"
