"""The dashboard in headless Chromium, driven over the DevTools protocol as
tests/e2e/test_dashboard_browser.py does (its Chromium and DevTools helpers are reused): the page
goes live, the temperature shown changes, the chart is drawn, the device panel shows the board's
address, no console errors. Skipped only when Chromium is not installed."""

from __future__ import annotations

import asyncio
import os
import unittest

import websockets

from client import get_json
from target import EXPECTED_NETWORK, DeviceTestCase
from test_dashboard_browser import CHROMIUM, TEXT, Chromium, DevTools  # tests/e2e (on sys.path)


def number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


@unittest.skipUnless(CHROMIUM, "chromium is not installed (apt-get install chromium)")
class DashboardInChromium(DeviceTestCase):
    def test_dashboard_shows_live_values(self):
        browser = Chromium()  # a fresh --user-data-dir, headless, no sandbox, no GPU, no background net
        try:
            report = asyncio.run(asyncio.wait_for(self.drive(browser), 120))
        finally:
            browser.stop()
        self.assertFalse(os.path.exists(browser.profile), "the temporary profile is removed")
        self.assertNotEqual(report["first"], report["changed"], "the temperature shown changes live")
        self.assertEqual(report["problems"], [], "no console errors, CSP violations or failed loads")

    async def drive(self, browser: Chromium) -> dict:
        async with websockets.connect(browser.page_websocket_url(), max_size=None, open_timeout=10,
                                      ping_interval=None) as ws:
            cdp = DevTools(ws)
            try:
                await cdp.open_desktop_page(f"{self.base_url}/", timeout=30)  # the board is slower
                self.assertIn("Sensor dashboard", await cdp.evaluate("document.title"))
                await cdp.poll(TEXT.format("status"), lambda v: v == "live", timeout=20)

                first = await cdp.poll(TEXT.format("temperature_c"), lambda v: number(v) is not None, timeout=10)
                # The board reads its sensor once a second: a new value within a few readings.
                changed = await cdp.poll(TEXT.format("temperature_c"), lambda v: v != first, timeout=20)
                self.assertIsNotNone(number(changed))
                recent = {round(r["temperature_c"], 2) for r in get_json(self.port, "/api/history")}
                self.assertIn(round(number(changed), 2), recent, "the page shows a reading the board made")
                for element in ("humidity_pct", "pressure_hpa"):
                    self.assertIsNotNone(number(await cdp.evaluate(TEXT.format(element))), element)

                # The device panel: the lecture's IP / netmask / gateway / DNS recap.
                shown = {name: await cdp.evaluate(TEXT.format(name)) for name in EXPECTED_NETWORK}
                if self.target.is_board:
                    self.assertEqual(shown, EXPECTED_NETWORK)
                    self.assertIn("mps2-an385", await cdp.evaluate(TEXT.format("platform")))
                else:
                    self.assertTrue(all(shown.values()), shown)

                # The chart is shown and drawn.
                await cdp.poll("document.getElementById('history').hidden", lambda v: v is False, timeout=10)
                await asyncio.sleep(2.0)
                painted = await cdp.evaluate(
                    "(() => { const c = document.getElementById('chart');"
                    " if (!c.width || !c.height) return 0;"
                    " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
                    " let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; })()")
                self.assertGreater(painted, 1000, "the chart canvas has been drawn on")
                return {"first": first, "changed": changed, "problems": cdp.problems()}
            finally:
                await cdp.close()


if __name__ == "__main__":
    unittest.main()
