#!/usr/bin/env python3
"""Memory soak of sensor-server: a mixed load for DURATION seconds (normal clients, slowloris,
hostile clients, SSE and WebSocket subscribers that come and vanish, all at once), then checks that

- every normal request was answered 200 (nothing lost, nobody disturbed),
- resident memory is flat after the warm-up (RSS after warm-up vs at the end),
- the descriptor count is back to where it started once the clients are gone,
- SIGTERM ends the server with exit code 0 and, in a sanitized build, AddressSanitizer,
  LeakSanitizer and UndefinedBehaviorSanitizer report nothing (LSan runs at that exit).

    /usr/bin/python3 tests/soak/soak.py build-asan/apps/sensor-server/sensor-server [--duration 120]

Talks to 127.0.0.1 only; kills only the server it started (by PID); exit status 0 when all holds.
ASan's quarantine of freed memory is limited to 16 MiB (ASAN_OPTIONS) so that the resident size
measures the server, not a quarantine that fills for minutes.
"""

from __future__ import annotations

import argparse
import collections
import os
import random
import select
import socket
import statistics
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import server as e2e_server  # noqa: E402
from client import (HOST, ConnectionClosed, RawConnection, RawWebSocket, SSEClient, metrics,  # noqa: E402
                    wait_until, ws_frame)

FLAGS = ("--sensor", "sim", "--interval", "0.1", "--header-timeout", "2", "--idle-timeout", "3",
         "--write-timeout", "2")
ROUTES = ["/", "/api/sensor", "/api/sensor", "/api/history", "/metrics", "/healthz", "/static/app.js",
          "/static/style.css", "/static/favicon.svg", "/debug/tasks"]
SANITIZER_ERRORS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:", "SUMMARY: ")
# Growth allowed after the warm-up: allocator caches settle, the history ring buffer is full by then.
RSS_SLACK_BYTES = 8 << 20

# Requests that must be refused with this status (the connection closed after), as in
# tests/e2e/test_http_rules.py and test_hostile.py.
BAD_REQUESTS = [
    (b"HELLO\r\n\r\n", 400),
    (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http\r\n\r\n", 400),
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad\x00Name: v\r\n\r\n", 400),
    (b"GET /healthz HTTP/1.1\r\n\r\n", 400),
    (b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505),
    (b"GET /" + b"a" * 10240 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 10240 + b"\r\n\r\n", 431),
    (b"POST /api/sensor HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n", 413),
    (b"POST /api/sensor HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    (b"POST /api/sensor HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400),
    (b"POST /api/sensor HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400),
    (b"POST /api/sensor HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Fold: a\r\n b\r\n\r\n", 400),
    (b"GET /static/%2e%2e/app.js HTTP/1.1\r\nHost: x\r\n\r\n", 404),
    (b"GET /static/../../../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", 404),
    (b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n", 426),
]
WEBSOCKET_ABUSE = [ws_frame(0x1, b"hi", mask=False), ws_frame(0x1, b"\xc3\x28 bad"), ws_frame(0x9, b"p" * 126),
                   ws_frame(0x3, b"?"), ws_frame(0x2, b"", length_override=64 << 20)]


class Tally:
    """Outcomes by name, from every worker thread."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts: collections.Counter = collections.Counter()
        self.failures: list[str] = []
        self.latencies: list[float] = []

    def add(self, name: str, n: int = 1) -> None:
        with self.lock:
            self.counts[name] += n

    def fail(self, what: str) -> None:
        with self.lock:
            self.counts["FAILED"] += 1
            if len(self.failures) < 20:
                self.failures.append(what)


def vanish(sock: socket.socket, rng: random.Random) -> None:
    """Closes politely (FIN) or resets (RST), at random."""
    if rng.random() < 0.5:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


# ---- the clients -------------------------------------------------------------------------------

def normal_client(port: int, stop: threading.Event, tally: Tally, rng: random.Random) -> None:
    """Keep-alive connections of 1-20 requests over every route; each must be answered 200."""
    while not stop.is_set():
        try:
            with RawConnection(port, timeout=10) as conn:
                for _ in range(rng.randint(1, 20)):
                    target = rng.choice(ROUTES)
                    started = time.monotonic()
                    conn.request("GET", target, {"Accept-Encoding": rng.choice(["gzip", "identity"])})
                    resp = conn.read_response()
                    with tally.lock:
                        tally.latencies.append(time.monotonic() - started)
                    if resp.status != 200:
                        tally.fail(f"normal GET {target}: {resp.status}")
                    else:
                        tally.add("normal 200")
                    time.sleep(rng.uniform(0, 0.02))
        except (OSError, ConnectionClosed, AssertionError) as error:
            tally.fail(f"normal client: {error!r}")


def slowloris(port: int, stop: threading.Event, tally: Tally, rng: random.Random) -> None:
    """Sends a header byte every 0.3 s; the server must answer 408 and close (--header-timeout 2).
    A reset is fine too: a byte sent after the server closed makes the client's kernel get one."""
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"z" * 1000
    while not stop.is_set():
        outcome = "still open 6 s later"
        try:
            with socket.create_connection((HOST, port), timeout=10) as sock:
                deadline = time.monotonic() + 6
                for byte in head:
                    if time.monotonic() > deadline:
                        break
                    sock.sendall(bytes([byte]))
                    if select.select([sock], [], [], 0.3)[0]:
                        received = b""
                        while chunk := sock.recv(4096):
                            received += chunk
                        outcome = "408" if received.startswith(b"HTTP/1.1 408 ") else f"{received[:60]!r}"
                        break
        except ConnectionResetError:
            outcome = "reset"
        except OSError as error:
            outcome = repr(error)
        if outcome in ("408", "reset"):
            tally.add(f"slowloris {outcome}")
        elif not stop.is_set():
            tally.fail(f"slowloris: {outcome}")


def bad_request(port: int, rng: random.Random, tally: Tally) -> None:
    data, status = rng.choice(BAD_REQUESTS)
    with RawConnection(port, timeout=10) as conn:
        send_what_it_can(conn, data)
        resp = conn.read_response()
        if resp.status != status:
            tally.fail(f"{data[:40]!r}: {resp.status}, expected {status}")
        elif not conn.closed_within(5):
            tally.fail(f"{data[:40]!r}: connection not closed after {status}")
        else:
            tally.add(f"hostile {status}")


def send_what_it_can(conn: RawConnection, data: bytes) -> None:
    """Sends what it can: the server may close before a long request is all sent."""
    try:
        conn.send(data)
    except OSError:
        pass


def reset_midway(port: int, rng: random.Random, tally: Tally) -> None:
    """Resets mid-request, or mid-response after pipelining large responses."""
    conn = RawConnection(port, timeout=10)
    if rng.random() < 0.5:
        conn.send(b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\npartial")
    else:
        conn.send(b"GET /api/history HTTP/1.1\r\nHost: x\r\n\r\n" * 20)
        conn.sock.recv(100)
    conn.reset()
    tally.add("hostile reset")


def never_reads(port: int, rng: random.Random, tally: Tally, stop: threading.Event) -> None:
    """Pipelines requests for a large asset and never reads: closed after --write-timeout 2, plus
    up to 10 s in which Stream::close() still tries to deliver what was buffered."""
    conn = RawConnection(port, timeout=10, rcvbuf=4096)
    conn.sock.setblocking(False)
    request = b"GET /static/app.js HTTP/1.1\r\nHost: x\r\n\r\n" * 50
    started = time.monotonic()
    closed = False
    while time.monotonic() - started < 20 and not stop.is_set():
        try:
            conn.sock.send(request)
        except BlockingIOError:
            time.sleep(0.05)
        except OSError:
            closed = True  # the server closed it (a reset: it had unread requests)
            break
    conn.close()
    if closed:
        tally.add("hostile non-reader closed")
    elif not stop.is_set():
        tally.fail("a client that never reads was not closed within 20 s (--write-timeout 2)")


def garbage(port: int, rng: random.Random, tally: Tally) -> None:
    with RawConnection(port, timeout=10) as conn:
        send_what_it_can(conn, rng.randbytes(64 << 10))
        reply = conn.read_to_eof(timeout=5)
        if reply and not reply.startswith(b"HTTP/1.1 400 "):
            tally.fail(f"garbage: {reply[:60]!r}")
        else:
            tally.add("hostile garbage")


def hostile_client(port: int, stop: threading.Event, tally: Tally, rng: random.Random) -> None:
    while not stop.is_set():
        kind = rng.random()
        try:
            if kind < 0.6:
                bad_request(port, rng, tally)
            elif kind < 0.85:
                reset_midway(port, rng, tally)
            elif kind < 0.95:
                garbage(port, rng, tally)
            else:
                never_reads(port, rng, tally, stop)
        except (OSError, ConnectionClosed, AssertionError, TimeoutError) as error:
            if not stop.is_set():
                tally.fail(f"hostile client: {error!r}")


def sse_subscriber(port: int, stop: threading.Event, tally: Tally, rng: random.Random) -> None:
    """Subscribes to /events, reads a few readings, vanishes (close or reset)."""
    while not stop.is_set():
        try:
            sse = SSEClient(port, timeout=10)
            for _ in range(rng.randint(1, 5)):
                sse.next_event(timeout=5)
            vanish(sse.conn.sock, rng)
            tally.add("sse subscriptions")
        except (OSError, ConnectionClosed, AssertionError, TimeoutError) as error:
            tally.fail(f"sse: {error!r}")


def websocket_subscriber(port: int, stop: threading.Event, tally: Tally, rng: random.Random) -> None:
    """Subscribes on /ws, reads a few readings, then leaves: a close handshake, a reset, a reset
    mid-frame, or a protocol violation (which the server must answer with a close frame)."""
    while not stop.is_set():
        try:
            ws = RawWebSocket(port, timeout=10)
            for _ in range(rng.randint(1, 3)):
                ws.read_frame(timeout=5)
            ending = rng.random()
            if ending < 0.25:
                ws.send(ws_frame(0x8, b"\x03\xe8bye"))
                code, _ = ws.read_until_close(timeout=5)
                tally.add("ws closed 1000" if code == 1000 else f"ws closed {code}")
            elif ending < 0.5:
                vanish(ws.conn.sock, rng)
                tally.add("ws vanished")
            elif ending < 0.75:
                ws.send(ws_frame(0x1, b"x" * 300)[:rng.randint(1, 20)])
                ws.conn.reset()
                tally.add("ws reset mid-frame")
            else:
                ws.send(rng.choice(WEBSOCKET_ABUSE))
                code, _ = ws.read_until_close(timeout=5)
                tally.add(f"ws abuse closed {code}")
            ws.close()
        except (OSError, ConnectionClosed, AssertionError, TimeoutError) as error:
            tally.fail(f"websocket: {error!r}")


WORKERS = [  # (function, how many threads)
    (normal_client, 4),
    (slowloris, 10),
    (hostile_client, 2),
    (sse_subscriber, 3),
    (websocket_subscriber, 3),
]


# ---- measuring -----------------------------------------------------------------------------------

def sample(srv: e2e_server.SensorServer, samples: list, stop: threading.Event, started: float) -> None:
    while not stop.wait(1.0):
        try:
            samples.append((time.monotonic() - started, srv.rss_bytes(), srv.open_fds(), srv.cpu_seconds()))
        except OSError:
            return  # the server is gone: reported by the main thread


def mib(n: float) -> str:
    return f"{n / (1 << 20):.1f} MiB"


class Soak:
    """One run: the server, the load, the samples and what went wrong."""

    def __init__(self, args):
        self.args = args
        self.warmup = args.warmup if args.warmup is not None else args.duration / 4
        env = dict(os.environ)
        env["ASAN_OPTIONS"] = ":".join(filter(None, [env.get("ASAN_OPTIONS", ""), "quarantine_size_mb=16",
                                                      "detect_leaks=1"]))
        env["UBSAN_OPTIONS"] = ":".join(filter(None, [env.get("UBSAN_OPTIONS", ""), "print_stacktrace=1"]))
        self.srv = e2e_server.SensorServer(*FLAGS, env=env)
        self.tally = Tally()
        self.samples: list = []
        self.problems: list[str] = []
        self.lines: list[str] = []

    def run(self) -> int:
        self.srv.start()
        try:
            self.is_sanitized = self.srv.sanitized()
            time.sleep(0.5)
            self.fds_at_start = self.srv.open_fds()
            self.load()
            if self.srv.alive():
                self.check_after_load()
            else:
                self.problems.append(f"the server died (exit {self.srv.proc.returncode})")
        finally:
            code = self.srv.stop(timeout=60) if self.srv.alive() else self.srv.proc.returncode
            self.srv.kill()
        self.check_exit(code)
        for line in self.lines:
            print(line)
        for problem in self.problems:
            print("  FAIL:", problem)
        print("soak:", "FAILED" if self.problems else "passed")
        return 1 if self.problems else 0

    def load(self) -> None:
        stop, sampling = threading.Event(), threading.Event()
        started = time.monotonic()
        sampler = threading.Thread(target=sample, args=(self.srv, self.samples, sampling, started), daemon=True)
        sampler.start()
        threads = []
        for index, (worker, count) in enumerate(WORKERS):
            for n in range(count):
                rng = random.Random(self.args.seed * 1000 + index * 100 + n)
                threads.append(threading.Thread(target=worker, args=(self.srv.port, stop, self.tally, rng),
                                                daemon=True))
        for thread in threads:
            thread.start()
        while time.monotonic() - started < self.args.duration and self.srv.alive():
            time.sleep(0.5)
        stop.set()
        for thread in threads:
            thread.join(timeout=20)
        self.load_seconds = time.monotonic() - started
        sampling.set()
        sampler.join(timeout=5)
        build = "an ASan+UBSan" if self.is_sanitized else "a plain (no leak check)"
        self.lines.append(f"soak: {self.load_seconds:.0f} s of mixed load on {build} build, seed {self.args.seed}")
        self.lines.append("  outcomes: " + ", ".join(f"{name} {n}" for name, n in sorted(self.tally.counts.items())))
        latencies = sorted(self.tally.latencies)
        if latencies:
            self.lines.append(f"  normal requests: {len(latencies)}, latency median "
                              f"{statistics.median(latencies) * 1000:.1f} ms, p99 "
                              f"{latencies[int(len(latencies) * 0.99)] * 1000:.1f} ms, max {latencies[-1] * 1000:.0f} ms")
        if self.tally.counts["FAILED"]:
            self.problems.append(f"{self.tally.counts['FAILED']} client failures, e.g. {self.tally.failures[:5]}")
        for needed in ("normal 200", "slowloris 408", "sse subscriptions", "ws reset mid-frame", "hostile 400"):
            if not self.tally.counts[needed]:
                self.problems.append(f"no '{needed}' at all: the load did not run as meant")

    def check_after_load(self) -> None:
        # Descriptors: every client is gone, so the server's count must come back.
        try:
            wait_until(lambda: self.srv.open_fds() == self.fds_at_start, timeout=15, interval=0.2,
                       message="descriptors")
        except AssertionError:
            self.problems.append(f"descriptors: {self.srv.open_fds()} open after the load, "
                                 f"{self.fds_at_start} at the start")
        fds_after = self.srv.open_fds()
        final = metrics(self.srv.port)
        # Memory: after the warm-up vs at the end (medians of 5 samples, against sampling noise).
        after_warmup = [rss for t, rss, _, _ in self.samples if self.warmup - 5 <= t <= self.warmup]
        at_end = [rss for _, rss, _, _ in self.samples[-5:]]
        if not after_warmup or not at_end:
            self.problems.append("too few memory samples: lengthen --duration")
            return
        rss_warm, rss_end = statistics.median(after_warmup), statistics.median(at_end)
        rss_peak = max(rss for t, rss, _, _ in self.samples if t >= self.warmup)
        if rss_end - rss_warm > RSS_SLACK_BYTES:
            self.problems.append(f"memory grew after the warm-up: {mib(rss_warm)} -> {mib(rss_end)}")
        cpu = self.samples[-1][3] - self.samples[0][3]
        self.lines.append(f"  RSS: {mib(rss_warm)} after the {self.warmup:.0f} s warm-up, {mib(rss_end)} at the "
                          f"end (peak after warm-up {mib(rss_peak)}; growth {mib(rss_end - rss_warm)}, "
                          f"allowed {mib(RSS_SLACK_BYTES)})")
        self.lines.append(f"  descriptors: {self.fds_at_start} at the start, peak "
                          f"{max(f for _, _, f, _ in self.samples)}, {fds_after} after the load; "
                          f"connections active {final.get('http_connections_active', -1):.0f} (this /metrics "
                          f"request), live subscribers {final.get('sensor_live_subscribers', -1):.0f}")
        self.lines.append(f"  server CPU: {cpu:.1f} s over {self.load_seconds:.0f} s")

    def check_exit(self, code: int) -> None:
        stderr = self.srv.stderr()
        found = [marker for marker in SANITIZER_ERRORS if marker in stderr]
        if code != 0:
            self.problems.append(f"exit code {code} after SIGTERM")
        if found:
            start = max(0, stderr.find(found[0]) - 200)
            self.problems.append(f"sanitizer reports {found}: {stderr[start:start + 3000]}")
        self.lines.append(f"  exit code {code} after SIGTERM; sanitizer reports: {found or 'none'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("binary", help="the sensor-server to soak")
    parser.add_argument("--duration", type=float, default=120.0, help="seconds of load (default 120)")
    parser.add_argument("--warmup", type=float, default=None,
                        help="seconds after which memory must stay flat (default: a quarter of the duration)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the clients' random choices")
    args = parser.parse_args()
    e2e_server.BINARY = args.binary
    return Soak(args).run()


if __name__ == "__main__":
    sys.exit(main())
