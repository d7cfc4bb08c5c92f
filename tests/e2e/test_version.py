"""The server's version: `--version`, /api/device's "version", /metrics' sensor_server_info and the
dashboard's device panel all say the VERSION of the top-level CMakeLists.txt's project()."""

from __future__ import annotations

import os
import re
import unittest

from client import get, get_json, parse_prometheus
from server import ServerTestCase, run_binary
from test_device import panel_text


def project_version() -> str:
    """The VERSION of project(asyncio VERSION x.y.z) in the repository's CMakeLists.txt."""
    top = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "CMakeLists.txt")
    with open(top, encoding="utf-8") as cmake:
        match = re.search(r"^project\(asyncio VERSION ([0-9.]+)", cmake.read(), re.MULTILINE)
    if not match:
        raise AssertionError("no project(asyncio VERSION ...) in the top-level CMakeLists.txt")
    return match.group(1)


class VersionFlag(unittest.TestCase):
    def test_version_prints_the_projects_version_and_exits_0(self):
        done = run_binary("--version")
        self.assertEqual(done.returncode, 0)
        self.assertEqual(done.stdout, f"sensor-server {project_version()}\n")
        self.assertEqual(done.stderr, "")

    def test_version_starts_nothing(self):
        done = run_binary("--port", "0", "--version")
        self.assertEqual(done.returncode, 0)
        self.assertNotIn("serving", done.stdout)

    def test_help_explains_version(self):
        self.assertIn("--version", run_binary("--help").stdout)


class VersionServed(ServerTestCase, unittest.TestCase):
    FLAGS = ("--sensor", "fixed:21.5")

    def test_api_device_has_the_version(self):
        device = get_json(self.srv.port, "/api/device")
        self.assertEqual(device["version"], project_version())

    def test_metrics_have_an_info_gauge_with_the_version(self):
        text = get(self.srv.port, "/metrics").text
        samples = parse_prometheus(text)
        self.assertEqual(samples.get(f'sensor_server_info{{version="{project_version()}"}}'), 1.0, text)
        self.assertEqual([key for key in samples if key.startswith("sensor_server_info")],
                         [f'sensor_server_info{{version="{project_version()}"}}'], "one sample")
        lines = text.splitlines()
        help_at = lines.index(next(line for line in lines if line.startswith("# HELP sensor_server_info ")))
        self.assertEqual(lines[help_at + 1], "# TYPE sensor_server_info gauge")
        self.assertTrue(lines[help_at + 2].startswith("sensor_server_info{"))

    def test_the_device_panel_shows_the_version(self):
        page = get(self.srv.port, "/").text
        self.assertEqual(panel_text(page, "version"), project_version())
        self.assertIn("Server version", page)


if __name__ == "__main__":
    unittest.main()
