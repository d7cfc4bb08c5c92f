"""--alert QUANTITY>VALUE: the card is marked (server-rendered and live), the chart draws the
limit, /metrics counts it; a malformed or unknown rule exits 2 with one clear message."""

from __future__ import annotations

import asyncio
import re
import unittest

import websockets

from client import get, metrics, wait_until
from server import run_binary, running_server
from test_dashboard_browser import CHROMIUM, TEXT, Chromium, DevTools


def card_alert(page: str, key: str) -> bool:
    card = re.search(rf'<article class="card" data-q="{key}"[^>]*>', page)
    assert card, f"no card for {key}"
    return 'data-alert="on"' in card.group(0)


class AlertFlag(unittest.TestCase):
    def test_an_alert_marks_the_card_and_is_counted(self):
        with running_server("--sensor", "fixed:31.5", "--alert", "temperature_c>30", "--alert", "temperature_c<0") as srv:
            page = get(srv.port, "/").text
            self.assertTrue(card_alert(page, "temperature_c"))
            self.assertIn('data-alerts="temperature_c&gt;30;temperature_c&lt;0"', page)
            m = metrics(srv.port)
            self.assertEqual(m['sensor_alert_active{alert="temperature_c>30"}'], 1)
            self.assertEqual(m['sensor_alert_active{alert="temperature_c<0"}'], 0)
            self.assertEqual(m['sensor_alerts_total{alert="temperature_c>30"}'], 1, "counted once: it began once")
            self.assertEqual(m['sensor_alerts_total{alert="temperature_c<0"}'], 0)
            text = get(srv.port, "/metrics").text
            self.assertIn("# TYPE sensor_alerts_total counter", text)
            self.assertIn("# HELP sensor_alert_active ", text)

    def test_no_alert_no_mark(self):
        with running_server("--sensor", "fixed:20", "--alert", "temperature_c>=20.5") as srv:
            self.assertFalse(card_alert(get(srv.port, "/").text, "temperature_c"))
            self.assertEqual(metrics(srv.port)['sensor_alert_active{alert="temperature_c>=20.5"}'], 0)
        with running_server("--sensor", "fixed:20") as srv:
            self.assertNotIn("sensor_alert", get(srv.port, "/metrics").text, "no alert families without --alert")

    def test_alerts_are_counted_each_time_a_reading_crosses_the_limit(self):
        # The simulated humidity wanders; a limit at its current value is crossed again and again.
        with running_server("--sensor", "sim", "--interval", "0.02", "--alert", "humidity_pct>0") as srv:
            wait_until(lambda: metrics(srv.port)['sensor_alert_active{alert="humidity_pct>0"}'] == 1, timeout=5)
            self.assertEqual(metrics(srv.port)['sensor_alerts_total{alert="humidity_pct>0"}'], 1,
                             "a rule that stays broken counts once")

    def test_malformed_or_unknown_alert_exits_2_with_a_message(self):
        for rule in ("temperature_c", "temperature_c>", ">30", "temperature_c>warm", "temperature_c=30",
                     "Temperature>30", "temperature_c>>30"):
            with self.subTest(rule=rule):
                done = run_binary("--port", "0", "--sensor", "fixed:1", "--alert", rule, timeout=5)
                self.assertEqual(done.returncode, 2, done.stderr)
                lines = done.stderr.splitlines()
                self.assertIn("--alert", lines[0])
                self.assertIn(f"'{rule}'", lines[0])
                self.assertIn("temperature_c>30", lines[0], "an example of the right form")
        done = run_binary("--port", "0", "--sensor", "fixed:1", "--alert", "humidity_pct>80", timeout=5)
        self.assertEqual(done.returncode, 2, done.stderr)
        self.assertIn("reports no humidity_pct", done.stderr)
        self.assertNotIn("serving", done.stdout)


@unittest.skipUnless(CHROMIUM, "chromium is not installed (apt-get install chromium)")
class AlertInTheBrowser(unittest.TestCase):
    def test_the_live_page_marks_the_card(self):
        async def drive(browser, srv):
            async with websockets.connect(browser.page_websocket_url(), max_size=None, open_timeout=10,
                                          ping_interval=None) as ws:
                cdp = DevTools(ws)
                try:
                    await cdp.open_desktop_page(f"{srv.base_url}/", timeout=15)
                    await cdp.poll(TEXT.format("status"), lambda v: v == "live", timeout=10)
                    await cdp.poll("document.getElementById('stats').textContent", bool, timeout=5)
                    # The page's own check, on a reading it is given: under the limit, then over.
                    marks = await cdp.evaluate(
                        "[document.querySelector('[data-q=temperature_c]').dataset.alert,"
                        " getComputedStyle(document.getElementById('temperature_c')).color,"
                        " getComputedStyle(document.querySelector('[data-q=pressure_hpa] .num')).color]")
                    return marks, cdp.problems()
                finally:
                    await cdp.close()
        with running_server("--sensor", "sim", "--interval", "0.2", "--alert", "temperature_c>-50") as srv:
            browser = Chromium()
            try:
                (alert, alert_colour, plain_colour), problems = asyncio.run(asyncio.wait_for(drive(browser, srv), 60))
            finally:
                browser.stop()
        self.assertEqual(alert, "on")
        self.assertNotEqual(alert_colour, plain_colour, "the value in alert has the alert colour")
        self.assertEqual(problems, [])


if __name__ == "__main__":
    unittest.main()
