#!/usr/bin/env python3
"""The core micro-benchmarks of bench/core/*_bench.cpp, the same work in CPython's asyncio.

    python3 bench/core/asyncio_core_bench.py [--repetitions 5] [--json]

Each benchmark runs its timed loop inside one task on the default event loop, as the C++ ones
do, and reports the median over the repetitions of the time per operation (process CPU time,
as Google Benchmark's "CPU" column). The million sleeping tasks run once, in a fresh process, so
that its peak RSS is its own.
"""
import argparse
import asyncio
import gc
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc

N = 200_000


def timed(coro_fn, n, per=1):
    """CPU nanoseconds per operation for one run of coro_fn(n)."""
    gc.collect()
    start = time.process_time_ns()
    asyncio.run(coro_fn(n))
    return (time.process_time_ns() - start) / (n * per)


async def sleep_zero(n):
    for _ in range(n):
        await asyncio.sleep(0)


async def sleep_zero_two_tasks(n):
    stop = False

    async def other():
        while not stop:
            await asyncio.sleep(0)

    t = asyncio.create_task(other())
    for _ in range(n):
        await asyncio.sleep(0)
    stop = True
    await t


async def trivial(value):
    return value


async def create_task_join(n):
    total = 0
    for _ in range(n):
        total += await asyncio.create_task(trivial(1))


async def inline_await(n):
    total = 0
    for _ in range(n):
        total += await trivial(1)


async def event_set_wake(n):
    ping, pong = asyncio.Event(), asyncio.Event()
    stop = False

    async def echo():
        while True:
            await ping.wait()
            ping.clear()
            if stop:
                return
            pong.set()

    t = asyncio.create_task(echo())
    for _ in range(n):
        ping.set()
        await pong.wait()
        pong.clear()
    stop = True
    ping.set()
    await t


def queue_hand_off(maxsize):
    async def run(n):
        q = asyncio.Queue(maxsize)

        async def consume():
            while True:
                item = await q.get()
                if item < 0:
                    return

        c = asyncio.create_task(consume())
        for _ in range(n):
            await q.put(1)
        await q.put(-1)
        await c

    return run


async def bytes_per_suspended_task(count=10_000):
    async def sleeper():
        await asyncio.sleep(3600)

    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    tasks = [asyncio.create_task(sleeper()) for _ in range(count)]
    await asyncio.sleep(0)
    during = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return (during - before) / count


def million_sleeping_tasks(count=1_000_000):
    """Runs in its own process (see main): peak RSS, create and wake-all times.

    Each task sleeps until base + a distinct, shuffled offset of up to 1 ms, as the C++ one does
    with sleep_until(); CPython has no sleep_until, so it does what asyncio.sleep() does inside
    (a future resolved by a timer), with call_at. base leaves room for creating them all first:
    CPython takes seconds, so it is estimated from creating 20,000 first.
    """
    offsets = list(range(count))
    random.Random(42).shuffle(offsets)
    result = {}

    async def main():
        loop = asyncio.get_running_loop()
        state = {"remaining": count, "last": 0.0, "violations": 0, "first_wake": 0.0, "last_wake": 0.0}
        done = asyncio.Event()

        async def sleeper(deadline):
            future = loop.create_future()
            loop.call_at(deadline, future.set_result, None)
            await future
            now = loop.time()
            if state["remaining"] == count:
                state["first_wake"] = now
            if deadline < state["last"]:
                state["violations"] += 1
            state["last"] = deadline
            state["remaining"] -= 1
            if state["remaining"] == 0:
                state["last_wake"] = now
                done.set()

        probe_start = time.perf_counter()
        probes = [loop.create_task(sleeper(loop.time() + 3600)) for _ in range(20_000)]
        await asyncio.sleep(0)
        per_task = (time.perf_counter() - probe_start) / len(probes)
        for probe in probes:
            probe.cancel()
        await asyncio.gather(*probes, return_exceptions=True)

        start = time.perf_counter()
        base = loop.time() + 2 + 2 * per_task * count
        for i in range(count):
            loop.create_task(sleeper(base + offsets[i] * 1e-9))
        await asyncio.sleep(0)
        result["create_s"] = time.perf_counter() - start
        await done.wait()
        result["wake_all_s"] = state["last_wake"] - state["first_wake"]
        result["order_violations"] = state["violations"]

    asyncio.run(main())
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


BENCHMARKS = {
    "BM_SleepZeroSwitch": (sleep_zero, 1),
    "BM_SleepZeroTwoTasks": (sleep_zero_two_tasks, 2),
    "BM_CreateTaskJoin": (create_task_join, 1),
    "BM_InlineAwait": (inline_await, 1),
    "BM_EventSetWake": (event_set_wake, 2),
    "BM_QueueHandOff/1": (queue_hand_off(1), 1),
    "BM_QueueHandOff/64": (queue_hand_off(64), 1),
    "BM_QueueHandOff/0": (queue_hand_off(0), 1),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--million", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.million:
        print(json.dumps(million_sleeping_tasks()))
        return

    results = {}
    for name, (fn, per) in BENCHMARKS.items():
        runs = [timed(fn, N, per) for _ in range(args.repetitions)]
        results[name] = {"ns_per_op": statistics.median(runs)}
    results["BM_BytesPerSuspendedTask"] = {"bytes_per_task": asyncio.run(bytes_per_suspended_task())}
    child = subprocess.run([sys.executable, os.path.abspath(__file__), "--million"],
                           capture_output=True, text=True, check=True)
    results["BM_MillionSleepingTasks"] = json.loads(child.stdout)

    if args.json:
        print(json.dumps(results, indent=1))
    else:
        print(f"CPython {sys.version.split()[0]} asyncio, median of {args.repetitions} runs (CPU time)")
        for name, values in results.items():
            print(f"{name:28} " + "  ".join(f"{k}={v:.4g}" for k, v in values.items()))


if __name__ == "__main__":
    main()
