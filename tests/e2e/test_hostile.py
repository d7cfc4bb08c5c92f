"""Hostile and broken clients, kept short (the long soak runs elsewhere): slowloris, the
connection cap, clients that never read, resets, WebSocket abuse. Each time the server must
shed the bad client and keep serving everybody else."""

from __future__ import annotations

import os
import select
import signal
import socket
import statistics
import threading
import time
import unittest

from client import (HOST, RawConnection, RawWebSocket, SSEClient, get, metrics, wait_until,
                    ws_frame)
from server import running_server


def timed_get(port: int, target: str = "/healthz") -> float:
    """Seconds for one request on a fresh connection (connect included)."""
    started = time.monotonic()
    resp = get(port, target, timeout=5)
    elapsed = time.monotonic() - started
    if resp.status != 200:
        raise AssertionError(f"{target}: {resp.status}")
    return elapsed


class Slowloris(unittest.TestCase):
    CLIENTS = 50

    def test_slow_heads_are_closed_with_408_while_others_are_served(self):
        with running_server("--sensor", "fixed:1", "--header-timeout", "1") as srv:
            request = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"z" * 200
            socks = []
            for _ in range(self.CLIENTS):
                s = socket.create_connection((HOST, srv.port), timeout=5)
                s.setblocking(False)
                socks.append(s)
            sent = {s: 0 for s in socks}
            received = {s: b"" for s in socks}
            first_byte = {}
            closed_at = {}
            latencies = []
            stop = threading.Event()

            def normal_client():
                while not stop.is_set():
                    try:
                        latencies.append(timed_get(srv.port))
                    except Exception as error:  # noqa: BLE001 - recorded as a failure below
                        latencies.append(float("inf"))
                        print("normal client failed:", error)
                    time.sleep(0.05)

            helper = threading.Thread(target=normal_client, daemon=True)
            helper.start()
            started = time.monotonic()
            try:
                next_send = started
                while len(closed_at) < len(socks) and time.monotonic() - started < 6:
                    now = time.monotonic()
                    if now >= next_send:  # one more byte for everyone still open
                        for s in socks:
                            if s in closed_at:
                                continue
                            try:
                                s.send(request[sent[s]:sent[s] + 1])
                                first_byte.setdefault(s, now)
                                sent[s] += 1
                            except OSError:
                                pass  # closed by the server: noticed on reading
                        next_send = now + 0.2
                    readable, _, _ = select.select([s for s in socks if s not in closed_at], [], [], 0.05)
                    for s in readable:
                        try:
                            chunk = s.recv(4096)
                        except OSError:
                            chunk = b""
                        if chunk:
                            received[s] += chunk
                        else:
                            closed_at[s] = time.monotonic()
            finally:
                stop.set()
                helper.join(timeout=10)
                for s in socks:
                    s.close()
            self.assertEqual(len(closed_at), self.CLIENTS, "every slow client was closed")
            for s in socks:
                self.assertTrue(received[s].startswith(b"HTTP/1.1 408 "), received[s][:100])
                lifetime = closed_at[s] - first_byte[s]
                self.assertLess(lifetime, 2.5, f"closed {lifetime:.2f} s after its first byte, --header-timeout 1")
                self.assertLess(sent[s], 20, "no slow client got to send its whole head")
            self.assertGreaterEqual(len(latencies), 5)
            self.assertLess(statistics.median(latencies), 0.050,
                            f"median latency of a normal client {statistics.median(latencies) * 1000:.1f} ms")
            self.assertLess(max(latencies), 1.0)
            m = metrics(srv.port)
            self.assertGreaterEqual(m["http_timeouts_total"], self.CLIENTS)
            self.assertEqual(m["http_connections_active"], 1)


class ConnectionCap(unittest.TestCase):
    def test_idle_keep_alive_connections_make_room(self):
        with running_server("--sensor", "fixed:1", "--max-connections", "4") as srv:
            idle = [RawConnection(srv.port) for _ in range(4)]
            try:
                for c in idle:
                    c.request("GET", "/healthz")
                    self.assertEqual(c.read_response().status, 200)
                time.sleep(0.1)
                started = time.monotonic()
                resp = get(srv.port, "/api/sensor")
                self.assertEqual(resp.status, 200, "a fifth client is served: an idle one made room")
                self.assertLess(time.monotonic() - started, 1.0)
                closed = [c for c in idle if c.closed_within(0.5)]
                self.assertGreaterEqual(len(closed), 1, "an idle keep-alive connection was closed for it")
                self.assertTrue(all(c.buf == b"" for c in closed), "closed silently, without a response")
                self.assertGreaterEqual(metrics(srv.port)["http_idle_connections_closed_for_room_total"], 1)
            finally:
                for c in idle:
                    c.close()

    def test_two_newcomers_at_once_each_close_an_idle_connection_of_their_own(self):
        with running_server("--sensor", "fixed:1", "--max-connections", "4") as srv:
            idle = [RawConnection(srv.port) for _ in range(4)]
            newcomers = []
            try:
                for c in idle:
                    c.request("GET", "/healthz")
                    self.assertEqual(c.read_response().status, 200)
                time.sleep(0.1)
                # Both connect while the server is stopped, so that it accepts them in one pass.
                srv.proc.send_signal(signal.SIGSTOP)
                try:
                    newcomers = [RawConnection(srv.port) for _ in range(2)]
                    for c in newcomers:
                        c.request("GET", "/healthz")
                finally:
                    srv.proc.send_signal(signal.SIGCONT)
                for c in newcomers:
                    self.assertEqual(c.read_response().status, 200)
                closed = [c for c in idle if c.closed_within(1.0)]
                self.assertEqual(len(closed), 2, "each newcomer took the slot of a different idle connection")
            finally:
                for c in idle + newcomers:
                    c.close()

    def test_busy_connections_at_the_cap_get_503_with_retry_after(self):
        with running_server("--sensor", "fixed:1", "--max-connections", "4", "--header-timeout", "10") as srv:
            busy = [RawConnection(srv.port) for _ in range(4)]
            try:
                for c in busy:
                    c.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # a head in progress: not idle
                time.sleep(0.2)
                with RawConnection(srv.port) as newcomer:
                    newcomer.request("GET", "/healthz")
                    resp = newcomer.read_response(timeout=3)
                    self.assertEqual(resp.status, 503)
                    retry = resp.header("Retry-After")
                    self.assertIsNotNone(retry)
                    self.assertTrue(retry.isdigit() and 0 < int(retry) <= 120, retry)
                    self.assertTrue(newcomer.closed_within(2))
                # The busy clients finish their requests: they are answered, not dropped.
                for c in busy:
                    c.send(b"\r\n")
                    self.assertEqual(c.read_response().status, 200)
            finally:
                for c in busy:
                    c.close()
            # And with the room back, new clients are served again.
            wait_until(lambda: get(srv.port, "/healthz").status == 200, timeout=3, message="recovery")
            self.assertGreaterEqual(metrics(srv.port)["http_connections_rejected_total"], 1)

    def test_event_streams_count_against_the_cap_and_leave_room_when_gone(self):
        with running_server("--sensor", "sim", "--interval", "0.1", "--max-connections", "3") as srv:
            streams = [SSEClient(srv.port) for _ in range(3)]
            try:
                for s in streams:
                    s.next_event(timeout=3)
                resp = get(srv.port, "/healthz")
                self.assertEqual(resp.status, 503, "event streams are not idle: they are not closed for room")
                for s in streams:
                    s.next_event(timeout=3)  # and they were not disturbed
            finally:
                for s in streams:
                    s.close()
            wait_until(lambda: get(srv.port, "/healthz").status == 200, timeout=3, message="room again")


class NonReadingClient(unittest.TestCase):
    def test_pipelining_client_that_never_reads_is_closed(self):
        with running_server("--sensor", "fixed:1", "--write-timeout", "1") as srv:
            rss_before = metrics(srv.port)["process_resident_memory_bytes"]
            timeouts_before = metrics(srv.port)["http_timeouts_total"]
            hog = RawConnection(srv.port, rcvbuf=4096)
            try:
                hog.sock.setblocking(False)
                request = b"GET /static/app.js HTTP/1.1\r\nHost: x\r\n\r\n" * 100
                sent = 0
                stalled_since = None
                started = time.monotonic()
                while time.monotonic() - started < 5:
                    try:
                        sent += hog.sock.send(request)
                        stalled_since = None
                    except BlockingIOError:
                        # The server stopped reading: its output for us is full.
                        stalled_since = stalled_since or time.monotonic()
                        if time.monotonic() - stalled_since > 0.5:
                            break
                        time.sleep(0.02)
                    except OSError:
                        break  # already closed by the server
                self.assertGreater(sent, 100_000, "the client managed to pipeline a lot")
                # Meanwhile everybody else is served promptly...
                self.assertLess(max(timed_get(srv.port) for _ in range(5)), 0.5)
                # ...and the hog is closed once its responses sat unread for the write time-out.
                wait_until(lambda: metrics(srv.port)["http_connections_active"] == 1, timeout=5,
                           message="the non-reading connection closed")
                # Its socket closed then too, unsent output dropped (not flushed for 10 s more).
                wait_until(lambda: established_server_sockets(srv.port) == 0, timeout=1,
                           message="the server's side of the hog's connection closed")
                m = metrics(srv.port)
                self.assertGreater(m["http_timeouts_total"], timeouts_before)
                self.assertLess(m["process_resident_memory_bytes"] - rss_before, 64 << 20,
                                "the server did not buffer without bound")
            finally:
                hog.sock.setblocking(True)
                hog.sock.settimeout(5)
                received = 0
                try:
                    while True:
                        chunk = hog.sock.recv(1 << 20)
                        if not chunk:
                            break
                        received += len(chunk)
                except OSError:
                    pass  # a reset: the server dropped what it could not deliver
                hog.close()
            self.assertLess(received, 16 << 20, "what the server kept for the hog is bounded")
            self.assertEqual(get(srv.port, "/healthz").status, 200)

    def test_websocket_client_that_stops_reading_is_dropped_after_the_write_timeout(self):
        # The pongs it never reads block the server's reader; the next reading then cannot be
        # sent within the write time-out, which must end the whole session (reader included).
        with running_server("--sensor", "sim", "--interval", "0.1", "--write-timeout", "1") as srv:
            conn = flood_pings_without_reading(srv.port)
            try:
                wait_until(lambda: metrics(srv.port)["sensor_live_subscribers"] == 0, timeout=8,
                           message="the non-reading WebSocket client dropped")
                wait_until(lambda: metrics(srv.port)["http_connections_active"] == 1, timeout=3,
                           message="its connection closed")
                self.assertEqual(get(srv.port, "/healthz").status, 200)
            finally:
                conn.close()


    def test_event_stream_subscriber_that_stops_reading_holds_a_bounded_send_buffer(self):
        self.assert_stalled_subscriber_is_bounded_and_dropped("/events", {"Accept": "text/event-stream"})

    def test_websocket_subscriber_that_stops_reading_holds_a_bounded_send_buffer(self):
        self.assert_stalled_subscriber_is_bounded_and_dropped(
            "/ws", {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Key": RawWebSocket.KEY,
                    "Sec-WebSocket-Version": "13"})

    def assert_stalled_subscriber_is_bounded_and_dropped(self, target: str, headers: dict) -> None:
        """A subscriber with a small receive buffer that never reads, fed 100 readings a second:
        what the server's kernel holds for it must stay small (the streaming send buffer cap),
        and once that is full the write time-out must drop it. Without the cap Linux grows the
        send buffer to megabytes and the time-out would not start for minutes."""
        with running_server("--sensor", "sim", "--interval", "0.01", "--write-timeout", "1") as srv:
            conn = RawConnection(srv.port, rcvbuf=4096)
            try:
                conn.request("GET", target, headers)
                self.assertIn(conn.read_response(head_request=True).status, (101, 200))
                most_queued = 0
                started = time.monotonic()
                while time.monotonic() - started < 30 and metrics(srv.port)["sensor_live_subscribers"] > 0:
                    most_queued = max(most_queued, server_send_queue(srv.port))
                    time.sleep(0.05)
                self.assertEqual(metrics(srv.port)["sensor_live_subscribers"], 0,
                                 "the subscriber that stopped reading was dropped")
                self.assertGreater(most_queued, 0, "the server had output queued for the subscriber")
                self.assertLessEqual(most_queued, 64 << 10, "the server's send buffer for it stayed small")
                self.assertEqual(get(srv.port, "/healthz").status, 200)
            finally:
                conn.close()


def server_send_queue(port: int) -> int:
    """The largest send queue (bytes the kernel holds, not yet acknowledged by the peer) of the
    server's established sockets on `port`."""
    largest = 0
    for fields in tcp_table_rows():
        if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":
            largest = max(largest, int(fields[4].split(":")[0], 16))
    return largest


def tcp_table_rows() -> list[list[str]]:
    """The rows of /proc/net/tcp and /proc/net/tcp6, split into fields."""
    rows = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                rows += [row.split() for row in f.readlines()[1:]]
        except OSError:
            continue
    return rows


def established_server_sockets(port: int) -> int:
    """Sockets on 127.0.0.1 whose local port is `port` and which are still ESTABLISHED: the server's
    side of its open connections (a client that closed leaves the server's side in CLOSE_WAIT)."""
    return sum(1 for fields in tcp_table_rows()
               if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01")


def flood_pings_without_reading(port: int) -> RawConnection:
    """A WebSocket client with a small receive buffer that sends pings and never reads: the
    server's pongs fill the connection until the server blocks writing one and stops reading.
    Returns the upgraded connection once its own sends have been blocked for half a second."""
    # The buffer is made small before connecting: shrunk afterwards, it would drop segments the
    # window already allowed, and TCP's retransmission back-off would stall the flood instead.
    conn = RawConnection(port, rcvbuf=4096)
    conn.request("GET", "/ws", {"Upgrade": "websocket", "Connection": "Upgrade",
                                "Sec-WebSocket-Key": RawWebSocket.KEY, "Sec-WebSocket-Version": "13"})
    if conn.read_response(head_request=True).status != 101:
        raise AssertionError("WebSocket handshake refused")
    conn.sock.setblocking(False)
    ping = ws_frame(0x9, b"p" * 125)
    pending = b""
    sent = 0
    stalled_since = None
    started = time.monotonic()
    while time.monotonic() - started < 20 and sent < (256 << 20):
        pending = pending or ping * 64
        try:
            n = conn.sock.send(pending)
            pending = pending[n:]
            sent += n
            stalled_since = None
        except BlockingIOError:
            stalled_since = stalled_since or time.monotonic()
            if time.monotonic() - stalled_since > 0.5:
                break
            time.sleep(0.01)
    conn.sock.setblocking(True)
    if stalled_since is None:
        conn.close()
        raise AssertionError(f"the server kept reading pings ({sent} bytes) though nobody read its pongs")
    return conn


class Resets(unittest.TestCase):
    def test_client_reset_mid_event_stream_does_not_disturb_others(self):
        with running_server("--sensor", "sim", "--interval", "0.1") as srv:
            good = [SSEClient(srv.port) for _ in range(2)]
            bad = [SSEClient(srv.port) for _ in range(3)]
            try:
                for s in good + bad:
                    s.next_event(timeout=3)
                for s in bad:
                    s.reset()
                # The others keep getting every reading, in order, without a gap.
                for s in good:
                    ids = [int(s.next_event(timeout=3).id) for _ in range(8)]
                    self.assertEqual(ids, list(range(ids[0], ids[0] + 8)))
                self.assertEqual(get(srv.port, "/healthz").status, 200)
                wait_until(lambda: metrics(srv.port)["sensor_live_subscribers"] == 2, timeout=3,
                           message="the reset clients' subscriptions released")
                wait_until(lambda: metrics(srv.port)["http_connections_active"] == 3, timeout=3,
                           message="their connections closed (2 streams and /metrics remain)")
            finally:
                for s in good:
                    s.close()

    def test_reset_mid_request_and_mid_response(self):
        with running_server("--sensor", "sim", "--interval", "0.05", "--history", "5000") as srv:
            time.sleep(0.3)
            for data in [b"GET /api/hist", b"GET /api/history HTTP/1.1\r\nHost: x\r\n\r\n" * 20,
                         b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\npartial"]:
                for _ in range(10):
                    c = RawConnection(srv.port)
                    c.send(data)
                    c.reset()
            wait_until(lambda: metrics(srv.port)["http_connections_active"] == 1, timeout=3,
                       message="every reset connection released")
            self.assertEqual(get(srv.port, "/healthz").status, 200)

    def test_client_vanishing_mid_websocket_frame(self):
        # 20 clients: the leak this test once found (a connection never released) hit about half of them, so 20 make it certain.
        with running_server("--sensor", "sim", "--interval", "0.1") as srv:
            for cut in (1, 2, 6, 9, 20) * 4:
                ws = RawWebSocket(srv.port)
                ws.read_frame(timeout=3)
                ws.send(ws_frame(0x1, b"x" * 300)[:cut])
                ws.conn.reset()
            wait_until(lambda: metrics(srv.port)["sensor_live_subscribers"] == 0, timeout=3,
                       message="the vanished WebSocket clients released")
            wait_until(lambda: metrics(srv.port)["http_connections_active"] == 1, timeout=3,
                       message="their connections closed")
            self.assertEqual(get(srv.port, "/healthz").status, 200)

    def test_websocket_client_resetting_while_the_server_writes_to_it(self):
        # A long write time-out: the connection must end because of the reset, not the time-out.
        with running_server("--sensor", "sim", "--interval", "0.1", "--write-timeout", "60") as srv:
            conn = flood_pings_without_reading(srv.port)
            conn.reset()
            wait_until(lambda: metrics(srv.port)["sensor_live_subscribers"] == 0, timeout=5,
                       message="the WebSocket client reset mid-write released")
            wait_until(lambda: metrics(srv.port)["http_connections_active"] == 1, timeout=3,
                       message="its connection closed")
            self.assertEqual(get(srv.port, "/healthz").status, 200)


class WebSocketAbuse(unittest.TestCase):
    CASES = [
        ("unmasked frame", ws_frame(0x1, b"hi", mask=False), 1002),
        ("invalid UTF-8 in a text frame", ws_frame(0x1, b"\xc3\x28 bad"), 1007),
        ("control frame over 125 bytes", ws_frame(0x9, b"p" * 126), 1002),
        ("fragmented control frame", ws_frame(0x9, b"p", fin=False), 1002),
        ("reserved opcode", ws_frame(0x3, b"?"), 1002),
        ("reserved bits", bytes([0xC1]) + ws_frame(0x1, b"hi")[1:], 1002),
        ("continuation without a start", ws_frame(0x0, b"orphan"), 1002),
        ("oversized frame", ws_frame(0x2, b"", length_override=64 << 20), 1009),
    ]

    def test_protocol_violations_get_the_right_close_code(self):
        with running_server("--sensor", "fixed:1", "--interval", "0.2") as srv:
            for name, data, code in self.CASES:
                with self.subTest(name):
                    ws = RawWebSocket(srv.port)
                    try:
                        ws.send(data)
                        got, _ = ws.read_until_close(timeout=3)
                        self.assertEqual(got, code)
                        self.assertTrue(ws.conn.closed_within(3), "the TCP connection is closed after")
                    finally:
                        ws.close()
            self.assertEqual(get(srv.port, "/healthz").status, 200)


class Floods(unittest.TestCase):
    def test_garbage_flood_is_refused_and_others_served(self):
        with running_server("--sensor", "fixed:1") as srv:
            with RawConnection(srv.port) as c:
                try:
                    c.send(os.urandom(1 << 20))
                except OSError:
                    pass  # the server may close before taking it all
                resp_or_close = c.read_to_eof(timeout=5)
                self.assertTrue(resp_or_close == b"" or resp_or_close.startswith(b"HTTP/1.1 400 "),
                                resp_or_close[:100])
            self.assertEqual(get(srv.port, "/healthz").status, 200)

    def test_many_concurrent_keep_alive_clients(self):
        with running_server("--sensor", "sim", "--interval", "0.1") as srv:
            failures = []
            counts = []

            def client():
                try:
                    with RawConnection(srv.port) as c:
                        n = 0
                        for i in range(30):
                            c.request("GET", ("/healthz", "/api/sensor", "/metrics")[i % 3])
                            if c.read_response().status == 200:
                                n += 1
                        counts.append(n)
                except Exception as error:  # noqa: BLE001 - reported below
                    failures.append(repr(error))

            threads = [threading.Thread(target=client) for _ in range(20)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=20)
            self.assertEqual(failures, [])
            self.assertEqual(counts, [30] * 20)


if __name__ == "__main__":
    unittest.main()
