"""The JSON API, /healthz, /metrics and /debug/tasks, as a client program sees them."""

from __future__ import annotations

import json
import time
import unittest

from client import curl, get, get_json, metrics, parse_prometheus, wait_until
from server import ServerTestCase, running_server


def now_ms() -> int:
    return int(time.time() * 1000)


class FixedSensorApi(ServerTestCase, unittest.TestCase):
    FLAGS = ("--sensor", "fixed:21.5", "--interval", "0.1", "--history", "5")

    def test_sensor_reports_the_fixed_temperature_and_a_current_timestamp(self):
        resp = get(self.srv.port, "/api/sensor")
        self.assertEqual(resp.status, 200)
        self.assertTrue(resp.header("Content-Type").startswith("application/json"), resp.header("Content-Type"))
        reading = resp.json()
        self.assertIsInstance(reading, dict)
        self.assertEqual(reading["temperature_c"], 21.5)
        self.assertIsInstance(reading["temperature_c"], float)
        self.assertIsInstance(reading["ts"], int, "ts is Unix milliseconds, an integer")
        self.assertLess(abs(reading["ts"] - now_ms()), 5000, f"ts {reading['ts']} is not within 5 s of now")
        for key, value in reading.items():
            self.assertTrue(key == "ts" or (isinstance(value, (int, float)) and "_" in key),
                            f"{key}={value!r}: every quantity is a number whose name carries its unit")

    def test_sensor_with_curl(self):
        done = curl("--fail", f"{self.srv.base_url}/api/sensor")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertEqual(json.loads(done.stdout)["temperature_c"], 21.5)

    def test_history_is_bounded_oldest_first_and_moves_on(self):
        # --history 5 and a reading every 0.1 s: after a second the ring buffer is full.
        history = wait_until(lambda: (h := get_json(self.srv.port, "/api/history")) and len(h) >= 5 and h,
                             timeout=5, message="five readings in /api/history")
        time.sleep(0.5)
        history = get_json(self.srv.port, "/api/history")
        self.assertEqual(len(history), 5, "--history 5 keeps exactly five readings")
        stamps = [r["ts"] for r in history]
        self.assertEqual(stamps, sorted(stamps), "oldest first")
        self.assertEqual(len(set(stamps)), 5, "five distinct readings")
        self.assertTrue(all(r["temperature_c"] == 21.5 for r in history))
        self.assertLess(now_ms() - stamps[-1], 2000, "the newest reading is recent")
        time.sleep(0.5)
        later = get_json(self.srv.port, "/api/history")
        self.assertEqual(len(later), 5)
        self.assertGreater(later[0]["ts"], stamps[0], "old readings leave the history")

    def test_healthz(self):
        resp = get(self.srv.port, "/healthz")
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.body.strip(), b"ok")

    def test_metrics_are_prometheus_text_and_count_requests(self):
        resp = get(self.srv.port, "/metrics")
        self.assertEqual(resp.status, 200)
        self.assertTrue(resp.header("Content-Type").startswith("text/plain"), resp.header("Content-Type"))
        first = parse_prometheus(resp.text)
        self.assertEqual(first["sensor_temperature_c"], 21.5)
        self.assertIn("http_requests_total", first)
        for _ in range(5):
            self.assertEqual(get(self.srv.port, "/healthz").status, 200)
        second = metrics(self.srv.port)
        self.assertGreaterEqual(second["http_requests_total"] - first["http_requests_total"], 5,
                                "five requests later the counter grew by at least five")

    def test_every_metric_family_has_help_and_type_before_its_samples(self):
        text = get(self.srv.port, "/metrics").text
        samples = parse_prometheus(text)  # strict: HELP and TYPE lines must be well formed too
        helps, types, seen = {}, {}, []
        for line in text.splitlines():
            if line.startswith("# HELP "):
                name, _, help_text = line[len("# HELP "):].partition(" ")
                self.assertNotIn(name, helps, f"one HELP line per family: {name}")
                self.assertTrue(help_text.strip(), f"{name}: empty HELP")
                helps[name] = help_text
            elif line.startswith("# TYPE "):
                name = line.split()[2]
                self.assertNotIn(name, types, f"one TYPE line per family: {name}")
                self.assertIn(name, helps, f"{name}: HELP comes before TYPE")
                types[name] = line.split()[3]
            elif line and not line.startswith("#"):
                family = line.split("{")[0].split(" ")[0]
                self.assertIn(family, helps, f"{family}: a sample without HELP before it")
                self.assertIn(family, types, f"{family}: a sample without TYPE before it")
                seen.append(family)
        self.assertEqual(set(helps), set(seen), "no HELP without samples")
        # The names dashboards, the soak script and other tests read: never renamed.
        for name in ("sensor_temperature_c", "sensor_reading_timestamp_seconds", "sensor_read_errors_total",
                     "sensor_live_subscribers", 'http_responses_total{code="2xx"}', "http_requests_total",
                     "http_connections_active", "http_connections_accepted_total", "http_connections_rejected_total",
                     "http_idle_connections_closed_for_room_total", "http_connections_shed_total",
                     "http_accept_backoffs_total", "http_timeouts_total", "http_bad_requests_total",
                     "http_received_bytes_total", "asyncio_tasks", "asyncio_loop_steps_total",
                     "asyncio_loop_stalls_total", "asyncio_loop_longest_step_seconds", "asyncio_coroutine_frames",
                     "asyncio_coroutine_frame_bytes", "process_resident_memory_bytes"):
            self.assertIn(name, samples)

    def test_debug_tasks_lists_the_sampler(self):
        doc = get_json(self.srv.port, "/debug/tasks")
        tasks = doc["tasks"] if isinstance(doc, dict) else doc
        self.assertIsInstance(tasks, list)
        names = [t.get("name") for t in tasks]
        self.assertIn("sampler", names)
        sampler = next(t for t in tasks if t.get("name") == "sampler")
        self.assertIn("state", sampler)


class SimulatedSensorApi(ServerTestCase, unittest.TestCase):
    FLAGS = ("--sensor", "sim", "--interval", "0.1", "--history", "50")

    def test_values_are_plausible(self):
        for _ in range(5):
            reading = get_json(self.srv.port, "/api/sensor")
            self.assertTrue(-10 <= reading["temperature_c"] <= 45, reading)
            self.assertTrue(0 <= reading["humidity_pct"] <= 100, reading)
            self.assertTrue(900 <= reading["pressure_hpa"] <= 1100, reading)
            self.assertLess(abs(reading["ts"] - now_ms()), 5000)
            time.sleep(0.1)

    def test_history_grows_at_the_interval(self):
        first = get_json(self.srv.port, "/api/history")
        time.sleep(1.0)
        second = get_json(self.srv.port, "/api/history")
        # About ten readings a second; allow a slow machine half of that.
        self.assertGreaterEqual(len(second) - len(first), 5, f"{len(first)} -> {len(second)}")
        stamps = [r["ts"] for r in second]
        self.assertEqual(stamps, sorted(stamps))
        gaps = [b - a for a, b in zip(stamps, stamps[1:])]
        self.assertTrue(all(50 <= g <= 1000 for g in gaps), f"readings about 100 ms apart, got gaps {gaps}")
        self.assertEqual({"ts", "temperature_c", "humidity_pct", "pressure_hpa"} - set(second[-1]), set())

    def test_sensor_changes(self):
        values = set()
        for _ in range(10):
            r = get_json(self.srv.port, "/api/sensor")
            values.add((r["temperature_c"], r["humidity_pct"], r["pressure_hpa"]))
            time.sleep(0.15)
        self.assertGreater(len(values), 1, "the simulated sensor's readings vary")

    def test_metrics_include_every_quantity(self):
        m = metrics(self.srv.port)
        for name in ("sensor_temperature_c", "sensor_humidity_pct", "sensor_pressure_hpa"):
            self.assertIn(name, m)
        self.assertTrue(900 <= m["sensor_pressure_hpa"] <= 1100)


class HistoryLimit(unittest.TestCase):
    def test_history_one(self):
        with running_server("--sensor", "fixed:3", "--interval", "0.05", "--history", "1") as srv:
            time.sleep(0.3)
            history = get_json(srv.port, "/api/history")
            self.assertEqual(len(history), 1)
            self.assertEqual(history[0]["temperature_c"], 3)


if __name__ == "__main__":
    unittest.main()
