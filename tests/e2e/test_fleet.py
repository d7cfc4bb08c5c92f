"""sensor-server --fleet: a dashboard of every device publishing to a broker. Each test starts its
own mosquitto on a free port of 127.0.0.1 (skipped when it is not installed), sensor-servers
publishing with --mqtt, and one viewing them with --fleet."""

from __future__ import annotations

import asyncio
import json
import signal
import time
import unittest

import websockets

from client import ConnectionClosed, RawConnection, SSEClient, get, get_json, metrics, wait_until
from server import SensorServer, running_server
from test_dashboard_browser import CHROMIUM, Chromium, DevTools
from test_mqtt import HAVE_MOSQUITTO, SKIP_REASON, Mosquitto

# What the fleet page shows of each device card: {prefix: [status text, quantity rows, last seen]}.
CARDS = """Object.fromEntries([...document.querySelectorAll('[data-device]')].map((card) => [
  card.dataset.device,
  [card.querySelector('.device-status').textContent, card.querySelectorAll('.quantities dd').length,
   card.querySelector('.seen').textContent]]))"""


def fleet_events(port: int) -> SSEClient:
    """An SSEClient reading /fleet/events instead of /events."""
    sse = SSEClient.__new__(SSEClient)
    sse.conn = RawConnection(port, timeout=10)
    sse.conn.request("GET", "/fleet/events", {"Accept": "text/event-stream"})
    sse.response = sse.conn.read_response(head_request=True)
    sse.comments = []
    sse.retry = None
    return sse


@unittest.skipUnless(HAVE_MOSQUITTO, SKIP_REASON)
class Fleet(unittest.TestCase):
    def setUp(self) -> None:
        self.broker = Mosquitto().start()
        self.addCleanup(self.broker.close)

    def publisher(self, name: str) -> SensorServer:
        srv = SensorServer("--interval", "0.3", "--mqtt", self.broker.url, "--mqtt-topic", f"sensors/{name}").start()
        self.addCleanup(srv.kill)
        return srv

    def test_api_fleet_lists_publishers_and_marks_a_killed_one_offline(self):
        one = self.publisher("one")
        self.publisher("two")
        with running_server("--fleet", self.broker.url) as viewer:
            fleet = wait_until(lambda: (lambda f: f if {"sensors/one", "sensors/two"} <= set(f) and all(
                f[d]["status"] == "online" and f[d]["reading"] for d in ("sensors/one", "sensors/two")) else None)(
                get_json(viewer.port, "/api/fleet")), 20, interval=0.2, message="both devices online with readings")
            for name in ("sensors/one", "sensors/two"):
                device = fleet[name]
                self.assertEqual(set(device), {"status", "reading", "last_seen_ms"})
                self.assertIsInstance(device["reading"], dict)
                self.assertIn("ts", device["reading"])
                self.assertIn("temperature_c", device["reading"])
                self.assertIsInstance(device["last_seen_ms"], int)
                self.assertLess(abs(device["last_seen_ms"] - time.time() * 1000), 10000)
            response = get(viewer.port, "/api/fleet")
            self.assertTrue(response.header("Content-Type").startswith("application/json"))

            one.proc.send_signal(signal.SIGKILL)
            one.proc.wait(timeout=5)
            wait_until(lambda: get_json(viewer.port, "/api/fleet")["sensors/one"]["status"] == "offline", 20,
                       interval=0.2, message="the killed device offline (its will)")
            self.assertEqual(get_json(viewer.port, "/api/fleet")["sensors/two"]["status"], "online")
            m = metrics(viewer.port)
            self.assertEqual(m['mqtt_connected{client="fleet"}'], 1)
            self.assertGreater(m['mqtt_messages_received_total{client="fleet"}'], 2)

    def test_the_page_loads_and_its_stream_delivers_updates(self):
        self.publisher("live")
        with running_server("--fleet", self.broker.url, "--mqtt", self.broker.url, "--mqtt-topic",
                            "sensors/viewer", "--interval", "0.5") as viewer:
            page = get(viewer.port, "/fleet")
            self.assertEqual(page.status, 200)
            self.assertIn("/fleet/static/fleet.js", page.text)
            self.assertIn("script-src 'self'", page.header("Content-Security-Policy"))
            for asset in ("/fleet/static/fleet.js", "/fleet/static/fleet.css"):
                self.assertEqual(get(viewer.port, asset).status, 200, asset)
            self.assertEqual(get(viewer.port, "/fleet/static/nothing.js").status, 404)
            self.assertIn('href="/fleet"', get(viewer.port, "/").text, "the dashboard links to the fleet")

            with fleet_events(viewer.port) as sse:
                self.assertEqual(sse.response.status, 200)
                self.assertTrue(sse.response.header("Content-Type").startswith("text/event-stream"))
                seen: dict[str, list[int]] = {}
                deadline = time.monotonic() + 20
                while time.monotonic() < deadline and not all(
                        len(seen.get(d, [])) >= 3 for d in ("sensors/live", "sensors/viewer")):
                    event = sse.next_event(timeout=10)
                    self.assertEqual(event.event, "device")
                    device = json.loads(event.data)
                    self.assertEqual(set(device), {"device", "status", "reading", "last_seen_ms"})
                    if device["reading"]:
                        seen.setdefault(device["device"], []).append(device["reading"]["ts"])
                for name in ("sensors/live", "sensors/viewer"):
                    self.assertGreaterEqual(len(seen.get(name, [])), 3, f"live updates of {name}: {seen}")
                    self.assertEqual(seen[name], sorted(seen[name]))

    def test_without_fleet_there_is_no_fleet_page(self):
        with running_server() as srv:
            self.assertEqual(get(srv.port, "/fleet").status, 404)
            self.assertEqual(get(srv.port, "/api/fleet").status, 404)
            self.assertIn('id="fleet-link" hidden', get(srv.port, "/").text, "no link to a page that is not there")


@unittest.skipUnless(HAVE_MOSQUITTO and CHROMIUM, "needs mosquitto and chromium")
class FleetInChromium(unittest.TestCase):
    """The fleet page in headless Chromium: a card per device with its values, live, and a device
    that dies shown offline (its last will), without a reload."""

    def setUp(self) -> None:
        self.broker = Mosquitto().start()
        self.addCleanup(self.broker.close)

    def test_the_fleet_page_shows_each_device_live_and_a_killed_one_offline(self):
        one = SensorServer("--interval", "0.3", "--mqtt", self.broker.url, "--mqtt-topic", "sensors/one").start()
        self.addCleanup(one.kill)
        two = SensorServer("--interval", "0.3", "--mqtt", self.broker.url, "--mqtt-topic", "sensors/two").start()
        self.addCleanup(two.kill)
        with running_server("--fleet", self.broker.url) as viewer:
            browser = Chromium()
            try:
                seen = asyncio.run(asyncio.wait_for(self.drive(browser, viewer, one), 90))
            finally:
                browser.stop()
        online, changed, offline, counts, problems = seen
        self.assertEqual(set(online), {"sensors/one", "sensors/two"})
        for device, (status, quantities, _) in online.items():
            self.assertEqual(status, "online", device)
            self.assertGreaterEqual(quantities, 3, f"{device}: its values (temperature, humidity, pressure)")
        self.assertNotEqual(changed, online["sensors/two"][2], "the card updates live")
        self.assertEqual(offline["sensors/one"][0], "offline", "the killed device, by its will")
        self.assertEqual(offline["sensors/two"][0], "online")
        self.assertEqual(counts, ["2", "1"], "2 seen, 1 online")
        self.assertEqual(problems, [], "no console errors, CSP violations or failed loads")

    async def drive(self, browser: Chromium, viewer, one: SensorServer):
        async with websockets.connect(browser.page_websocket_url(), max_size=None, open_timeout=10,
                                      ping_interval=None) as ws:
            cdp = DevTools(ws)
            try:
                await cdp.open_desktop_page(f"{viewer.base_url}/fleet", timeout=15)
                online = await cdp.poll(CARDS, lambda c: len(c) == 2 and all(
                    v[0] == "online" and v[1] > 0 for v in c.values()), timeout=20, interval=0.2)
                changed = await cdp.poll(CARDS, lambda c: c["sensors/two"][2] != online["sensors/two"][2],
                                         timeout=10, interval=0.2)
                one.proc.send_signal(signal.SIGKILL)
                one.proc.wait(timeout=5)
                offline = await cdp.poll(CARDS, lambda c: c["sensors/one"][0] == "offline", timeout=20, interval=0.2)
                counts = await cdp.evaluate("[document.getElementById('count').textContent,"
                                            " document.getElementById('online').textContent]")
                return online, changed["sensors/two"][2], offline, counts, cdp.problems()
            finally:
                await cdp.close()


if __name__ == "__main__":
    unittest.main()
