#!/usr/bin/env bash
# Runs the core micro-benchmarks (bench/core/*_bench.cpp) and the same work in CPython's asyncio
# (asyncio_core_bench.py), then prints both side by side with the targets and the ratios.
#
#   bench/core/run.sh [BUILD_DIR]          default BUILD_DIR: build (configured if missing)
#   REPETITIONS=5 MILLION_RUNS=3 bench/core/run.sh build-core
#
# Figures are medians: of REPETITIONS runs for the micro-benchmarks (CPU time per operation), of
# MILLION_RUNS runs of the million-sleeping-tasks program (each in a fresh process).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build}
reps=${REPETITIONS:-5}
million_runs=${MILLION_RUNS:-3}

if [[ ! -f "$build/CMakeCache.txt" ]]; then
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DASYNCIO_BUILD_APP=OFF >/dev/null
fi
cmake --build "$build" --target task_bench queue_bench sleeping_tasks_bench -j"$(nproc)" >/dev/null

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for bench in task_bench queue_bench; do
    "$build/bench/$bench" --benchmark_repetitions="$reps" --benchmark_report_aggregates_only=true \
        --benchmark_format=json >"$out/$bench.json" 2>/dev/null
done
for run in $(seq "$million_runs"); do
    "$build/bench/sleeping_tasks_bench" --benchmark_format=json >"$out/million_$run.json" 2>/dev/null
done
python3 "$here/asyncio_core_bench.py" --repetitions "$reps" --json >"$out/python.json"

python3 - "$out" "$reps" "$million_runs" <<'PYTHON'
import glob, json, statistics, sys

out, reps, million_runs = sys.argv[1], sys.argv[2], sys.argv[3]
cpp = {}
for path in [f"{out}/task_bench.json", f"{out}/queue_bench.json"]:
    for entry in json.load(open(path))["benchmarks"]:
        if entry.get("aggregate_name") == "median":
            cpp[entry["run_name"]] = entry
million = [json.load(open(p))["benchmarks"][0] for p in sorted(glob.glob(f"{out}/million_*.json"))]
python = json.load(open(f"{out}/python.json"))

def ns_per_op(entry):
    return 1e9 / entry["items_per_second"]

rows = [  # (benchmark, what one operation is, target in ns or None)
    ("BM_SleepZeroSwitch", "sleep(0) task switch", 50),
    ("BM_SleepZeroTwoTasks", "switch between two tasks", None),
    ("BM_CreateTaskJoin", "create_task + join (trivial task)", 150),
    ("BM_InlineAwait", "await a coroutine inline", None),
    ("BM_EventSetWake", "Event set -> waiter wakes", None),
    ("BM_QueueHandOff/1", "Queue hand-off, maxsize 1", None),
    ("BM_QueueHandOff/64", "Queue hand-off, maxsize 64", None),
    ("BM_QueueHandOff/0", "Queue hand-off, unbounded", None),
]
print(f"C++: median of {reps} repetitions (CPU ns per operation); CPython 3 asyncio: the same work")
print(f"{'benchmark':22} {'operation':34} {'C++ ns':>9} {'target':>7} {'CPython ns':>11} {'CPython/C++':>12}")
for name, what, target in rows:
    c = ns_per_op(cpp[name])
    p = python[name]["ns_per_op"]
    t = f"<= {target}" if target else ""
    ok = "" if target is None else ("  ok" if c <= target else "  MISSED")
    print(f"{name:22} {what:34} {c:9.1f} {t:>7} {p:11.0f} {p / c:11.0f}x{ok}")

frame = cpp["BM_BytesPerSuspendedTask/iterations:3"]
print(f"{'BM_BytesPerSuspendedTask':22} {'bytes per task asleep in sleep()':34} "
      f"{frame['frame_bytes_per_task']:6.0f} frame, {frame['heap_bytes_per_task']:.0f} malloc'd   "
      f"CPython {python['BM_BytesPerSuspendedTask']['bytes_per_task']:.0f} "
      f"({python['BM_BytesPerSuspendedTask']['bytes_per_task'] / frame['heap_bytes_per_task']:.1f}x)")

print(f"\n1,000,000 sleeping tasks (C++: median of {million_runs} runs; CPython: one run)")
print(f"{'':22} {'C++':>10} {'target':>9} {'CPython':>10} {'CPython/C++':>12}")
py = python["BM_MillionSleepingTasks"]
for key, unit, target in [("peak_rss_mib", "MiB", 256), ("create_s", "s", None), ("wake_all_s", "s", 2),
                          ("order_violations", "", 0)]:
    c = statistics.median(run[key] for run in million)
    t = "" if target is None else f"<= {target}"
    ok = "" if target is None else ("  ok" if c <= target else "  MISSED")
    ratio = f"{py[key] / c:11.1f}x" if c else f"{'-':>12}"
    print(f"{key + (' (' + unit + ')' if unit else ''):22} {c:10.3f} {t:>9} {py[key]:10.3f} {ratio}{ok}")
PYTHON
