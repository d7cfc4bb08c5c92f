#!/usr/bin/python3
"""Resident memory of sensor-server before, between and after rounds of heavy load.

    /usr/bin/python3 bench/rss_after_load.py build/apps/sensor-server/sensor-server [--rounds 3]
        [--connections 2000] [--seconds 10]

Each round is `wrk -t2 -cN -dS` on /api/sensor (past the default cap of 1,024 connections the
newcomers get 503 or are shed: that path is measured too). RSS (VmRSS) is read two seconds after
each round, when every connection is gone. Then, if gdb is installed and may attach, the script
calls glibc's malloc_trim(0) in the server and reads RSS once more: what that gives back was
memory the allocator kept after the program had freed it, not memory the program still holds.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import time


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def wait_until_serving(port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the server did not start")


def trim_heap(pid: int) -> bool:
    """Calls malloc_trim(0) inside the server (gdb attaches for a moment)."""
    if not shutil.which("gdb"):
        return False
    done = subprocess.run(["gdb", "-p", str(pid), "-batch", "-ex", "call (int) malloc_trim(0)"],
                          capture_output=True, text=True, timeout=60)
    return done.returncode == 0 and "$1 =" in done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=2000)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("rss_after_load.py: needs wrk (apt-get install wrk)", file=sys.stderr)
        return 2

    port = free_port()
    server = subprocess.Popen([args.binary, "--port", str(port), "--sensor", "sim"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_serving(port)
        time.sleep(1)
        print(f"RSS at start: {rss_kib(server.pid) / 1024:.1f} MiB")
        for round_number in range(1, args.rounds + 1):
            subprocess.run(["wrk", "-t2", f"-c{args.connections}", f"-d{args.seconds}s",
                            f"http://127.0.0.1:{port}/api/sensor"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            time.sleep(2)
            print(f"RSS after round {round_number} (c={args.connections}, {args.seconds} s): "
                  f"{rss_kib(server.pid) / 1024:.1f} MiB")
        if trim_heap(server.pid):
            print(f"RSS after malloc_trim(0): {rss_kib(server.pid) / 1024:.1f} MiB")
        else:
            print("malloc_trim(0) not measured (no gdb, or it may not attach)")
    finally:
        server.terminate()
        server.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
