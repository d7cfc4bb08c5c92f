#!/usr/bin/env python3
"""HTTP comparison benchmark: sensor-server against raw epoll, Boost.Asio, nginx and CPython asyncio.

One command builds the C++ comparison servers, starts every server, loads each one with
`wrk -t1` and prints (and writes as markdown) requests/s, p50/p99 latency and the server's CPU
time per request, each with its ratio to sensor-server:

    bench/http/run.py --sensor-server build/apps/sensor-server/sensor-server
    bench/http/run.py --only raw,asio,nginx,cpython --duration 2 --reps 1   # quick, no sensor-server

Every server answers `GET /api/sensor` with the same JSON body over HTTP/1.1 on 127.0.0.1
(sensor-server's own body, fetched at start, is the template for the others: the same bytes apart
from the `ts` value). The server is pinned to CPU 0 (taskset -c 0) and wrk to CPU 1.

Parts (--parts, all by default):
  keepalive  wrk -t1 -cN --latency for every N in --connections
  pipeline   16 requests per write (pipeline.lua) at --pipeline-connections
  churn      a new connection per request (-H 'Connection: close') at --churn-connections
  syscalls   system calls per keep-alive request: `strace -c -f` attached to the server while
             wrk loads it (--syscall-connections); strace slows the server, so only the counts
             per request mean anything, not the speed
  callgrind  user-space instructions per request under valgrind --tool=callgrind: K and 2K
             keep-alive requests, (Ir(2K) - Ir(K)) / K, so start-up and shutdown cancel out
  memory     RSS per connection with 10,000 idle keep-alive connections (one request each)
CPU time per request is utime+stime from /proc/PID/stat (for nginx: master + worker) read
before and after each wrk run, divided by the requests wrk completed. Each measurement is
repeated --reps times (servers interleaved within a repetition) and the median is reported.

Only processes this script started are ever signalled; all of them are stopped on exit,
on an exception and on Ctrl-C/SIGTERM.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_BODY = b'{"ts":1732550000000,"temperature_c":21.5}'
CLK_TCK = os.sysconf("SC_CLK_TCK")
SERVER_CPU = "0"
LOAD_CPU = "1"
ALL_SERVERS = ["sensor", "uring", "workers2", "raw", "asio", "nginx", "cpython"]
ALL_PARTS = ["keepalive", "pipeline", "churn", "syscalls", "callgrind", "memory"]
# sensor-server as it is (epoll), on the io_uring back-end (ASYNCIO_POLLER=uring), with 2 loops.
SENSOR_VARIANTS = ("sensor", "uring", "workers2")
LABELS = {
    "sensor": "sensor-server",
    "uring": "sensor-server on io_uring",
    "workers2": "sensor-server --workers 2",
    "raw": "raw epoll (1 thread)",
    "asio": "Boost.Asio coroutines",
    "nginx": "nginx (1 worker, static)",
    "cpython": "CPython asyncio",
}

STARTED: list[subprocess.Popen] = []  # every process we started, for cleanup
EXTRA_PIDS: dict[int, list[int]] = {}  # Popen pid -> child pids we measured (nginx worker)
USED_PORTS: set[int] = set()


def log(*a) -> None:
    print(*a, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- processes

def raise_nofile() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    for want in (65536, hard):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (max(want, soft), max(want, hard)))
            return
        except (ValueError, OSError):
            continue


def child_setup() -> None:
    raise_nofile()
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def start(cmd: list[str], logpath: str, pin: bool = True, env: dict | None = None) -> subprocess.Popen:
    full = (["taskset", "-c", SERVER_CPU] if pin else []) + cmd
    with open(logpath, "ab") as logf:
        logf.write(("\n$ " + " ".join(full) + "\n").encode())
        logf.flush()
        p = subprocess.Popen(full, stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT,
                             start_new_session=True, preexec_fn=child_setup, env=env)
    STARTED.append(p)
    return p


def pid_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return False


def stop(p: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 10.0) -> int | None:
    """Signal one process we started (by its pid), wait, SIGKILL it if it does not exit."""
    if p.poll() is None:
        try:
            p.send_signal(sig)
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=10)
    for cpid in EXTRA_PIDS.pop(p.pid, []):  # e.g. an nginx worker left behind by a killed master
        deadline = time.time() + 3
        while pid_alive(cpid) and time.time() < deadline:
            time.sleep(0.05)
        if pid_alive(cpid):
            try:
                os.kill(cpid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    if p in STARTED:
        STARTED.remove(p)
    return p.returncode


def cleanup() -> None:
    for p in list(STARTED):
        try:
            stop(p, timeout=5)
        except Exception as e:  # keep cleaning up the others
            log(f"cleanup of pid {p.pid}: {e}")


def children(pid: int) -> list[int]:
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return out


def cpu_ticks(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(") ", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total


def busy_ticks() -> int:
    """CPU time (ticks) all CPUs spent on anything but idle and iowait."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return sum(v) - v[3] - v[4]


def rss_kib(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


# --------------------------------------------------------------------------- HTTP client bits

def request_bytes(port: int, close: bool = False) -> bytes:
    return (b"GET /api/sensor HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%s\r\n"
            % (port, b"Connection: close\r\n" if close else b""))


class Conn:
    """A blocking keep-alive client connection that reads Content-Length framed responses."""

    def __init__(self, port: int, timeout: float = 10.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def read_response(self) -> tuple[int, bytes, bytes]:
        while b"\r\n\r\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("connection closed before a response")
            self.buf += data
        end = self.buf.index(b"\r\n\r\n")
        head = self.buf[:end]
        m = re.search(rb"\r\ncontent-length:\s*(\d+)", head, re.I)
        length = int(m.group(1)) if m else 0
        while len(self.buf) < end + 4 + length:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("connection closed in a response body")
            self.buf += data
        body = self.buf[end + 4:end + 4 + length]
        self.buf = self.buf[end + 4 + length:]
        status = int(head.split(b" ", 2)[1])
        return status, head, body

    def close(self) -> None:
        self.sock.close()


def http_get(port: int, timeout: float = 2.0) -> tuple[int, bytes, bytes]:
    c = Conn(port, timeout)
    try:
        c.sock.sendall(request_bytes(port))
        return c.read_response()
    finally:
        c.close()


def wait_http(port: int, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.time() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {proc.returncode} before answering")
        try:
            status, _, _ = http_get(port, timeout=1.0)
            if status == 200:
                return
        except OSError:
            pass
        if time.time() > deadline:
            raise RuntimeError(f"server on port {port} did not answer within {timeout:.0f} s")
        time.sleep(0.1)


def listening(port: int) -> bool:
    want = ":%04X" % port
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(path) as f:
                next(f)
                for line in f:
                    parts = line.split()
                    if parts[1].endswith(want) and parts[3] == "0A":
                        return True
        except OSError:
            pass
    return False


def free_port(port: int) -> int:
    """The first port from `port` on that nothing listens on (other people's servers share 127.0.0.1)."""
    while listening(port) or port in USED_PORTS:
        port += 1
    if port >= 32768:
        raise RuntimeError("no free port below 32768")
    USED_PORTS.add(port)
    return port


def wait_listen(port: int, proc: subprocess.Popen, timeout: float) -> None:
    """Waits for a LISTEN socket without talking to the server (nothing to count under callgrind)."""
    deadline = time.time() + timeout
    while not listening(port):
        if proc.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {proc.returncode} before listening")
        if time.time() > deadline:
            raise RuntimeError(f"server on port {port} did not listen within {timeout:.0f} s")
        time.sleep(0.1)
    time.sleep(0.2)


def send_requests(port: int, total: int, nconns: int, timeout: float) -> None:
    """Exactly `total` keep-alive requests over `nconns` connections, in lock step."""
    deadline = time.time() + timeout
    conns = [Conn(port, timeout=60) for _ in range(nconns)]
    req = request_bytes(port)
    try:
        sent = 0
        while sent < total:
            batch = conns[:min(nconns, total - sent)]
            for c in batch:
                c.sock.sendall(req)
            for c in batch:
                status, _, _ = c.read_response()
                if status != 200:
                    raise RuntimeError(f"status {status}")
            sent += len(batch)
            if time.time() > deadline:
                raise RuntimeError(f"{total} requests took over {timeout:.0f} s")
    finally:
        for c in conns:
            c.close()


def mask_ts(body: bytes) -> bytes:
    return re.sub(rb'("ts":)\d+', lambda m: m.group(1) + b"#" * (len(m.group(0)) - 5), body)


# --------------------------------------------------------------------------- servers

def sensor_flag(path: str, flag: str) -> bool:
    try:
        r = subprocess.run([path, "--help"], capture_output=True, text=True, timeout=10)
        return flag in r.stdout + r.stderr
    except (OSError, subprocess.TimeoutExpired):
        return False


class Server:
    def __init__(self, name: str, args, body_file: str):
        self.name = name
        self.label = LABELS[name]
        self.args = args
        self.body_file = body_file
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.pids: list[int] = []
        self.failed: str | None = None

    # command line for mode "load" / "memory" (pinned, measured) or "callgrind" (one process)
    def cmd(self, port: int, mode: str) -> list[str]:
        a = self.args
        if self.name in SENSOR_VARIANTS:
            extra = ["--workers", "2"] if self.name == "workers2" else []
            if mode == "memory" and sensor_flag(a.sensor_server, "--max-connections"):
                extra = ["--max-connections", str(a.idle_connections + 100)]  # its default cap is lower
            return [a.sensor_server, "--port", str(port), "--sensor", "fixed:21.5"] + extra + a.sensor_args.split()
        if self.name == "raw":
            return [os.path.join(a.build_dir, "raw_epoll_server"), "--port", str(port), "--body-file", self.body_file]
        if self.name == "asio":
            return [os.path.join(a.build_dir, "asio_server"), "--port", str(port), "--body-file", self.body_file]
        if self.name == "cpython":
            return [a.python, os.path.join(HERE, "asyncio_server.py"), "--port", str(port),
                    "--body-file", self.body_file]
        if self.name == "nginx":
            prefix = os.path.join(a.build_dir, f"nginx-{port}")
            root = os.path.join(prefix, "root")
            os.makedirs(os.path.join(root, "api"), exist_ok=True)
            shutil.copyfile(self.body_file, os.path.join(root, "api", "sensor"))
            with open(os.path.join(HERE, "nginx.conf")) as f:
                conf = f.read()
            conf = (conf.replace("@PORT@", str(port)).replace("@ROOT@", root).replace("@PREFIX@", prefix)
                    .replace("@MASTER_PROCESS@", "off" if mode == "callgrind" else "on"))
            conf_path = os.path.join(prefix, "nginx.conf")
            with open(conf_path, "w") as f:
                f.write(conf)
            return [a.nginx, "-p", prefix + "/", "-e", os.path.join(prefix, "error.log"), "-c", conf_path]
        raise ValueError(self.name)

    def start(self, port: int, logdir: str, mode: str = "load") -> int:
        """Starts on the first free port from `port` on; returns the port."""
        port = free_port(port)
        self.port = port
        env = dict(os.environ, ASYNCIO_POLLER="uring") if self.name == "uring" else None
        self.proc = start(self.cmd(port, mode), os.path.join(logdir, f"{self.name}.log"), env=env)
        wait_http(port, self.proc, timeout=30)
        self.pids = [self.proc.pid]
        if self.name == "nginx":  # measure the worker(s) too; the master only waits
            deadline = time.time() + 5
            while not children(self.proc.pid) and time.time() < deadline:
                time.sleep(0.05)
            kids = children(self.proc.pid)
            EXTRA_PIDS[self.proc.pid] = kids
            self.pids += kids
        return port

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)
            self.proc = None

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


def build(args) -> None:
    os.makedirs(args.build_dir, exist_ok=True)
    targets = []
    if "raw" in args.only:
        targets.append(("raw_epoll_server.cpp", "raw_epoll_server", []))
    if "asio" in args.only:
        targets.append(("asio_server.cpp", "asio_server", ["-pthread"]))
    for src, out, extra in targets:
        src_path, out_path = os.path.join(HERE, src), os.path.join(args.build_dir, out)
        if os.path.exists(out_path) and os.path.getmtime(out_path) >= os.path.getmtime(src_path):
            continue
        cmd = [args.cxx, "-O2", "-DNDEBUG", "-std=c++20", "-Wall", "-Wextra", "-o", out_path, src_path] + extra
        log("build:", " ".join(cmd))
        subprocess.run(cmd, check=True, timeout=600)


# --------------------------------------------------------------------------- wrk

UNIT_US = {"us": 1.0, "ms": 1000.0, "s": 1e6}


def parse_wrk(out: str) -> dict:
    r: dict = {}
    m = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", out)
    if not m:
        raise RuntimeError("cannot parse wrk output:\n" + out)
    r["requests"] = int(m.group(1))
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    r["rps"] = float(m.group(1)) if m else 0.0
    for q in ("50", "99"):
        m = re.search(r"^\s+%s%%\s+([\d.]+)(us|ms|s)\s*$" % q, out, re.M)
        v = float(m.group(1)) * UNIT_US[m.group(2)] if m else float("nan")
        r["p" + q] = v if v > 0 else float("nan")  # wrk prints 0 when its histogram lost the tail
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    r["errors"] = sum(int(x) for x in m.groups()) if m else 0
    r["error_text"] = m.group(0) if m else ""
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    r["non2xx"] = int(m.group(1)) if m else 0
    return r


def run_wrk(srv: Server, conns: int, duration: float, script: str | None, headers: list[str]) -> dict:
    cmd = ["taskset", "-c", LOAD_CPU, "wrk", "-t1", f"-c{conns}", f"-d{duration:g}s", "--latency", "--timeout", "10s"]
    if script:
        cmd += ["-s", script]
    for h in headers:
        cmd += ["-H", h]
    cmd.append(f"http://127.0.0.1:{srv.port}/api/sensor")
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = cpu_ticks(srv.pids)
    b0 = busy_ticks()
    w0 = time.time()
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60, preexec_fn=raise_nofile)
    w1 = time.time()
    b1 = busy_ticks()
    t1 = cpu_ticks(srv.pids)
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if res.returncode != 0:
        raise RuntimeError(f"wrk failed ({res.returncode}): {res.stderr.strip()} {res.stdout.strip()}")
    r = parse_wrk(res.stdout)
    cpu_s = (t1 - t0) / CLK_TCK
    r["server_cpu_s"] = cpu_s
    r["cpu_us"] = cpu_s * 1e6 / r["requests"] if r["requests"] else float("nan")
    r["server_util"] = cpu_s / (w1 - w0)
    wrk_cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    r["wrk_util"] = wrk_cpu / (w1 - w0)
    # everything else the machine ran meanwhile (other users, compilers...), in CPUs
    r["other_util"] = max(0.0, (b1 - b0) / CLK_TCK - cpu_s - wrk_cpu) / (w1 - w0)
    return r


# --------------------------------------------------------------------------- syscalls

STRACE_ROW = re.compile(r"^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:(\d+)\s+)?(\S+)\s*$")


def syscalls_part(srv: Server, args) -> dict:
    """System calls per keep-alive request: strace -c -f attached to every server process."""
    out = os.path.join(args.build_dir, "logs", f"strace-{srv.name}.txt")
    cmd = ["strace", "-c", "-f", "-q", "-o", out]
    for pid in srv.pids:
        cmd += ["-p", str(pid)]
    tracer = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    STARTED.append(tracer)
    try:
        time.sleep(1.0)  # attached
        r = run_wrk(srv, args.syscall_connections, args.syscall_duration, None, [])
    finally:
        tracer.send_signal(signal.SIGINT)
        tracer.wait(timeout=60)
    calls: dict[str, int] = {}
    with open(out) as f:
        for line in f:
            m = STRACE_ROW.match(line)
            if m and m.group(3) != "total":
                calls[m.group(3)] = int(m.group(1))
    requests = r["requests"]
    if not requests:
        raise RuntimeError("no request completed under strace")
    top = sorted(calls.items(), key=lambda kv: -kv[1])[:4]
    return {"requests": requests, "calls": sum(calls.values()), "per_req": sum(calls.values()) / requests,
            "top": [(name, n / requests) for name, n in top]}


# --------------------------------------------------------------------------- callgrind

def callgrind_total(path: str) -> int:
    total = None
    with open(path) as f:
        for line in f:
            if line.startswith("totals:") or line.startswith("summary:"):
                total = int(line.split()[1])
    if total is None:
        raise RuntimeError(f"no totals/summary line in {path}")
    return total


def stop_poking(p: subprocess.Popen, port: int, sig: int, timeout: float) -> int | None:
    """Signals the server and, while it has not exited, connects to it now and then: under valgrind
    nginx's single process sometimes only notices the signal once epoll_wait returns. A poke
    happens at most a few times and costs the same in the K and the 2K run."""
    deadline = time.time() + timeout
    if p.poll() is None:
        p.send_signal(sig)
    while p.poll() is None and time.time() < deadline:
        try:
            p.wait(timeout=2)
        except subprocess.TimeoutExpired:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
            except OSError:
                pass
    return stop(p, timeout=1)


def callgrind_part(srv: Server, args, port: int, logdir: str) -> dict:
    k = args.callgrind_requests
    if srv.name == "cpython":
        k = args.callgrind_cpython_requests
    totals = {}
    port = free_port(port)
    for n in (k, 2 * k):
        out = os.path.join(args.build_dir, f"callgrind.{srv.name}.{n}.out")
        if os.path.exists(out):
            os.remove(out)
        cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"] + srv.cmd(port, "callgrind")
        p = start(cmd, os.path.join(logdir, f"{srv.name}.callgrind.log"), pin=False)
        try:
            wait_listen(port, p, timeout=120)
            t0 = time.time()
            send_requests(port, n, args.callgrind_connections, timeout=args.callgrind_timeout)
            log(f"  callgrind {srv.name}: {n} requests in {time.time() - t0:.1f} s")
        finally:
            rc = stop_poking(p, port, signal.SIGINT if srv.name == "nginx" else signal.SIGTERM, timeout=120)
        if not os.path.exists(out):
            raise RuntimeError(f"valgrind wrote no {out} (exit {rc})")
        totals[n] = callgrind_total(out)
        port = free_port(port + 1)  # a fresh port for the second run (no TIME_WAIT questions)
    return {"k": k, "ir_k": totals[k], "ir_2k": totals[2 * k], "ir_per_req": (totals[2 * k] - totals[k]) / k}


# --------------------------------------------------------------------------- idle memory

def memory_part(srv: Server, args, port: int, logdir: str) -> dict:
    raise_nofile()
    port = srv.start(port, logdir, mode="memory")
    conns: list[Conn] = []
    try:
        warm = Conn(port)
        for _ in range(10):
            warm.sock.sendall(request_bytes(port))
            warm.read_response()
        warm.close()
        time.sleep(0.3)
        before = rss_kib(srv.pids)
        deadline = time.time() + args.memory_timeout
        error = ""
        for _ in range(args.idle_connections):
            try:
                c = Conn(port, timeout=10)
                conns.append(c)
                c.sock.sendall(request_bytes(port))
                status, _, _ = c.read_response()
                if status != 200:
                    error = f"status {status}"
                    break
            except OSError as e:
                error = f"{type(e).__name__}: {e}"
                break
            if time.time() > deadline:
                error = f"stopped after {args.memory_timeout:.0f} s"
                break
        time.sleep(0.5)
        after = rss_kib(srv.pids)
        opened = len(conns) - (1 if error else 0)
        if not srv.alive():
            error = (error + "; " if error else "") + "server died"
        return {"rss_before_kib": before, "rss_after_kib": after, "connections": opened,
                "kib_per_conn": (after - before) / opened if opened else float("nan"), "error": error}
    finally:
        for c in conns:
            c.close()
        srv.stop()


# --------------------------------------------------------------------------- report

def med(values: list[float]) -> float:
    vals = [v for v in values if v == v]
    return statistics.median(vals) if vals else float("nan")


def fmt_num(v: float, digits: int = 0) -> str:
    if v != v:
        return "–"
    if digits == 0:
        return f"{v:,.0f}"
    return f"{v:,.{digits}f}"


def fmt_lat(us: float) -> str:
    if us != us:
        return "–"
    if us >= 1000:
        return f"{us / 1000:.2f} ms"
    return f"{us:.0f} µs"


def fmt_ratio(v: float, ref: float) -> str:
    if v != v or ref != ref or ref == 0:
        return "–"
    return f"{v / ref:.2f}×"


def sh(cmd: list[str]) -> str:
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        return (r.stdout + r.stderr).strip().splitlines()[0]
    except Exception:
        return "?"


def machine_info(args) -> list[str]:
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    boost = "?"
    try:
        with open("/usr/include/boost/version.hpp") as f:
            m = re.search(r'BOOST_LIB_VERSION "([^"]+)"', f.read())
            boost = m.group(1).replace("_", ".") if m else "?"
    except OSError:
        pass
    return [
        f"- date: {datetime.datetime.now().isoformat(timespec='seconds')}",
        f"- machine: {os.cpu_count()} CPUs ({cpu}), Linux {platform.release()}; server on CPU {SERVER_CPU}, "
        f"wrk on CPU {LOAD_CPU}",
        f"- load average at start: {args.load_start}; at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
        f"- wrk: {sh(['wrk', '-v'])}; nginx: {sh([args.nginx, '-v'])}; CPython {platform.python_version()} "
        f"({args.python}); g++: {sh([args.cxx, '--version'])}; Boost {boost}; {sh(['valgrind', '--version'])}",
    ]


def report(args, servers: list[Server], ref: str, ref_note: str, results: dict, notes: list[str]) -> str:
    L: list[str] = []
    L.append("# HTTP comparison benchmark")
    L.append("")
    L.append("Generated by `bench/http/run.py " + " ".join(sys.argv[1:]) + "`.")
    L.append("")
    L += machine_info(args)
    L.append(f"- {args.reps} repetition(s) of {args.duration:g} s per measurement, medians shown; "
             f"`wrk -t1 --latency`, HTTP/1.1 keep-alive unless said otherwise.")
    L.append(f"- ratios (×) are this server's value divided by {LABELS[ref]}'s{ref_note}. "
             "For req/s higher is better; for latency, CPU and instructions lower is better.")
    L.append("- CPU µs/req: the server's utime+stime from /proc/PID/stat over the wrk run / requests completed; "
             "srv CPU: that CPU time / wall time (1.00 = the server's core is saturated); wrk CPU: the same for wrk; "
             "other CPU: what everything else on the machine used meanwhile (/proc/stat), in CPUs: "
             "noise from other work on the machine shows there.")
    L.append("")
    L.append("Responses (`GET /api/sensor`):")
    L.append("")
    L.append("| server | response bytes (head + body) | body |")
    L.append("|---|---|---|")
    for s in servers:
        info = results["responses"].get(s.name)
        if info:
            L.append(f"| {s.label} | {info['total']} ({info['head']} + {info['body_len']}) | `{info['body']}` |")
    L.append("")

    for scen in results["scenarios"]:
        L.append(f"## {scen['title']}")
        L.append("")
        L.append("| server | req/s | × | p50 | × | p99 | × | CPU µs/req | × | srv CPU | wrk CPU | other CPU | errors |")
        L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        meds = {}
        for s in servers:
            runs = scen["runs"].get(s.name, [])
            if not runs:
                continue
            meds[s.name] = {k: med([r[k] for r in runs]) for k in ("rps", "p50", "p99", "cpu_us", "server_util",
                                                                   "wrk_util", "other_util")}
            meds[s.name]["errors"] = sum(r["errors"] + r["non2xx"] for r in runs)
        rm = meds.get(ref)
        for s in servers:
            m = meds.get(s.name)
            if m is None:
                L.append(f"| {s.label} | failed: {scen['failed'].get(s.name, 'no data')} |||||||||||| ")
                continue
            g = (lambda k: rm[k]) if rm else (lambda k: float("nan"))
            L.append(f"| {s.label} | {fmt_num(m['rps'])} | {fmt_ratio(m['rps'], g('rps'))} "
                     f"| {fmt_lat(m['p50'])} | {fmt_ratio(m['p50'], g('p50'))} "
                     f"| {fmt_lat(m['p99'])} | {fmt_ratio(m['p99'], g('p99'))} "
                     f"| {fmt_num(m['cpu_us'], 2)} | {fmt_ratio(m['cpu_us'], g('cpu_us'))} "
                     f"| {m['server_util']:.2f} | {m['wrk_util']:.2f} | {m['other_util']:.2f} | {m['errors']} |")
        L.append("")

    if results.get("syscalls"):
        L.append(f"## System calls per request (strace -c -f, {args.syscall_connections} keep-alive connections)")
        L.append("")
        L.append("Every system call of the server's processes and threads while wrk loads it for "
                 f"{args.syscall_duration:g} s, divided by the requests completed. strace slows the server, "
                 "which changes how many events one wait returns: compare counts, not speed.")
        L.append("")
        L.append("| server | syscalls/request | × | requests | most frequent (per request) |")
        L.append("|---|---:|---:|---:|---|")
        rv = results["syscalls"].get(ref, {}).get("per_req", float("nan"))
        for s in servers:
            c = results["syscalls"].get(s.name)
            if c is None:
                continue
            if "error" in c:
                L.append(f"| {s.label} | {c['error']} | | | |")
                continue
            top = ", ".join(f"{name} {n:.2f}" for name, n in c["top"])
            L.append(f"| {s.label} | {c['per_req']:.2f} | {fmt_ratio(c['per_req'], rv)} | {c['requests']:,} | {top} |")
        L.append("")

    if results.get("callgrind"):
        cg = results["callgrind"]
        L.append("## Instructions per request (callgrind)")
        L.append("")
        L.append(f"User-space instructions (Ir) of the server process under `valgrind --tool=callgrind`, "
                 f"from two runs with K and 2K keep-alive requests over {args.callgrind_connections} "
                 f"connection(s) in lock step: (Ir(2K) − Ir(K)) / K. Start-up, shut-down and "
                 f"per-connection costs cancel out; kernel work (the syscalls themselves) is not counted.")
        L.append("")
        L.append("| server | Ir/request | × | K | Ir(K) | Ir(2K) |")
        L.append("|---|---:|---:|---:|---:|---:|")
        rv = cg.get(ref, {}).get("ir_per_req", float("nan"))
        for s in servers:
            c = cg.get(s.name)
            if c is None:
                continue
            if "error" in c:
                L.append(f"| {s.label} | {c['error']} | | | | |")
                continue
            L.append(f"| {s.label} | {fmt_num(c['ir_per_req'])} | {fmt_ratio(c['ir_per_req'], rv)} | {c['k']:,} "
                     f"| {c['ir_k']:,} | {c['ir_2k']:,} |")
        L.append("")

    if results.get("memory"):
        mem = results["memory"]
        L.append(f"## Memory: {args.idle_connections:,} idle keep-alive connections")
        L.append("")
        L.append("A fresh server (10 warm-up requests), then that many connections opened one after another, "
                 "one request answered on each, all left open. VmRSS from /proc/PID/status (for nginx: master + "
                 "worker) before and after; kernel socket buffers are not in RSS.")
        L.append("")
        L.append("| server | RSS before (KiB) | RSS after (KiB) | connections | KiB/connection | × | note |")
        L.append("|---|---:|---:|---:|---:|---:|---|")
        rv = mem.get(ref, {}).get("kib_per_conn", float("nan"))
        for s in servers:
            m = mem.get(s.name)
            if m is None:
                continue
            if "rss_before_kib" not in m:
                L.append(f"| {s.label} | | | | | | {m.get('error', '')} |")
                continue
            L.append(f"| {s.label} | {m['rss_before_kib']:,} | {m['rss_after_kib']:,} | {m['connections']:,} "
                     f"| {fmt_num(m['kib_per_conn'], 2)} | {fmt_ratio(m['kib_per_conn'], rv)} | {m['error']} |")
        L.append("")

    if notes:
        L.append("## Notes")
        L.append("")
        L += [f"- {n}" for n in notes]
        L.append("")

    L.append("<details><summary>Every run</summary>")
    L.append("")
    L.append("| measurement | server | rep | requests | req/s | p50 µs | p99 µs | CPU s | CPU µs/req | errors |")
    L.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for scen in results["scenarios"]:
        for s in servers:
            for i, r in enumerate(scen["runs"].get(s.name, [])):
                L.append(f"| {scen['title']} | {s.name} | {i + 1} | {r['requests']} | {r['rps']:.0f} | {r['p50']:.0f} "
                         f"| {r['p99']:.0f} | {r['server_cpu_s']:.2f} | {r['cpu_us']:.2f} "
                         f"| {r['error_text'] or r['errors']}{' non2xx ' + str(r['non2xx']) if r['non2xx'] else ''} |")
    L.append("")
    L.append("</details>")
    L.append("")
    return "\n".join(L)


# --------------------------------------------------------------------------- main

def on_term(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sensor-server", metavar="PATH", help="the sensor-server binary (needed for 'sensor')")
    ap.add_argument("--sensor-args", default="", help="extra arguments for sensor-server (one string)")
    ap.add_argument("--only", default=None, help=f"comma list of {','.join(ALL_SERVERS)} (default: all; "
                                                  "all but sensor without --sensor-server)")
    ap.add_argument("--parts", default=",".join(ALL_PARTS), help=f"comma list of {','.join(ALL_PARTS)}")
    ap.add_argument("--connections", default="1,50,200,1000", help="keep-alive wrk connection counts")
    ap.add_argument("--pipeline-connections", type=int, default=50)
    ap.add_argument("--churn-connections", type=int, default=50)
    ap.add_argument("--syscall-connections", type=int, default=50)
    ap.add_argument("--syscall-duration", type=float, default=3.0, help="seconds of wrk under strace")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--duration", type=float, default=5.0, help="seconds per wrk run")
    ap.add_argument("--warmup", type=float, default=1.0, help="seconds of wrk warm-up per server (0: none)")
    ap.add_argument("--callgrind-requests", type=int, default=20000, help="K for callgrind")
    ap.add_argument("--callgrind-cpython-requests", type=int, default=2000,
                    help="K for CPython under callgrind (it runs ~50x slower there)")
    ap.add_argument("--callgrind-connections", type=int, default=1)
    ap.add_argument("--callgrind-timeout", type=float, default=300.0, help="seconds per callgrind client run")
    ap.add_argument("--idle-connections", type=int, default=10000)
    ap.add_argument("--memory-timeout", type=float, default=120.0)
    ap.add_argument("--port-base", type=int, default=18081)
    ap.add_argument("--build-dir", default=os.path.join(REPO, "build-bench"))
    ap.add_argument("--cxx", default="g++")
    ap.add_argument("--python", default=sys.executable, help="CPython for the asyncio server")
    ap.add_argument("--nginx", default=shutil.which("nginx") or "/usr/sbin/nginx")
    ap.add_argument("--out", default=os.path.join(REPO, "bench", "RESULTS-http.md"),
                    help="markdown report (a .json with every run is written beside it)")
    args = ap.parse_args()

    if args.only is None:
        args.only = [s for s in ALL_SERVERS if s not in SENSOR_VARIANTS or args.sensor_server]
    else:
        args.only = [s.strip() for s in args.only.split(",") if s.strip()]
    bad = [s for s in args.only if s not in ALL_SERVERS]
    if bad:
        ap.error(f"unknown server(s) {bad}; choose from {ALL_SERVERS}")
    if set(SENSOR_VARIANTS) & set(args.only) and not args.sensor_server:
        ap.error(f"{', '.join(SENSOR_VARIANTS)} need --sensor-server PATH")
    if args.sensor_server and "sensor" not in args.only:
        pass  # its body is still used as the template if it can be started
    args.parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    if [p for p in args.parts if p not in ALL_PARTS]:
        ap.error(f"--parts: choose from {ALL_PARTS}")
    conn_counts = [int(x) for x in args.connections.split(",") if x.strip()]
    args.build_dir = os.path.abspath(args.build_dir)
    if args.sensor_server:
        args.sensor_server = os.path.abspath(args.sensor_server)
    args.load_start = " ".join(f"{x:.2f}" for x in os.getloadavg())
    for tool in (["wrk", "taskset"] + (["valgrind"] if "callgrind" in args.parts else [])
                 + (["strace"] if "syscalls" in args.parts else [])):
        if not shutil.which(tool):
            ap.error(f"{tool} not found")
    if os.cpu_count() < 2:
        log("warning: fewer than 2 CPUs; server and wrk will share one")

    signal.signal(signal.SIGINT, on_term)  # also when started with SIGINT ignored (background job)
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGHUP, on_term)
    raise_nofile()
    logdir = os.path.join(args.build_dir, "logs")
    os.makedirs(logdir, exist_ok=True)
    notes: list[str] = []
    results: dict = {"scenarios": [], "responses": {}, "syscalls": {}, "callgrind": {}, "memory": {}}
    try:
        build(args)
        body_file = os.path.join(args.build_dir, "http-body.json")
        body = DEFAULT_BODY
        with open(body_file, "wb") as f:
            f.write(body)
        servers = [Server(n, args, body_file) for n in ALL_SERVERS if n in args.only]
        port = args.port_base

        # sensor-server first: its body is the template for the others.
        if args.sensor_server:
            s = next((x for x in servers if x.name == "sensor"), None) or Server("sensor", args, body_file)
            port = s.start(port, logdir) + 1
            _, _, body = http_get(s.port)
            with open(body_file, "wb") as f:
                f.write(body)
            if s not in servers:
                s.stop()
            if not re.search(rb'"ts":\d{13}[,}]', body):
                notes.append(f"sensor-server's body has no 13-digit \"ts\": the others serve it verbatim: {body!r}")
        else:
            notes.append(f"no sensor-server: the others serve the default body {DEFAULT_BODY.decode()}")
        for s in servers:
            if s.proc is None:
                try:
                    port = s.start(port, logdir) + 1
                except RuntimeError as e:
                    s.failed = f"did not start: {e}"
                    notes.append(f"{s.label}: {s.failed}")
                    s.stop()
        log("servers: " + ", ".join(f"{s.name}:{s.port} pid {s.pids}" for s in servers if not s.failed))

        for s in servers:
            if s.failed:
                continue
            status, head, b = http_get(s.port)
            results["responses"][s.name] = {"status": status, "head": len(head) + 4, "body_len": len(b),
                                            "total": len(head) + 4 + len(b), "body": b.decode(errors="replace")}
            if status != 200 or mask_ts(b) != mask_ts(body):
                notes.append(f"{s.label}: body differs from the template: {b!r} vs {body!r}")

        ref = "sensor" if "sensor" in args.only else ("raw" if "raw" in args.only else servers[0].name)
        ref_note = "" if ref == "sensor" else " (sensor-server was not measured, so the reference is " + \
            LABELS[ref] + ")"

        if args.warmup > 0:
            for s in servers:
                if not s.failed:
                    try:
                        run_wrk(s, 50, args.warmup, None, [])
                    except (RuntimeError, subprocess.TimeoutExpired, OSError) as e:
                        log(f"warm-up of {s.name} failed: {e}")

        scenarios = []
        if "keepalive" in args.parts:
            scenarios += [(f"Keep-alive, {c} connection{'s' if c != 1 else ''}", c, None, []) for c in conn_counts]
        if "pipeline" in args.parts:
            scenarios.append((f"Pipelined, 16 requests per write, {args.pipeline_connections} connections",
                              args.pipeline_connections, os.path.join(HERE, "pipeline.lua"), []))
        if "churn" in args.parts:
            scenarios.append((f"Connection churn (Connection: close), {args.churn_connections} connections",
                              args.churn_connections, None, ["Connection: close"]))
        for title, c, script, headers in scenarios:
            scen = {"title": title, "connections": c, "runs": {}, "failed": {}}
            results["scenarios"].append(scen)
            for rep in range(args.reps):
                order = servers[rep % len(servers):] + servers[:rep % len(servers)]
                for s in order:
                    if s.failed:
                        scen["failed"][s.name] = s.failed
                        continue
                    try:
                        r = run_wrk(s, c, args.duration, script, headers)
                    except (RuntimeError, subprocess.TimeoutExpired, OSError) as e:
                        r = None
                        scen["failed"][s.name] = str(e).splitlines()[0][:200]
                    if not s.alive():
                        s.failed = f"server exited ({s.proc.returncode}) during: {title}"
                        scen["failed"][s.name] = s.failed
                        notes.append(f"{s.label}: {s.failed}")
                        continue
                    if r:
                        scen["runs"].setdefault(s.name, []).append(r)
                        log(f"{title} | {s.name:8} rep {rep + 1}: {r['rps']:>10,.0f} req/s  p50 {r['p50']:8.0f} µs  "
                            f"p99 {r['p99']:8.0f} µs  {r['cpu_us']:6.2f} CPU µs/req  srv {r['server_util']:.2f}  "
                            f"wrk {r['wrk_util']:.2f}  other {r['other_util']:.2f}  err {r['errors'] + r['non2xx']}")
        if "syscalls" in args.parts:
            for s in servers:
                if s.failed:
                    continue
                try:
                    results["syscalls"][s.name] = syscalls_part(s, args)
                    log(f"syscalls {s.name}: {results['syscalls'][s.name]}")
                except (RuntimeError, subprocess.TimeoutExpired, OSError) as e:
                    results["syscalls"][s.name] = {"error": str(e).splitlines()[0][:200]}
        for s in servers:
            s.stop()

        port = args.port_base + 100
        if "memory" in args.parts:
            for s in servers:
                try:
                    m = memory_part(s, args, port, logdir)
                    log(f"memory {s.name}: {m}")
                except (RuntimeError, OSError) as e:
                    m = {"error": str(e).splitlines()[0][:200]}
                    log(f"memory {s.name}: failed: {e}")
                results["memory"][s.name] = m
                port = max(USED_PORTS) + 1

        port = args.port_base + 200
        if "callgrind" in args.parts:
            for s in servers:
                try:
                    c = callgrind_part(s, args, port, logdir)
                    log(f"callgrind {s.name}: {c['ir_per_req']:,.0f} Ir/request")
                except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
                    c = {"error": "failed: " + str(e).splitlines()[0][:200]}
                    log(f"callgrind {s.name}: failed: {e}")
                results["callgrind"][s.name] = c
                port = max(USED_PORTS) + 1
            if "cpython" in args.only:
                notes.append(f"CPython under callgrind uses K = {args.callgrind_cpython_requests:,} "
                             f"(the interpreter runs ~50x slower there); the others K = {args.callgrind_requests:,}.")

        text = report(args, servers, ref, ref_note, results, notes)
        print(text)
        out = os.path.abspath(args.out)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with open(out, "w") as f:
            f.write(text)
        with open(os.path.splitext(out)[0] + ".json", "w") as f:
            json.dump({"argv": sys.argv, "results": results, "notes": notes}, f, indent=1)
        log(f"wrote {out} and {os.path.splitext(out)[0]}.json")
        return 0
    except KeyboardInterrupt:
        log("interrupted; stopping the servers")
        return 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        cleanup()


if __name__ == "__main__":
    sys.exit(main())
