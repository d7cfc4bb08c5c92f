"""Live readings: the first Server-Sent Event comes at once and carries a reading, the next ones
follow every interval; a WebSocket client (the `websockets` package) receives readings."""

from __future__ import annotations

import asyncio
import json
import time
import unittest

import websockets

from client import SSEClient
from target import DeviceTestCase

QUANTITIES = ("temperature_c", "humidity_pct", "pressure_hpa")


class Live(DeviceTestCase):
    def check_reading(self, text: str) -> dict:
        reading = json.loads(text)
        self.assertIsInstance(reading.get("ts"), int)
        for name in QUANTITIES:
            self.assertIsInstance(reading.get(name), (int, float), f"{name} in {reading}")
        return reading

    def test_first_event_arrives_at_once_with_a_reading(self):
        started = time.monotonic()
        with SSEClient(self.port, timeout=5) as sse:
            self.assertEqual(sse.response.status, 200)
            self.assertTrue(sse.response.header("Content-Type").startswith("text/event-stream"))
            first = sse.next_event(timeout=5)
            waited = time.monotonic() - started
            self.assertLess(waited, 2.0, f"the first event took {waited:.2f} s (it is the latest reading)")
            reading = self.check_reading(first.data)
            self.assertIsNotNone(first.id, "events carry ids (for Last-Event-ID)")
            # The next readings follow, one a second (the board's interval).
            second = sse.next_event(timeout=5)
            later = self.check_reading(second.data)
            self.assertGreater(int(second.id), int(first.id))
            self.assertGreaterEqual(later["ts"], reading["ts"])

    def test_websocket_receives_readings(self):
        url = f"ws://127.0.0.1:{self.port}/ws"

        async def scenario() -> list[str]:
            async with websockets.connect(url, open_timeout=10, close_timeout=5, ping_interval=None) as ws:
                return [await asyncio.wait_for(ws.recv(), 5) for _ in range(3)]

        messages = asyncio.run(asyncio.wait_for(scenario(), 30))
        readings = [self.check_reading(m) for m in messages]
        self.assertGreaterEqual(len(readings), 2)
        stamps = [r["ts"] for r in readings]
        self.assertEqual(stamps, sorted(stamps))
        self.assertGreater(stamps[-1], stamps[0], "new readings arrive, not the same one again")


if __name__ == "__main__":
    unittest.main()
