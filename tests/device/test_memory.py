"""A thousand requests (every route, keep-alive and not, a few event streams and WebSockets), all
answered; on the board, the heap in use and the socket count come back to where they were.

How the leak check reads the board: the board prints a MEMORY line (heap_in_use, heap_peak,
stack_high_water, sockets) at most once a second, whenever a figure changed. Once every client
connection is closed and no new line has come for a few seconds, the last line is the board's
state now ("settled").

What legitimately changes: the board's build pools nothing (no free lists of buffers or request
records: ASYNCIO_SMALL_BUFFERS), the history ring is allocated in full at start and lwIP's memory
is static (not the C heap). What remains are containers that keep the capacity of their busiest
moment (the loop's timer heap, say): a figure that depends on how many requests were ever in
progress at once, not on how many were served. So the check:

1. warms up with rounds of the same mix until the settled heap repeats (bounded: it must);
2. 1,000 requests; settled sockets must be the idle count seen at boot, and heap_in_use is
   expected to be the warm-up figure, exactly;
3. only if the heap differs: another 1,000 requests. A leak makes a new high after every run;
   a container that grew once to a busier moment does not: the test fails only if the heap after
   step 2 is above every warm-up figure and grows again in step 3.
"""

from __future__ import annotations

import threading
import time
import unittest

from client import RawConnection, RawWebSocket, SSEClient, get, metrics, wait_until
from target import DeviceTestCase

THREADS = 4
WARM_UP_ROUNDS = 5
CYCLE = ["/api/sensor", "/", "/api/history", "/api/device", "/metrics", "/healthz", "/static/app.js",
         "/static/style.css", "/nope", "/static/favicon.svg"]  # keep-alive part of one cycle: 10 requests
SINGLE = ["/api/sensor", "/healthz", "/api/history", "/api/device", "/"]  # 5 with the client closing first
CLOSING = ["/api/sensor", "/metrics", "/", "/healthz", "/api/history"]    # 5 with Connection: close
REQUESTS_PER_CYCLE = len(CYCLE) + len(SINGLE) + len(CLOSING)             # 20


def expected_status(path: str) -> int:
    return 404 if path == "/nope" else 200


class Workload:
    """`requests` requests in cycles of 20, spread over THREADS threads; every 5th cycle of the
    first thread also opens an event stream and a WebSocket, reads one reading from each and
    closes. (Only one thread does: the server notices that an event-stream client has gone only
    when a write to it fails, an interval or two later, and until then its connection counts
    against the board's 12.)"""

    def __init__(self, port: int, requests: int):
        self.port = port
        self.cycles = requests // REQUESTS_PER_CYCLE
        self.done = 0
        self.streams = 0
        self.errors: list[str] = []
        self.lock = threading.Lock()

    def run(self, timeout: float = 180) -> None:
        shares = [self.cycles // THREADS + (1 if n < self.cycles % THREADS else 0) for n in range(THREADS)]
        threads = [threading.Thread(target=self.worker, args=(n, share), daemon=True) for n, share in enumerate(shares)]
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=max(0.1, deadline - time.monotonic()))
        if any(thread.is_alive() for thread in threads):
            self.errors.append(f"the workload did not finish within {timeout} s")

    def check(self, what: str, status: int, path: str) -> None:
        if status != expected_status(path):
            raise AssertionError(f"{what} {path}: {status}, expected {expected_status(path)}")
        with self.lock:
            self.done += 1

    def worker(self, number: int, cycles: int) -> None:
        try:
            for cycle in range(cycles):
                with RawConnection(self.port, timeout=15) as c:  # keep-alive
                    for path in CYCLE:
                        c.request("GET", path)
                        self.check("keep-alive", c.read_response().status, path)
                for path in SINGLE:  # http.client, closed by the client after the response
                    self.check("single", get(self.port, path, timeout=15).status, path)
                for path in CLOSING:  # the server closes after the response
                    with RawConnection(self.port, timeout=15) as c:
                        c.request("GET", path, {"Connection": "close"})
                        self.check("close", c.read_response().status, path)
                        if not c.closed_within(10):
                            raise AssertionError(f"Connection: close {path}: the connection stayed open")
                if number == 0 and cycle % 5 == 0:
                    with SSEClient(self.port, timeout=10) as sse:
                        sse.next_event(timeout=10)
                    ws = RawWebSocket(self.port, timeout=10)
                    try:
                        opcode, _, _ = ws.read_frame(timeout=10)  # the next reading
                        if opcode != 0x1:
                            raise AssertionError(f"/ws: first frame opcode {opcode}")
                    finally:
                        ws.close()
                    with self.lock:
                        self.streams += 2
        except Exception as error:  # noqa: BLE001  (collected, reported by the test)
            try:
                now = metrics(self.port)
                state = {k: v for k, v in now.items() if k.startswith(("http_connections", "sensor_live"))}
            except Exception as again:  # noqa: BLE001
                state = f"(no /metrics: {again!r})"
            with self.lock:
                self.errors.append(f"thread {number}: {error!r}; server state then: {state}")


class Requests(DeviceTestCase):
    def workload(self, requests: int) -> Workload:
        # Event streams of earlier tests (a browser's) are let go first: they hold connections
        # until the server's next write to them fails.
        wait_until(lambda: metrics(self.port)["sensor_live_subscribers"] == 0, timeout=15, interval=0.2,
                   message="no live subscribers left")
        started = time.monotonic()
        work = Workload(self.port, requests)
        work.run()
        elapsed = time.monotonic() - started
        self.assertEqual(work.errors, [])
        self.assertEqual(work.done, work.cycles * REQUESTS_PER_CYCLE)
        print(f"\n    {work.done} requests and {work.streams} event streams/WebSockets in {elapsed:.1f} s "
              f"({work.done / elapsed:.0f} requests/s)", end=" ", flush=True)
        return work

    def test_a_thousand_mixed_requests_are_answered(self):
        self.workload(1000)
        resp = get(self.port, "/healthz", timeout=10)
        self.assertEqual((resp.status, resp.body.strip()), (200, b"ok"))

    def test_no_heap_or_socket_leak_after_a_thousand_requests(self):
        self.require_board("the MEMORY lines of the board's console")
        board = self.target
        idle = board.boot_memory.sockets

        rounds = []
        for _ in range(WARM_UP_ROUNDS):  # warm-up: until the idle figure repeats
            self.workload(300)
            rounds.append(self.settle(idle))
            self.assertEqual(rounds[-1].sockets, idle, "sockets back to the idle count after the warm-up")
            if len(rounds) >= 2 and rounds[-1].heap_in_use == rounds[-2].heap_in_use:
                break
        else:
            self.fail(f"the idle heap kept changing over {WARM_UP_ROUNDS} warm-up rounds of 300 requests: "
                      f"{[m.heap_in_use for m in rounds]} B")
        before = rounds[-1]
        self.workload(1000)
        after = self.settle(idle)
        memories = board.memory_lines()
        peak = max(m.heap_peak for m in memories)
        stack = max(m.stack_high_water for m in memories)
        print(f"\n    heap_in_use {board.boot_memory.heap_in_use} B at boot, {[m.heap_in_use for m in rounds]} B "
              f"after the warm-up rounds, {after.heap_in_use} B after 1,000 requests; heap_peak {peak} B, "
              f"stack_high_water {stack} B, sockets {after.sockets} (idle {idle})", end=" ", flush=True)
        self.assertEqual(after.sockets, idle, "sockets back to the idle count after 1,000 requests")
        if after.heap_in_use == before.heap_in_use:
            return
        # Not the same figure: a container may have grown to a busier moment than the warm-up's.
        # Another 1,000 requests tell a leak (a new high after every run) from that.
        self.workload(1000)
        again = self.settle(idle)
        print(f"\n    heap_in_use {again.heap_in_use} B after another 1,000 requests", end=" ", flush=True)
        self.assertEqual(again.sockets, idle)
        seen = [m.heap_in_use for m in rounds]
        self.assertFalse(after.heap_in_use > max(seen) and again.heap_in_use > after.heap_in_use,
                         f"the idle heap grows with every 1,000 requests: warm-up {seen}, then "
                         f"{after.heap_in_use}, then {again.heap_in_use} B")
        print(f"(no growth after the first 1,000: warm-up {seen} B)", end=" ", flush=True)

    def settle(self, idle_sockets: int, timeout: float = 45.0):
        """Ends with the same fixed sequence of requests, so that every measurement follows the
        same last steps (and the containers that keep their busiest capacity have seen four
        requests in progress at once); then the settled MEMORY figures once the socket count is
        back to `idle_sockets` (bounded)."""
        # Four requests in progress at once (each holds a receive buffer and an exchange while its
        # head is unfinished), answered together.
        held = [RawConnection(self.port, timeout=15) for _ in range(4)]
        try:
            for c in held:
                c.send(b"GET /api/history HTTP/1.1\r\nHost: board\r\n")
            time.sleep(0.5)
            for c in held:
                c.send(b"\r\n")
            for c in held:
                self.assertEqual(c.read_response().status, 200)
        finally:
            for c in held:
                c.close()
        for _ in range(3):
            with RawConnection(self.port, timeout=15) as c:
                for path in CYCLE:
                    c.request("GET", path)
                    self.assertEqual(c.read_response().status, expected_status(path), path)
        since = time.monotonic()
        deadline = since + timeout
        while True:
            memory = self.target.settled_memory(since, timeout=timeout)
            if memory.sockets == idle_sockets or time.monotonic() > deadline:
                return memory
            time.sleep(0.5)


if __name__ == "__main__":
    unittest.main()
