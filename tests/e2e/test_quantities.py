"""What each quantity is: labels, units and fixed decimals on the server-rendered page (for every
sensor source, --sensor linux included), /api/quantities and the Link to it from the readings,
and what a host without thermal zones lacks, said on the page and in /api/device."""

from __future__ import annotations

import glob
import html
import re
import unittest

from client import get, get_json
from server import ServerTestCase, running_server

# Units the page may show; a label must never be the raw key (load_1m, mem_available_mib).
KEY = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)+$")


def cards(page: str) -> dict[str, dict]:
    """The server-rendered cards: key -> {label, unit, value, decimals}."""
    found = {}
    for match in re.finditer(r'<article class="card" data-q="([^"]+)"([^>]*)>(.*?)</article>', page, re.S):
        key, attributes, inner = match.groups()
        label = re.search(r'<h3 class="label"[^>]*>(.*?)</h3>', inner, re.S)
        value = re.search(rf'<span class="num" id="{re.escape(key)}">([^<]*)</span>', inner)
        unit = re.search(r'<span class="unit">([^<]*)</span>', inner)
        decimals = re.search(r'data-decimals="(\d+)"', attributes)
        found[key] = {
            "label": html.unescape(re.sub(r"<[^>]+>", "", label.group(1))).strip() if label else "",
            "value": html.unescape(value.group(1)) if value else None,
            "unit": html.unescape(unit.group(1)) if unit else "",
            "decimals": int(decimals.group(1)) if decimals else None,
        }
    return found


def has_thermal_zone() -> bool:
    return bool(glob.glob("/sys/class/thermal/thermal_zone*/temp") or glob.glob("/sys/class/hwmon/hwmon*/temp*_input"))


class LinuxSensorPage(ServerTestCase, unittest.TestCase):
    FLAGS = ("--sensor", "linux", "--interval", "0.2")

    def test_every_quantity_has_a_label_a_unit_and_its_real_value_without_javascript(self):
        page = get(self.srv.port, "/").text
        history = get_json(self.srv.port, "/api/history")
        shown = cards(page)
        reported = {k for r in history for k in r if k != "ts"}
        self.assertTrue(shown, "the page has cards")
        self.assertEqual(set(shown), reported, "one card per quantity the sensor reports")
        quantities = get_json(self.srv.port, "/api/quantities")
        for key, card in shown.items():
            with self.subTest(key=key):
                self.assertTrue(card["label"], key)
                self.assertIsNone(KEY.match(card["label"]), f"{key}: a label for people, not the raw key")
                self.assertEqual(card["label"], quantities[key]["label"])
                self.assertEqual(card["unit"], quantities[key]["unit"])
                self.assertIsNotNone(card["decimals"])
                # A value the sensor really read (the page was rendered just before the history).
                text = card["value"]
                self.assertNotEqual(text, "\u2014", f"{key}: the real value, not a dash")
                self.assertRegex(text, r"^-?\d+(\.\d+)?$")
                decimals = len(text.partition(".")[2])
                self.assertEqual(decimals, card["decimals"], f"{key}: {text!r} has fixed decimals")
                readings = {f"{r[key]:.{decimals}f}" for r in history if isinstance(r.get(key), (int, float))}
                self.assertIn(text, readings)
        self.assertEqual(quantities["load_1m"]["label"], "Load (1 min)")
        self.assertEqual(quantities["mem_available_mib"]["unit"], "MiB")

    def test_the_page_and_the_device_facts_say_what_the_host_lacks(self):
        page = get(self.srv.port, "/").text
        device = get_json(self.srv.port, "/api/device")
        note = re.search(r'<p class="note" id="sensor-note"\s*(hidden)?\s*>([^<]*)</p>', page)
        self.assertIsNotNone(note, "the page has a place for the sensor's note")
        if has_thermal_zone():
            self.assertEqual(note.group(1), "hidden")
            self.assertIsNone(device["sensor_note"])
        else:
            self.assertIsNone(note.group(1), "the note is shown")
            text = html.unescape(note.group(2))
            self.assertIn("no temperature sensor", text)
            self.assertIn("/sys/class/thermal", text)
            self.assertEqual(device["sensor_note"], text)
            self.assertNotIn("temperature_c", get_json(self.srv.port, "/api/sensor"))


class QuantitiesApi(ServerTestCase, unittest.TestCase):
    FLAGS = ("--sensor", "sim", "--interval", "0.2")

    def test_quantities_name_label_unit_decimals_and_metric_of_each_quantity(self):
        quantities = get_json(self.srv.port, "/api/quantities")
        reading = get_json(self.srv.port, "/api/sensor")
        self.assertEqual(set(quantities), set(reading) - {"ts"})
        self.assertEqual(quantities["temperature_c"],
                         {"label": "Temperature", "unit": "\u00b0C", "decimals": 2, "metric": "sensor_temperature_celsius"})
        self.assertEqual(quantities["humidity_pct"]["unit"], "%")
        self.assertEqual(quantities["pressure_hpa"]["unit"], "hPa")
        for q in quantities.values():
            self.assertIsInstance(q["decimals"], int)

    def test_readings_link_to_what_their_quantities_are(self):
        for path in ("/api/sensor", "/api/history"):
            with self.subTest(path=path):
                link = get(self.srv.port, path).header("Link") or ""
                self.assertRegex(link, r'^</api/quantities>;\s*rel="describedby"$')

    def test_server_rendered_values_have_the_fixed_decimals_of_their_quantity(self):
        shown = cards(get(self.srv.port, "/").text)
        self.assertEqual(list(shown), ["temperature_c", "humidity_pct", "pressure_hpa"])
        for key, decimals in (("temperature_c", 2), ("humidity_pct", 1), ("pressure_hpa", 1)):
            self.assertRegex(shown[key]["value"], rf"^-?\d+\.\d{{{decimals}}}$", key)


class FixedSensorCards(unittest.TestCase):
    def test_a_fixed_sensor_shows_one_card_with_its_value(self):
        with running_server("--sensor", "fixed:19.6") as srv:
            shown = cards(get(srv.port, "/").text)
            self.assertEqual(list(shown), ["temperature_c"], "no dashes for quantities it lacks")
            self.assertEqual(shown["temperature_c"]["value"], "19.60")
            self.assertEqual(shown["temperature_c"]["unit"], "\u00b0C")


if __name__ == "__main__":
    unittest.main()


class MetricNames(unittest.TestCase):
    """/metrics names readings in base units, the same names whatever the source."""

    def test_base_units_and_the_same_names_for_every_source(self):
        from client import metrics
        with running_server("--sensor", "sim", "--interval", "0.2") as srv:
            reading = get_json(srv.port, "/api/sensor")
            m = metrics(srv.port)
        self.assertIn("sensor_temperature_celsius", m)
        self.assertTrue(0 <= m["sensor_relative_humidity_ratio"] <= 1, m["sensor_relative_humidity_ratio"])
        self.assertTrue(90000 <= m["sensor_pressure_pascals"] <= 110000, m["sensor_pressure_pascals"])
        self.assertFalse([name for name in m if re.search(r"_(c|pct|hpa|mib)$", name) and
                          name not in ("sensor_temperature_c", "sensor_humidity_pct", "sensor_pressure_hpa",
                                       "sensor_mem_available_mib")],
                         "no unit abbreviations in the new names")
        self.assertAlmostEqual(m["sensor_pressure_hpa"] * 100, m["sensor_pressure_pascals"], delta=1e-6 * 1e5)
        # A JSON number: a simulated value that happens to be whole (23.0) is written as 23.
        self.assertIsInstance(reading["temperature_c"], (int, float))
        self.assertNotIsInstance(reading["temperature_c"], bool)
        with running_server("--sensor", "fixed:21.5") as srv:
            self.assertEqual(metrics(srv.port)["sensor_temperature_celsius"], 21.5)
        with running_server("--sensor", "linux") as srv:
            m = metrics(srv.port)
            self.assertIn("sensor_load1", m)
            self.assertGreater(m["sensor_memory_available_bytes"], 1024 * 1024)
            self.assertEqual(m["sensor_memory_available_bytes"] % (1024 * 1024), 0)
            if has_thermal_zone():
                self.assertIn("sensor_temperature_celsius", m)

    def test_each_reading_family_has_help_and_type(self):
        with running_server("--sensor", "sim") as srv:
            text = get(srv.port, "/metrics").text
        for name in ("sensor_temperature_celsius", "sensor_relative_humidity_ratio", "sensor_pressure_pascals"):
            self.assertRegex(text, rf"(?m)^# HELP {name} \S.*\n# TYPE {name} gauge\n{name} ")
        self.assertRegex(text, r"(?m)^# HELP sensor_temperature_c Deprecated")
