"""GET /api/device: the device facts (the lecture's IP / netmask / gateway / DNS recap, platform,
uptime, free heap), and the same facts on the dashboard's device panel as the server renders it."""

from __future__ import annotations

import html
import ipaddress
import re
import socket
import time
import unittest

from client import get, get_json
from server import ServerTestCase, running_server

FIELDS = {"hostname", "ip", "netmask", "gateway", "dns", "sensor", "interval_s", "uptime_s", "platform",
          "version", "free_heap_bytes"}
DOTTED = ("ip", "netmask", "gateway", "dns")


def is_dotted_quad(text: str) -> bool:
    if not re.fullmatch(r"\d{1,3}(\.\d{1,3}){3}", text):
        return False
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True


def panel_text(page: str, element_id: str) -> str:
    """The text of the element with this id on the server-rendered page."""
    match = re.search(rf'id="{re.escape(element_id)}"[^>]*>([^<]*)<', page)
    if not match:
        raise AssertionError(f"no element #{element_id} on the page")
    return html.unescape(match.group(1)).strip()


class DeviceApi(ServerTestCase, unittest.TestCase):
    FLAGS = ("--sensor", "fixed:21.5", "--interval", "0.5")

    def test_every_fact_is_there_with_its_type(self):
        device = get_json(self.srv.port, "/api/device")
        self.assertIsInstance(device, dict)
        self.assertEqual(FIELDS - set(device), set(), f"missing fields in {device}")
        for key in ("hostname", "ip", "netmask", "gateway", "dns", "sensor", "platform", "version"):
            self.assertIsInstance(device[key], str, key)
            self.assertTrue(device[key], f"{key} is never empty (a fact not found is 'unknown')")
        for key in DOTTED:
            self.assertTrue(device[key] == "unknown" or is_dotted_quad(device[key]),
                            f"{key}={device[key]!r}: dotted-quad text or 'unknown'")
        self.assertIsInstance(device["interval_s"], (int, float))
        self.assertIsInstance(device["uptime_s"], (int, float))
        self.assertNotIsInstance(device["uptime_s"], bool)
        # Linux knows no free heap; a board gives a whole number of bytes.
        free_heap = device["free_heap_bytes"]
        self.assertTrue(free_heap is None or (isinstance(free_heap, int) and free_heap >= 0), free_heap)

    def test_sensor_interval_and_platform_are_the_ones_running(self):
        device = get_json(self.srv.port, "/api/device")
        self.assertEqual(device["sensor"], "fixed:21.5", "the sensor as --sensor named it")
        self.assertEqual(device["interval_s"], 0.5, "--interval 0.5")
        self.assertTrue(device["platform"].startswith("linux"), device["platform"])
        self.assertIsNone(device["free_heap_bytes"], "Linux reports no free heap")

    def test_facts_are_this_hosts(self):
        device = get_json(self.srv.port, "/api/device")
        self.assertEqual(device["hostname"], socket.gethostname())
        if device["ip"] != "unknown":
            self.assertFalse(ipaddress.IPv4Address(device["ip"]).is_loopback, "the LAN address, not 127.0.0.1")
        if device["ip"] != "unknown" and device["netmask"] != "unknown":
            # A netmask is contiguous ones: 255.255.255.0 is one, 255.0.255.0 is not.
            ipaddress.IPv4Network(f"{device['ip']}/{device['netmask']}", strict=False)

    def test_uptime_grows_with_time(self):
        first = get_json(self.srv.port, "/api/device")["uptime_s"]
        started = time.monotonic()
        self.assertGreaterEqual(first, 0)
        self.assertLess(first, 30, "a fresh server has been up for seconds, not longer")
        time.sleep(1.2)
        second = get_json(self.srv.port, "/api/device")["uptime_s"]
        elapsed = time.monotonic() - started
        self.assertGreaterEqual(second - first, 1.0, f"{first} -> {second} after {elapsed:.2f} s")
        self.assertLessEqual(second - first, elapsed + 0.5, f"{first} -> {second} after {elapsed:.2f} s")

    def test_headers_are_those_of_the_other_api_routes(self):
        device = get(self.srv.port, "/api/device")
        sensor = get(self.srv.port, "/api/sensor")
        self.assertEqual(device.status, 200)
        self.assertTrue(device.header("Content-Type").startswith("application/json"), device.header("Content-Type"))
        for name in ("Content-Type", "Cache-Control", "Referrer-Policy", "X-Content-Type-Options"):
            self.assertEqual(device.header(name), sensor.header(name), name)
        self.assertEqual(device.header("Cache-Control"), "no-store", "the facts change: never stored")

    def test_only_get_and_head(self):
        resp = get(self.srv.port, "/api/device", method="POST", body=b"{}")
        self.assertEqual(resp.status, 405)
        self.assertIn("GET", resp.header("Allow") or "")
        head = get(self.srv.port, "/api/device", method="HEAD")
        self.assertEqual(head.status, 200)
        self.assertEqual(head.body, b"")

    def test_the_dashboard_panel_shows_the_same_facts(self):
        device = get_json(self.srv.port, "/api/device")
        page = get(self.srv.port, "/").text
        for key in ("hostname", "ip", "netmask", "gateway", "dns", "sensor", "platform", "version"):
            self.assertEqual(panel_text(page, key), device[key], key)
        self.assertEqual(float(panel_text(page, "interval_s")), device["interval_s"])
        self.assertRegex(panel_text(page, "uptime"), r"^\d+ (s|min \d+ s|h \d+ min|d \d+ h)$")
        self.assertRegex(page, r'id="free_heap-row"\s+hidden', "no free-heap row where it is not known")


class DeviceApiSimulated(unittest.TestCase):
    def test_sensor_and_interval_follow_the_flags(self):
        with running_server("--sensor", "sim", "--interval", "0.25") as srv:
            device = get_json(srv.port, "/api/device")
            self.assertEqual(device["sensor"], "sim")
            self.assertEqual(device["interval_s"], 0.25)


if __name__ == "__main__":
    unittest.main()
