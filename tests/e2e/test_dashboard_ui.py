"""The dashboard's details in headless Chromium: the chart keeps what --history keeps, labels on
narrow screens and at 200 % text size, the time axis on a phone, the status badge's contrast in
light mode, numbers and times in the browser's locale with fixed decimals, and stale values
dimmed as soon as the connection drops, the light/dark switch, and the app manifest. Uses the Chromium and DevTools helpers of
test_dashboard_browser.py (one browser per class, a fresh server per test)."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import unittest

import websockets

from client import get
from server import SensorServer, running_server
from test_dashboard_browser import CHROMIUM, TEXT, Chromium, DevTools

# Every word of these elements must sit on one line.
WORDS_ON_ONE_LINE = """(() => {
  const broken = [];
  for (const el of document.querySelectorAll('.label, .seg label, .device dt, .unit, h2, .status')) {
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node; (node = walker.nextNode());) {
      for (const m of node.data.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
        if (tops.size > 1) broken.push(m[0]);
      }
    }
  }
  return broken;
})()"""

# The badge's text and background colours, composited on the header, as [r, g, b] for each state.
BADGE_COLOURS = """(() => {
  const pill = document.getElementById('status-pill');
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 1;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  const under = getComputedStyle(document.querySelector('.top')).backgroundColor;
  const pixel = (colour) => {
    ctx.globalCompositeOperation = 'copy';
    ctx.fillStyle = under; ctx.fillRect(0, 0, 1, 1);
    ctx.globalCompositeOperation = 'source-over';
    ctx.fillStyle = colour; ctx.fillRect(0, 0, 1, 1);
    return [...ctx.getImageData(0, 0, 1, 1).data].slice(0, 3);
  };
  const was = pill.dataset.state;
  const found = {};
  for (const state of ['snapshot', 'connecting', 'live', 'reconnecting', 'offline']) {
    pill.dataset.state = state;
    const style = getComputedStyle(pill);
    found[state] = { text: pixel(style.color), back: pixel(style.backgroundColor) };
  }
  pill.dataset.state = was;
  return found;
})()"""


def contrast(a, b) -> float:
    def luminance(rgb):
        def channel(c):
            c /= 255
            return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
        r, g, b = (channel(c) for c in rgb)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b
    la, lb = luminance(a), luminance(b)
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


async def reload(cdp) -> None:
    """Reloads the page and waits until it is loaded and live again."""
    cdp.events.clear()
    await cdp.send("Page.reload")
    await cdp.wait_for_event("Page.loadEventFired", timeout=15)
    await cdp.poll(TEXT.format("status"), lambda v: v == "live", timeout=10)


@unittest.skipUnless(CHROMIUM, "chromium is not installed (apt-get install chromium)")
class DashboardDetails(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.browser = Chromium()

    @classmethod
    def tearDownClass(cls):
        cls.browser.stop()

    def page(self, srv, scenario, *, width=1200, height=900, mobile=False, locale="en-US", scheme=None,
             font_size=None, clean=True):
        """Opens the dashboard of `srv` with these settings, waits until it is live, then runs
        `scenario(cdp)`; returns what it returns. The page's console must stay clean."""
        async def run():
            async with websockets.connect(self.browser.page_websocket_url(), max_size=None, open_timeout=10,
                                          ping_interval=None) as ws:
                cdp = DevTools(ws)
                try:
                    for domain in ("Page", "Runtime", "Log"):
                        await cdp.send(f"{domain}.enable")
                    await cdp.send("Page.navigate", url="about:blank")
                    await cdp.send("Emulation.setLocaleOverride")  # clears an earlier override
                    await cdp.send("Emulation.setLocaleOverride", locale=locale)
                    await cdp.send("Emulation.setEmulatedMedia", features=[
                        {"name": "prefers-color-scheme", "value": scheme or ""}])
                    await cdp.send("Page.setFontSizes", fontSizes={"standard": font_size or 16, "fixed": 13})
                    await cdp.send("Emulation.setDeviceMetricsOverride", width=width, height=height,
                                   deviceScaleFactor=2 if mobile else 1, mobile=mobile)
                    cdp.events.clear()
                    await cdp.send("Page.navigate", url=f"{srv.base_url}/")
                    await cdp.wait_for_event("Page.loadEventFired", timeout=15)
                    await cdp.poll(TEXT.format("status"), lambda v: v == "live", timeout=10)
                    result = await scenario(cdp)
                    if clean:
                        self.assertEqual(cdp.problems(), [], "no console errors, CSP violations or failed loads")
                    return result
                finally:
                    await cdp.close()
        return asyncio.run(asyncio.wait_for(run(), 60))

    def test_the_chart_keeps_no_more_readings_than_history(self):
        async def scenario(cdp):
            # Ten readings a second: 2 s later the browser has seen far more than five.
            await asyncio.sleep(2.0)
            return await cdp.poll("document.getElementById('stats').textContent",
                                  lambda v: re.search(r"(\d+) readings? over", v or ""), timeout=5)
        with running_server("--sensor", "sim", "--interval", "0.1", "--history", "5") as srv:
            stats = self.page(srv, scenario)
        self.assertEqual(int(re.search(r"(\d+) readings? over", stats)[1]), 5, stats)

    def test_labels_keep_their_words_whole_at_320_px_and_200_percent_text(self):
        async def scenario(cdp):
            await asyncio.sleep(0.3)
            broken = await cdp.evaluate(WORDS_ON_ONE_LINE)
            pressure_lines = await cdp.evaluate(
                "(() => { const r = document.createRange();"
                " r.selectNodeContents(document.querySelector('#l-pressure_hpa span'));"
                " return new Set([...r.getClientRects()].map((x) => Math.round(x.top))).size; })()")
            root_font = await cdp.evaluate("getComputedStyle(document.body).fontSize")
            return broken, pressure_lines, root_font
        with running_server("--sensor", "sim", "--interval", "0.5") as srv:
            broken, _, _ = self.page(srv, scenario, width=320, height=800, mobile=True)
            self.assertEqual(broken, [], "no word broken across lines at 320 px")
            broken, pressure_lines, font = self.page(srv, scenario, width=320, height=800, mobile=True, font_size=32)
            self.assertEqual(font, "32px", "the page follows the browser's text size")
            self.assertEqual(pressure_lines, 1, "'Pressure' on one line at 200 % text size")
            self.assertEqual(broken, [], "no word broken across lines at 200 % text size")

    def test_five_minutes_of_data_get_several_time_labels_on_a_phone(self):
        async def scenario(cdp):
            return await cdp.poll("document.getElementById('chart').dataset.timeLabels",
                                  lambda v: v is not None, timeout=5)
        # One reading every 30 s: the chart's axis spans ten intervals, five minutes.
        with running_server("--sensor", "sim", "--interval", "30") as srv:
            for width in (320, 390):
                with self.subTest(width=width):
                    labels = self.page(srv, scenario, width=width, height=800, mobile=True)
                    self.assertGreaterEqual(int(labels), 2)
                    labels = self.page(srv, scenario, width=width, height=800, mobile=True, locale="en-GB")
                    self.assertGreaterEqual(int(labels), 2)

    def test_status_badge_text_contrast_in_light_mode(self):
        async def scenario(cdp):
            return await cdp.evaluate(BADGE_COLOURS)
        with running_server("--sensor", "fixed:20") as srv:
            for scheme in ("light", "dark"):
                colours = self.page(srv, scenario, scheme=scheme)
                for state, pair in colours.items():
                    with self.subTest(scheme=scheme, state=state):
                        ratio = contrast(pair["text"], pair["back"])
                        self.assertGreaterEqual(ratio, 4.5, f"{state}: {pair} is {ratio:.2f}:1")

    def test_numbers_have_fixed_decimals_and_the_locale_of_the_browser(self):
        values = "['temperature_c', 'humidity_pct', 'pressure_hpa', 'ts', 'stats'].map((id) => document.getElementById(id).textContent.trim())"

        def scenario_for(samples):
            async def scenario(cdp):
                await cdp.poll("document.getElementById('stats').textContent", bool, timeout=5)
                for _ in range(8):
                    samples.append(await cdp.evaluate(values))
                    await asyncio.sleep(0.25)
            return scenario

        with running_server("--sensor", "sim", "--interval", "0.2") as srv:
            german, american = [], []
            self.page(srv, scenario_for(german), locale="de-DE")
            self.page(srv, scenario_for(american), locale="en-US")
        for temperature, humidity, pressure, ts, stats in german:
            self.assertRegex(temperature, r"^-?\d{1,3},\d\d$", "two decimals, a decimal comma")
            self.assertRegex(humidity, r"^\d{1,3},\d$")
            self.assertRegex(pressure, r"^\d{3,4},\d$")
            self.assertRegex(ts, r"^\d\d:\d\d:\d\d$", "a 24-hour time")
            self.assertNotRegex(stats, r"\d\.\d", "no decimal point in German")
        for temperature, humidity, pressure, ts, _ in american:
            self.assertRegex(temperature, r"^-?\d{1,3}\.\d\d$")
            self.assertRegex(humidity, r"^\d{1,3}\.\d$")
            self.assertRegex(pressure, r"^\d{3,4}\.\d$")
            self.assertRegex(ts, r"(AM|PM)$")

    def test_values_are_dimmed_as_soon_as_the_connection_drops(self):
        srv = SensorServer("--sensor", "sim", "--interval", "0.2").start()
        try:
            async def scenario(cdp):
                fresh = await cdp.evaluate("document.getElementById('cards').classList.contains('stale')")
                os.kill(srv.proc.pid, signal.SIGTERM)
                # Read the status and the mark together: the first time the page knows it is
                # no longer live, the values must already be marked as stale.
                state = await cdp.poll(
                    "[document.getElementById('status').textContent,"
                    " document.getElementById('cards').classList.contains('stale'),"
                    " getComputedStyle(document.querySelector('#cards .num')).opacity]",
                    lambda v: v[0] != "live", timeout=10, interval=0.02)
                return fresh, state
            fresh, (status, stale, opacity) = self.page(srv, scenario, clean=False)  # the server is gone
            self.assertFalse(fresh, "live values are not dimmed")
            self.assertTrue(stale, f"status {status!r} and the values not marked stale")
            self.assertLess(float(opacity), 1.0, "stale values are dimmed")
            self.assertEqual(srv.proc.wait(timeout=5), 0)
        finally:
            srv.kill()

    def test_the_chart_shows_several_quantities_over_a_chosen_range(self):
        async def scenario(cdp):
            stats = "document.querySelectorAll('#stats .stat').length"
            rows = await cdp.poll(stats, lambda v: v == 3, timeout=5)
            multi = await cdp.evaluate("document.querySelector('.chart-box').classList.contains('multi')")
            range_5min = await cdp.evaluate("document.getElementById('range-300').checked")
            await cdp.evaluate("document.getElementById('range-3600').click()")
            await cdp.evaluate("document.getElementById('pick-humidity_pct').click()")
            one_less = await cdp.poll(stats, lambda v: v == 2, timeout=5)
            kept = await cdp.evaluate("[localStorage.getItem('sensor.range'), localStorage.getItem('sensor.chart')]")
            await reload(cdp)
            after = await cdp.poll(
                "[document.getElementById('range-3600').checked, document.getElementById('pick-humidity_pct').checked,"
                " document.querySelectorAll('#stats .stat').length]", lambda v: v[2] > 0, timeout=5)
            await cdp.evaluate("localStorage.clear()")
            return rows, multi, range_5min, one_less, kept, after
        with running_server("--sensor", "sim", "--interval", "0.2") as srv:
            rows, multi, range_5min, one_less, kept, after = self.page(srv, scenario)
        self.assertEqual(rows, 3, "all three quantities charted at first")
        self.assertTrue(multi)
        self.assertTrue(range_5min, "five minutes by default")
        self.assertEqual(one_less, 2)
        self.assertEqual(kept, ["3600", "temperature_c,pressure_hpa"])
        self.assertEqual(after, [True, False, 2], "the choices are remembered across a reload")

    def test_the_temperature_unit_is_chosen_and_remembered(self):
        shown = ("[document.getElementById('temperature_c').textContent,"
                 " document.querySelector('[data-q=temperature_c] .unit').textContent]")

        async def scenario(cdp):
            before = await cdp.evaluate(shown)
            await cdp.evaluate("document.getElementById('temp-unit').click()")
            after = await cdp.evaluate(shown)
            await reload(cdp)
            reloaded = await cdp.poll(shown, lambda v: v[1] == "°F", timeout=5)
            stats = await cdp.poll("document.getElementById('stats').textContent", bool, timeout=5)
            await cdp.evaluate("localStorage.clear()")
            return before, after, reloaded, stats
        with running_server("--sensor", "fixed:20") as srv:
            before, after, reloaded, stats = self.page(srv, scenario)
        self.assertEqual(before, ["20.00", "°C"])
        self.assertEqual(after, ["68.00", "°F"])
        self.assertEqual(reloaded, ["68.00", "°F"], "remembered across a reload")
        self.assertIn("68.00 °F", stats)

    def test_the_colour_scheme_is_chosen_and_remembered(self):
        state = ("[getComputedStyle(document.body).backgroundColor,"
                 " document.getElementById('theme').textContent]")

        async def scenario(cdp):
            seen = [await cdp.evaluate(state)]
            for _ in range(2):  # auto -> light -> dark
                await cdp.evaluate("document.getElementById('theme').click()")
                seen.append(await cdp.evaluate(state))
            await reload(cdp)
            seen.append(await cdp.poll(state, lambda v: "Dark" in v[1], timeout=5))
            await cdp.evaluate("document.getElementById('theme').click()")  # dark -> auto
            seen.append(await cdp.evaluate(state))
            await cdp.evaluate("localStorage.clear()")
            return seen
        light, dark = "rgb(243, 245, 248)", "rgb(13, 17, 23)"
        with running_server("--sensor", "fixed:20") as srv:
            seen = self.page(srv, scenario, scheme="light")
        self.assertEqual(seen[0], [light, "◐ Auto"], "the system's scheme at first")
        self.assertEqual(seen[1], [light, "☀ Light"])
        self.assertEqual(seen[2], [dark, "☾ Dark"], "dark on a light system when chosen")
        self.assertEqual(seen[3], [dark, "☾ Dark"], "remembered across a reload")
        self.assertEqual(seen[4], [light, "◐ Auto"], "back to the system's")


class InstallableApp(unittest.TestCase):
    def test_the_page_links_a_manifest_whose_icon_is_served(self):
        with running_server("--sensor", "fixed:20") as srv:
            page = get(srv.port, "/").text
            link = re.search(r'<link rel="manifest" href="([^"]+)">', page)
            self.assertIsNotNone(link, "the page links its manifest")
            manifest = get(srv.port, link.group(1))
            self.assertEqual(manifest.status, 200)
            self.assertEqual(manifest.header("Content-Type"), "application/manifest+json")
            doc = manifest.json()
            self.assertEqual((doc["start_url"], doc["display"]), ("/", "standalone"))
            self.assertTrue(doc["name"])
            for icon in doc["icons"]:
                with self.subTest(icon=icon["src"]):
                    served = get(srv.port, icon["src"])
                    self.assertEqual(served.status, 200)
                    self.assertEqual(served.header("Content-Type"), icon["type"])


class WithoutJavaScript(unittest.TestCase):
    def test_a_freshly_served_page_shows_no_offline_badge(self):
        with running_server("--sensor", "fixed:20") as srv:
            page = get(srv.port, "/").text
        pill = re.search(r'<p class="status" id="status-pill" data-state="([a-z]+)">.*?<span id="status"[^>]*>([^<]*)<',
                         page, re.S)
        self.assertIsNotNone(pill)
        self.assertNotIn(pill[1], ("offline", "live"), "the served page is neither offline nor live")
        self.assertNotIn(pill[2].strip(), ("offline", "live"))


if __name__ == "__main__":
    unittest.main()
