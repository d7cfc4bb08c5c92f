#!/usr/bin/env python3
"""Connections accepted and closed per second: the asyncio-cpp server against CPython asyncio's.

Both servers do the same thing: accept, close the connection at once, wait until it is closed.
Both are loaded by the same blocking client (`accept_bench --client`, written in C++ so that the
client is never the bottleneck), which connects, reads until EOF, closes and starts again, from
--threads threads for --seconds. The servers run in turn, --reps times (interleaved), and the
median rate of each is reported with the ratio, together with the server's CPU time per
connection (utime+stime from /proc/PID/stat), which other load on the machine does not move.
With --pin (and taskset) the server runs on CPU 0 and the client on CPU 1; on a 2-CPU machine
one CPU of client threads then caps both servers, so by default nothing is pinned. The client
ends each connection with a reset after reading EOF, so no TIME_WAIT sockets pile up between
measurements.

    python3 bench/io/accept_bench.py --bench build-io/bench/accept_bench
    python3 bench/io/accept_bench.py --serve          # the CPython server alone (prints its port)

Only processes this script started are ever signalled.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys


async def _close_at_once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.close()
    await writer.wait_closed()


async def _serve() -> None:
    server = await asyncio.start_server(_close_at_once, "127.0.0.1", 0, backlog=4096)
    print(server.sockets[0].getsockname()[1], flush=True)
    loop = asyncio.get_running_loop()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, server.close)
    try:
        await server.serve_forever()
    except asyncio.CancelledError:
        pass


PIN = False


def _pinned(command: list[str], cpu: int) -> list[str]:
    if PIN and shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        return ["taskset", "-c", str(cpu)] + command
    return command


def _cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _measure(server_command: list[str], bench: str, seconds: float, threads: int) -> tuple[float, float]:
    """Connections per second, and the server's CPU microseconds per connection."""
    server = subprocess.Popen(_pinned(server_command, 0), stdout=subprocess.PIPE, text=True)
    try:
        port = int(server.stdout.readline())  # taskset execs the server: same pid
        cpu_before = _cpu_seconds(server.pid)
        out = subprocess.run(_pinned([bench, "--client", str(port), str(seconds), str(threads)], 1),
                             check=True, capture_output=True, text=True).stdout
        cpu_used = _cpu_seconds(server.pid) - cpu_before
        fields = dict(re.findall(r"(\w+)=([\d.]+)", out))
        if float(fields["errors"]) > 0:
            print(f"  ({fields['errors']} connection errors)", file=sys.stderr)
        return float(fields["rate"]), cpu_used * 1e6 / max(1.0, float(fields["connections"]))
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--serve", action="store_true", help="run the CPython server only")
    parser.add_argument("--bench", default="build-io/bench/accept_bench", help="the accept_bench program")
    parser.add_argument("--seconds", type=float, default=2.0, help="load time per measurement")
    parser.add_argument("--threads", type=int, default=4, help="client threads")
    parser.add_argument("--reps", type=int, default=5, help="measurements per server (median reported)")
    parser.add_argument("--pin", action="store_true", help="server on CPU 0, client on CPU 1 (taskset)")
    args = parser.parse_args()
    global PIN
    PIN = args.pin
    if args.serve:
        asyncio.run(_serve())
        return 0

    servers = {
        "asyncio-cpp": [args.bench, "--serve"],
        "CPython asyncio": [sys.executable, os.path.abspath(__file__), "--serve"],
    }
    rates: dict[str, list[float]] = {name: [] for name in servers}
    costs: dict[str, list[float]] = {name: [] for name in servers}
    for rep in range(args.reps):
        for name, command in servers.items():
            rate, cost = _measure(command, args.bench, args.seconds, args.threads)
            rates[name].append(rate)
            costs[name].append(cost)
            print(f"rep {rep + 1}: {name:16} {rate:10.0f} connections/s {cost:8.1f} us server CPU each", flush=True)
    medians = {name: statistics.median(values) for name, values in rates.items()}
    cost_medians = {name: statistics.median(values) for name, values in costs.items()}
    print()
    print(f"| server | connections/s (median of {args.reps}) | ratio | server CPU per connection | ratio |")
    print("|---|---:|---:|---:|---:|")
    base = medians["CPython asyncio"]
    base_cost = cost_medians["CPython asyncio"]
    for name, value in medians.items():
        cost = cost_medians[name]
        print(f"| {name} | {value:,.0f} | {value / base:.2f}x | {cost:.1f} us | {cost / base_cost:.2f}x |")
    print(f"\nPython {sys.version.split()[0]}, {args.threads} client threads, {args.seconds} s per measurement, "
          f"{'pinned' if PIN else 'not pinned'}, {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
