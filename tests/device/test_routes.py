"""Every route answers on the board as it does on Linux: status, Content-Type, gzip, the JSON of
/api/sensor, /api/history and /api/device (with the DHCP lease of QEMU's user network on the
board), /metrics in Prometheus text format, /healthz, 404 and 405 with Allow."""

from __future__ import annotations

import gzip
import json
import re
import time
import unittest

from client import RawConnection, get, parse_prometheus
from target import EXPECTED_NETWORK, DeviceTestCase

STATIC = {
    "/static/app.js": ("javascript", b"EventSource"),
    "/static/style.css": ("text/css", b"{"),
    "/static/favicon.svg": ("image/svg+xml", b"<svg"),
}
QUANTITIES = ("temperature_c", "humidity_pct", "pressure_hpa")
DOTTED = re.compile(r"^(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}$")


class Routes(DeviceTestCase):
    def test_healthz_is_ok(self):
        resp = get(self.port, "/healthz")
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.body.strip(), b"ok")
        self.assertIn("text/plain", resp.header("Content-Type"))

    def test_dashboard_page(self):
        resp = get(self.port, "/")
        self.assertEqual(resp.status, 200)
        self.assertIn("text/html", resp.header("Content-Type"))
        self.assertIsNone(resp.header("Content-Encoding"), "identity unless gzip is accepted")
        page = resp.body.decode("utf-8")
        self.assertIn("<html", page.lower())
        self.assertIn("Sensor dashboard", page)
        self.assertNotIn("{{temperature_c}}", page, "the server renders the values into the page")
        self.assertTrue(resp.header("Content-Security-Policy"), "the dashboard has a CSP")
        self.assertEqual(int(resp.header("Content-Length")), len(resp.body))

    def test_dashboard_when_gzip_is_accepted(self):
        resp = get(self.port, "/", {"Accept-Encoding": "gzip, deflate"})
        self.assertEqual(resp.status, 200)
        self.assertIn("text/html", resp.header("Content-Type"))
        self.assertEqual(int(resp.header("Content-Length")), len(resp.body))
        # The Linux build renders the page per request and sends it as is; a gzipped page must
        # be a valid gzip stream of the same page.
        if resp.header("Content-Encoding") is not None:
            self.assertEqual(resp.header("Content-Encoding"), "gzip")
            self.assertIn("Accept-Encoding", resp.header("Vary") or "")
            self.assertIn(b"Sensor dashboard", gzip.decompress(resp.body))
        else:
            self.assertIn(b"Sensor dashboard", resp.body)

    def test_static_assets_plain_and_gzipped(self):
        for path, (kind, marker) in STATIC.items():
            with self.subTest(path=path):
                plain = get(self.port, path)
                self.assertEqual(plain.status, 200)
                self.assertIn(kind, plain.header("Content-Type"))
                self.assertIsNone(plain.header("Content-Encoding"))
                self.assertIn(marker, plain.body)
                packed = get(self.port, path, {"Accept-Encoding": "gzip"})
                self.assertEqual(packed.status, 200)
                self.assertEqual(packed.header("Content-Encoding"), "gzip")
                self.assertIn("Accept-Encoding", packed.header("Vary") or "")
                self.assertEqual(packed.header("Content-Type"), plain.header("Content-Type"))
                self.assertEqual(gzip.decompress(packed.body), plain.body)

    def test_api_sensor(self):
        resp = get(self.port, "/api/sensor")
        self.assertEqual(resp.status, 200)
        self.assertIn("application/json", resp.header("Content-Type"))
        self.assertIn("no-store", resp.header("Cache-Control") or "")
        reading = resp.json()
        self.assertIsInstance(reading, dict)
        self.assertIsInstance(reading.get("ts"), int)
        self.assertGreater(reading["ts"], 0)
        for name in QUANTITIES:
            self.assertIsInstance(reading.get(name), (int, float), name)
        for name, value in reading.items():
            self.assertIsInstance(value, (int, float), f"{name}: the reading is flat and numeric")
        self.assertTrue(-40 <= reading["temperature_c"] <= 85, reading)
        if not self.target.is_board:  # the board has no real-time clock to compare with
            self.assertLess(abs(reading["ts"] - time.time() * 1000), 5000)

    def test_api_history(self):
        resp = get(self.port, "/api/history")
        self.assertEqual(resp.status, 200)
        self.assertIn("application/json", resp.header("Content-Type"))
        body = resp.json()
        readings = body if isinstance(body, list) else next(v for v in body.values() if isinstance(v, list))
        self.assertGreaterEqual(len(readings), 1)
        self.assertLessEqual(len(readings), 120, "the history is bounded (the board keeps at most 120)")
        stamps = [r["ts"] for r in readings]
        self.assertEqual(stamps, sorted(stamps), "oldest first")
        for reading in readings:
            self.assertIsInstance(reading.get("temperature_c"), (int, float))

    def test_api_device(self):
        resp = get(self.port, "/api/device")
        self.assertEqual(resp.status, 200)
        self.assertIn("application/json", resp.header("Content-Type"))
        device = resp.json()
        for name in ("hostname", "ip", "netmask", "gateway", "dns", "sensor", "interval_s", "uptime_s", "platform",
                     "free_heap_bytes"):
            self.assertIn(name, device)
        self.assertTrue(device["hostname"])
        self.assertEqual(device["sensor"], "sim")
        self.assertEqual(device["interval_s"], 1)
        self.assertIsInstance(device["uptime_s"], (int, float))
        self.assertGreaterEqual(device["uptime_s"], 0)
        if self.target.is_board:
            self.assertEqual({k: device[k] for k in EXPECTED_NETWORK}, EXPECTED_NETWORK)
            self.assertIn("mps2-an385", device["platform"])
            self.assertIsInstance(device["free_heap_bytes"], int)
            self.assertGreater(device["free_heap_bytes"], 0)
        else:
            for name in ("ip", "netmask", "gateway", "dns"):
                self.assertTrue(device[name] == "unknown" or DOTTED.match(device[name]), f"{name}: {device[name]!r}")
            self.assertTrue(device["platform"])
            self.assertTrue(device["free_heap_bytes"] is None or isinstance(device["free_heap_bytes"], int))
        later = get(self.port, "/api/device").json()
        self.assertGreaterEqual(later["uptime_s"], device["uptime_s"], "uptime does not go backwards")

    def test_metrics_parse(self):
        resp = get(self.port, "/metrics")
        self.assertEqual(resp.status, 200)
        self.assertIn("text/plain", resp.header("Content-Type"))
        samples = parse_prometheus(resp.text)
        self.assertIn("sensor_temperature_c", samples)
        self.assertIn("sensor_read_errors_total", samples)

    def test_unknown_paths_are_404(self):
        for path in ("/nope", "/api/sensors", "/static/missing.js", "/api/sensor/x"):
            with self.subTest(path=path):
                self.assertEqual(get(self.port, path).status, 404)

    def test_post_to_api_sensor_is_405_with_allow(self):
        resp = get(self.port, "/api/sensor", method="POST", body=b"{}")
        self.assertEqual(resp.status, 405)
        allow = [m.strip() for m in (resp.header("Allow") or "").split(",")]
        self.assertIn("GET", allow)
        self.assertNotIn("POST", allow)
        # On one connection: the 405 leaves it usable.
        with RawConnection(self.port, timeout=5) as c:
            c.request("DELETE", "/api/sensor")
            self.assertEqual(c.read_response().status, 405)
            c.request("GET", "/healthz")
            self.assertEqual(c.read_response().status, 200)

    def test_every_response_has_type_and_length(self):
        for path in ("/", "/api/sensor", "/api/history", "/api/device", "/metrics", "/healthz", *STATIC, "/nope"):
            with self.subTest(path=path):
                resp = get(self.port, path)
                self.assertTrue(resp.header("Content-Type"))
                self.assertEqual(int(resp.header("Content-Length")), len(resp.body))
                self.assertEqual(resp.header("X-Content-Type-Options"), "nosniff")


if __name__ == "__main__":
    unittest.main()
