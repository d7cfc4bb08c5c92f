"""Clients that send a request slowly on purpose: a POST head with a large Content-Length, then a
byte now and then. The body shares the head's deadline (extended only by what arrives, at
1 KiB/s), so such a client is answered 408 however often it sends a byte; and when the
connection cap is reached, the connections slowest to send their request make room for a
newcomer instead of the newcomer being refused. Bounded: at most 20 clients, a few seconds."""

from __future__ import annotations

import socket
import sys
import time
import unittest

from client import HOST, get, metrics
from server import running_server

SLOW_HEAD = b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"


class Dripper:
    """One connection that sent SLOW_HEAD and sends one more body byte each time drip() is
    called; collects what the server answers."""

    def __init__(self, port: int):
        self.sock = socket.create_connection((HOST, port), timeout=5)
        self.sock.sendall(SLOW_HEAD)
        self.sock.setblocking(False)
        self.started = time.monotonic()
        self.received = b""
        self.closed_at: float | None = None

    def drip(self) -> None:
        if self.closed_at is not None:
            return
        try:
            self.sock.send(b"x")
        except OSError:
            pass  # the server closed: poll() sees it
        self.poll()

    def poll(self) -> None:
        if self.closed_at is not None:
            return
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    self.closed_at = time.monotonic()
                    return
                self.received += chunk
        except BlockingIOError:
            return
        except OSError:
            self.closed_at = time.monotonic()

    def close(self) -> None:
        self.sock.close()


def drip_all(drippers: list[Dripper], seconds: float, every: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for d in drippers:
            d.drip()
        time.sleep(every)


class SlowSenders(unittest.TestCase):
    def test_a_body_dripped_a_byte_at_a_time_still_times_out(self):
        # Each byte arrives well within the header time-out, which used to restart with every
        # read: the client could hold its connection for ever.
        with running_server("--sensor", "fixed:1", "--header-timeout", "1") as srv:
            drippers = [Dripper(srv.port) for _ in range(20)]
            try:
                drip_all(drippers, seconds=4, every=0.3)
                for d in drippers:
                    d.poll()
                    self.assertTrue(d.received.startswith(b"HTTP/1.1 408 Request Timeout\r\n"), d.received[:100])
                    self.assertIsNotNone(d.closed_at, "closed after the 408")
                    # 1 s for head and body, plus 1 s per KiB received (a few bytes here).
                    self.assertLess(d.closed_at - d.started, 3.0)
                held = [d.closed_at - d.started for d in drippers]
                print(f"\n  20 drippers: 408 and closed {min(held):.2f}-{max(held):.2f} s after their head",
                      file=sys.stderr, flush=True)
            finally:
                for d in drippers:
                    d.close()
            self.assertEqual(get(srv.port, "/healthz").status, 200)

    def test_at_the_cap_the_slowest_senders_make_room_for_newcomers(self):
        with running_server("--sensor", "fixed:1", "--max-connections", "8", "--header-timeout", "30") as srv:
            fast = [Dripper(srv.port) for _ in range(4)]  # a byte every 0.1 s
            slow = [Dripper(srv.port) for _ in range(4)]  # a byte every 0.5 s
            try:
                for round_ in range(3):
                    if round_ > 0:
                        fast.append(Dripper(srv.port))  # every slot busy again
                    # Older than the 0.5 s a request must have been arriving before it may be shed.
                    self.drip(fast, slow, seconds=1.0)
                    resp = get(srv.port, "/healthz", timeout=5)
                    self.assertEqual(resp.status, 200, f"newcomer {round_} served, not refused")
                    self.drip(fast, slow, seconds=0.3)
                    shed = [d for d in fast + slow if d.received]
                    self.assertEqual(len(shed), round_ + 1, "one slow sender per newcomer")
                    for d in shed:
                        self.assertIn(d, slow, "the slowest sender made room, not a faster one")
                        self.assertTrue(d.received.startswith(b"HTTP/1.1 408 Request Timeout\r\n"), d.received[:100])
                        self.assertIsNotNone(d.closed_at)
                m = metrics(srv.port)
                self.assertEqual(m["http_slow_connections_closed_for_room_total"], 3)
                self.assertEqual(m["http_connections_rejected_total"], 0)
            finally:
                for d in fast + slow:
                    d.close()

    @staticmethod
    def drip(fast: list[Dripper], slow: list[Dripper], seconds: float) -> None:
        end = time.monotonic() + seconds
        tick = 0
        while time.monotonic() < end:
            for d in fast:
                d.drip()
            for d in slow:
                if tick % 5 == 0:
                    d.drip()
                else:
                    d.poll()
            tick += 1
            time.sleep(0.1)

if __name__ == "__main__":
    unittest.main()
