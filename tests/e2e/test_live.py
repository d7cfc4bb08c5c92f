"""Live readings: Server-Sent Events on /events and WebSocket on /ws."""

from __future__ import annotations

import asyncio
import json
import time
import unittest

import websockets

from client import (RawConnection, RawWebSocket, SSEClient, curl, get_json, metrics,
                    wait_until, ws_frame)
from server import ServerTestCase, running_server


def reading_ok(test: unittest.TestCase, data: str) -> dict:
    reading = json.loads(data)
    test.assertIsInstance(reading, dict)
    test.assertIsInstance(reading.get("ts"), int)
    test.assertLess(abs(reading["ts"] - time.time() * 1000), 5000)
    test.assertIsInstance(reading.get("temperature_c"), (int, float))
    return reading


class ServerSentEvents(ServerTestCase, unittest.TestCase):
    FLAGS = ("--sensor", "sim", "--interval", "0.1")

    def test_events_have_increasing_ids_and_json_readings(self):
        with SSEClient(self.srv.port) as sse:
            self.assertEqual(sse.response.status, 200)
            self.assertTrue(sse.response.header("Content-Type").startswith("text/event-stream"))
            self.assertIn("no-store", sse.response.header("Cache-Control") or "")
            events = [sse.next_event(timeout=3) for _ in range(10)]
        ids = [int(e.id) for e in events]
        self.assertEqual(ids, list(range(ids[0], ids[0] + 10)),
                         "consecutive ids: a client reading promptly misses nothing")
        readings = [reading_ok(self, e.data) for e in events]
        stamps = [r["ts"] for r in readings]
        self.assertEqual(stamps, sorted(stamps))
        self.assertEqual(len(set(stamps)), len(stamps))
        self.assertEqual({"temperature_c", "humidity_pct", "pressure_hpa"} - set(readings[-1]), set())

    def test_events_match_the_api(self):
        with SSEClient(self.srv.port) as sse:
            event = json.loads(sse.next_event(timeout=3).data)
        history = get_json(self.srv.port, "/api/history")
        self.assertIn(event, history, "an event is one of the readings /api/history reports")

    def test_reconnect_with_last_event_id_resumes_without_a_gap(self):
        with SSEClient(self.srv.port) as sse:
            seen = [sse.next_event(timeout=3) for _ in range(3)]
        last = int(seen[-1].id)
        time.sleep(0.6)  # readings go on while the client is away
        with SSEClient(self.srv.port, last_event_id=str(last)) as sse:
            resumed = [sse.next_event(timeout=3) for _ in range(8)]
        ids = [int(e.id) for e in resumed]
        self.assertEqual(ids, list(range(last + 1, last + 9)), "the missed readings first, then live ones")
        stamps = [json.loads(e.data)["ts"] for e in resumed]
        self.assertEqual(stamps, sorted(stamps))

    def test_stream_announces_a_retry_delay(self):
        with SSEClient(self.srv.port) as sse:
            sse.next_event(timeout=3)
        self.assertIsNotNone(sse.retry, "a retry: field tells browsers how soon to reconnect")
        self.assertTrue(500 <= sse.retry <= 30000, sse.retry)

    def test_nonsense_last_event_id_is_treated_as_a_new_client(self):
        for value in ("junk", "-5", "99999999999999999999999"):
            with SSEClient(self.srv.port, last_event_id=value) as sse:
                event = sse.next_event(timeout=3)
                reading_ok(self, event.data)
                self.assertLess(time.time() * 1000 - json.loads(event.data)["ts"], 1500, "a current reading")

    def test_future_last_event_id_does_not_stall_the_stream(self):
        # A client that remembers an id from before the server restarted must not wait forever.
        with SSEClient(self.srv.port, last_event_id="100000000") as sse:
            event = sse.next_event(timeout=3)
            reading_ok(self, event.data)

    def test_several_clients_get_the_same_readings(self):
        clients = [SSEClient(self.srv.port) for _ in range(5)]
        try:
            streams = [[c.next_event(timeout=3) for _ in range(6)] for c in clients]
        finally:
            for c in clients:
                c.close()
        # Compare what all clients saw after the latest first event.
        start = max(int(s[0].id) for s in streams)
        common = [{e.id: e.data for e in s if int(e.id) >= start} for s in streams]
        self.assertTrue(all(len(c) >= 3 for c in common), [len(c) for c in common])
        for other in common[1:]:
            for key in set(other) & set(common[0]):
                self.assertEqual(other[key], common[0][key])

    def test_curl_streams_events(self):
        done = curl("-N", "--max-time", "1.5", f"{self.srv.base_url}/events", timeout=10)
        self.assertEqual(done.returncode, 28, "curl stops at --max-time: the stream stays open")
        ids = [int(line[3:]) for line in done.stdout.decode().splitlines() if line.startswith("id:")]
        self.assertGreaterEqual(len(ids), 5)
        self.assertEqual(ids, sorted(ids))


class ServerSentEventsAlone(unittest.TestCase):
    """Tests that count the server's subscribers get a server of their own."""

    def test_subscribers_are_counted_and_released(self):
        with running_server("--sensor", "sim", "--interval", "0.1") as srv:
            self.assertEqual(metrics(srv.port)["sensor_live_subscribers"], 0)
            clients = [SSEClient(srv.port) for _ in range(3)]
            for c in clients:
                c.next_event(timeout=3)
            self.assertEqual(metrics(srv.port)["sensor_live_subscribers"], 3)
            for c in clients:
                c.close()
            # The server notices a vanished client at its next write (one interval later).
            wait_until(lambda: metrics(srv.port)["sensor_live_subscribers"] == 0, timeout=3,
                       message="subscribers released after the clients left")
            self.assertEqual(metrics(srv.port)["http_connections_active"], 1, "only the /metrics request")

    def test_first_event_at_once_then_keep_alive_comments(self):
        # One reading a minute: the client still gets the current reading at once, and a
        # comment every 15 s keeps the idle stream open.
        with running_server("--sensor", "fixed:7.25", "--interval", "60") as srv:
            with SSEClient(srv.port, timeout=20) as sse:
                started = time.monotonic()
                first = sse.next_event(timeout=2)
                self.assertLess(time.monotonic() - started, 1.0)
                self.assertEqual(json.loads(first.data)["temperature_c"], 7.25)
                comment = None
                while time.monotonic() - started < 18 and comment is None:
                    block = sse.next_block(timeout=18 - (time.monotonic() - started))
                    comment = next((line for line in block if line.startswith(":")), None)
                elapsed = time.monotonic() - started
                self.assertIsNotNone(comment, "a keep-alive comment within 18 s")
                self.assertEqual(comment.strip(), ": keep-alive")
                self.assertTrue(10 <= elapsed <= 18, f"first comment after {elapsed:.1f} s")


class WebSocketReadings(ServerTestCase, unittest.TestCase):
    FLAGS = ("--sensor", "sim", "--interval", "0.1")

    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.srv.port}/ws"

    def run_async(self, coro, timeout: float = 15):
        return asyncio.run(asyncio.wait_for(coro, timeout))

    def test_receives_json_readings(self):
        async def scenario():
            async with websockets.connect(self.ws_url(), open_timeout=5, close_timeout=3,
                                          ping_interval=None) as ws:
                return [await asyncio.wait_for(ws.recv(), 3) for _ in range(6)]
        messages = self.run_async(scenario())
        self.assertTrue(all(isinstance(m, str) for m in messages), "readings are text messages")
        readings = [reading_ok(self, m) for m in messages]
        stamps = [r["ts"] for r in readings]
        self.assertEqual(stamps, sorted(stamps))
        self.assertGreaterEqual(len(set(stamps)), 5, "new readings, not the same one again")

    def test_current_reading_at_once(self):
        # One reading a minute: a new client still gets the current reading at once, as /events
        # does, not after the next sample.
        async def scenario(port):
            async with websockets.connect(f"ws://127.0.0.1:{port}/ws", open_timeout=5, close_timeout=3,
                                          ping_interval=None) as ws:
                started = time.monotonic()
                first = await asyncio.wait_for(ws.recv(), 5)
                return first, time.monotonic() - started
        with running_server("--sensor", "fixed:7.25", "--interval", "60") as srv:
            first, elapsed = self.run_async(scenario(srv.port))
        self.assertLess(elapsed, 1.0)
        self.assertEqual(json.loads(first)["temperature_c"], 7.25)

    def test_ping_is_answered(self):
        async def scenario():
            async with websockets.connect(self.ws_url(), open_timeout=5, close_timeout=3,
                                          ping_interval=None) as ws:
                rtts = []
                for i in range(3):
                    started = time.monotonic()
                    pong = await ws.ping(f"probe-{i}".encode())
                    await asyncio.wait_for(pong, 2)
                    rtts.append(time.monotonic() - started)
                await asyncio.wait_for(ws.recv(), 3)  # still receiving readings afterwards
                return rtts
        rtts = self.run_async(scenario())
        self.assertLess(max(rtts), 1.0)

    def test_close_handshake_completes_with_1000(self):
        async def scenario():
            ws = await websockets.connect(self.ws_url(), open_timeout=5, close_timeout=3, ping_interval=None)
            await asyncio.wait_for(ws.recv(), 3)
            started = time.monotonic()
            await ws.close(code=1000, reason="bye")
            return ws.close_code, ws.close_reason, time.monotonic() - started
        code, _, elapsed = self.run_async(scenario())
        self.assertEqual(code, 1000, "the server echoes the client's close code")
        self.assertLess(elapsed, 2.0, "the server answers the close frame promptly")

    def test_raw_handshake_and_text_frames(self):
        ws = RawWebSocket(self.srv.port)
        try:
            self.assertEqual(ws.handshake.header("Upgrade").lower(), "websocket")
            opcode, fin, payload = ws.read_frame(timeout=3)
            self.assertEqual((opcode, fin), (0x1, True))
            reading_ok(self, payload.decode("utf-8"))
            ws.send(ws_frame(0x9, b"hi"))  # ping
            while True:
                opcode, _, payload = ws.read_frame(timeout=3)
                if opcode == 0xA:
                    break
                self.assertEqual(opcode, 0x1)
            self.assertEqual(payload, b"hi", "a pong carries the ping's payload")
            ws.send(ws_frame(0x8, b"\x03\xe8"))
            code, _ = ws.read_until_close(timeout=3)
            self.assertEqual(code, 1000)
            self.assertTrue(ws.conn.closed_within(3), "the server closes the TCP connection after the close")
        finally:
            ws.close()

    def test_unmasked_client_frame_is_closed_with_1002(self):
        ws = RawWebSocket(self.srv.port)
        try:
            ws.send(ws_frame(0x1, b"hello", mask=False))
            code, _ = ws.read_until_close(timeout=3)
            self.assertEqual(code, 1002)
            self.assertTrue(ws.conn.closed_within(3))
        finally:
            ws.close()

    def test_bad_handshakes_are_refused(self):
        cases = [
            ({"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13"}, 400),  # no key
            ({"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Key": "short",
              "Sec-WebSocket-Version": "13"}, 400),
            ({}, 400),  # a plain GET of /ws
        ]
        for headers, status in cases:
            with self.subTest(headers=headers):
                with RawConnection(self.srv.port) as c:
                    c.request("GET", "/ws", headers)
                    resp = c.read_response()
                    self.assertEqual(resp.status, status, resp.raw_head)
                    self.assertTrue(c.closed_within(3))

    def test_unsupported_websocket_version_is_426(self):
        with RawConnection(self.srv.port) as c:
            c.request("GET", "/ws", {"Upgrade": "websocket", "Connection": "Upgrade",
                                     "Sec-WebSocket-Key": RawWebSocket.KEY, "Sec-WebSocket-Version": "8"})
            resp = c.read_response()
            self.assertEqual(resp.status, 426, resp.raw_head)
            self.assertEqual(resp.header("Sec-WebSocket-Version"), "13")
            self.assertTrue(c.closed_within(3))

    def test_many_websocket_clients(self):
        async def one():
            async with websockets.connect(self.ws_url(), open_timeout=5, close_timeout=3,
                                          ping_interval=None) as ws:
                return [json.loads(await asyncio.wait_for(ws.recv(), 3))["ts"] for _ in range(4)]

        async def scenario():
            return await asyncio.gather(*(one() for _ in range(20)))
        results = self.run_async(scenario())
        self.assertEqual(len(results), 20)
        for stamps in results:
            self.assertEqual(stamps, sorted(stamps))
        wait_until(lambda: metrics(self.srv.port)["sensor_live_subscribers"] == 0, timeout=3,
                   message="every WebSocket subscriber released")


class LiveTaskNames(ServerTestCase, unittest.TestCase):
    FLAGS = ("--sensor", "sim", "--interval", "0.1")

    def test_live_stream_tasks_are_named_by_route_and_peer(self):
        ws = RawWebSocket(self.srv.port)
        try:
            with SSEClient(self.srv.port) as sse:
                sse.next_event(timeout=3)
                ws.read_frame(timeout=3)
                sse_peer = "%s:%d" % sse.conn.sock.getsockname()
                ws_peer = "%s:%d" % ws.conn.sock.getsockname()
                names = {task["name"] for task in get_json(self.srv.port, "/debug/tasks")["tasks"]}
                for name in (f"/events {sse_peer}", f"/ws {ws_peer}", f"/ws {ws_peer} sender",
                             f"/ws {ws_peer} reader"):
                    self.assertIn(name, names, "not Task-<n>: /debug/tasks says which client it serves")
        finally:
            ws.close()


if __name__ == "__main__":
    unittest.main()
