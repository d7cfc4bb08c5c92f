"""The dashboard in a real browser: headless Chromium driven over the Chrome DevTools Protocol.

Chromium is started with a fresh profile and --remote-debugging-port=0; its DevTools port is
read from DevToolsActivePort, and the page is driven with the `websockets` package. The
browser and its child processes are killed by PID at the end, and the profile removed.
Saves a screenshot to docs/dashboard.png (the README shows it).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import http.client
import itertools
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import websockets

from client import get_json
from server import add_cleanup, remove_cleanup, running_server

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCREENSHOT = os.path.join(REPO, "docs", "dashboard.png")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-default-apps", "--mute-audio",
                  "--no-default-browser-check", "--disable-extensions", "--remote-debugging-port=0"]


def _children(pid: int) -> list[int]:
    """Descendants of `pid` (read from /proc), deepest last."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            parents.setdefault(int(fields[1]), []).append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


class Chromium:
    """A headless Chromium we started, and nothing else: it is stopped by its PIDs."""

    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="e2e-chromium-")
        self.proc = subprocess.Popen([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        add_cleanup(id(self), self.stop)
        self.port = self._devtools_port(timeout=30)

    def _devtools_port(self, timeout: float) -> int:
        path = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"chromium exited with {self.proc.returncode}: "
                                     f"{self.proc.stderr.read().decode(errors='replace')[-2000:]}")
            with contextlib.suppress(OSError, ValueError, IndexError):
                with open(path) as active:
                    return int(active.read().split("\n")[0])
            time.sleep(0.1)
        raise AssertionError(f"no DevToolsActivePort within {timeout} s")

    def page_websocket_url(self) -> str:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            try:
                conn.request("GET", "/json/list")
                targets = json.loads(conn.getresponse().read())
            finally:
                conn.close()
            pages = [t for t in targets if t.get("type") == "page" and "webSocketDebuggerUrl" in t]
            if pages:
                return pages[0]["webSocketDebuggerUrl"]
            time.sleep(0.1)
        raise AssertionError("chromium has no page target")

    def stop(self) -> None:
        remove_cleanup(id(self))
        pids = _children(self.proc.pid)
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        for pid in reversed(pids):  # children that outlived their parent
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(Exception):
            self.proc.stderr.close()
        shutil.rmtree(self.profile, ignore_errors=True)


class DevTools:
    """A minimal CDP client: commands with ids, events collected as they arrive."""

    def __init__(self, ws):
        self.ws = ws
        self.ids = itertools.count(1)
        self.pending: dict[int, asyncio.Future] = {}
        self.events: list[dict] = []
        self.reader = asyncio.create_task(self._read())

    async def _read(self):
        async for raw in self.ws:
            message = json.loads(raw)
            if "id" in message and message["id"] in self.pending:
                self.pending.pop(message["id"]).set_result(message)
            elif "method" in message:
                self.events.append(message)

    async def send(self, method: str, timeout: float = 15, **params):
        msg_id = next(self.ids)
        future = asyncio.get_running_loop().create_future()
        self.pending[msg_id] = future
        await self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        reply = await asyncio.wait_for(future, timeout)
        if "error" in reply:
            raise AssertionError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    async def evaluate(self, expression: str):
        result = await self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def open_desktop_page(self, url: str, timeout: float) -> None:
        """Enables the domains the tests read (Page, Runtime, Log), sets a 1200x900 desktop
        viewport and loads `url`, returning once its load event fired."""
        for domain in ("Page", "Runtime", "Log"):
            await self.send(f"{domain}.enable")
        await self.send("Emulation.setDeviceMetricsOverride", width=1200, height=900, deviceScaleFactor=1,
                        mobile=False)
        await self.send("Page.navigate", url=url)
        await self.wait_for_event("Page.loadEventFired", timeout=timeout)

    async def wait_for_event(self, method: str, timeout: float):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(e["method"] == method for e in self.events):
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"no {method} within {timeout} s")

    async def poll(self, expression: str, predicate, timeout: float, interval: float = 0.1):
        deadline = time.monotonic() + timeout
        value = None
        while time.monotonic() < deadline:
            value = await self.evaluate(expression)
            if predicate(value):
                return value
            await asyncio.sleep(interval)
        raise AssertionError(f"{expression} never satisfied the condition within {timeout} s (last {value!r})")

    def problems(self) -> list[str]:
        """Console errors and warnings, uncaught exceptions, CSP violations, failed loads."""
        found = []
        for event in self.events:
            params = event.get("params", {})
            if event["method"] == "Runtime.consoleAPICalled" and params.get("type") in ("error", "warning", "assert"):
                found.append(f"console.{params['type']}: " +
                             " ".join(str(a.get("value", a.get("description"))) for a in params.get("args", [])))
            elif event["method"] == "Runtime.exceptionThrown":
                found.append(f"exception: {params.get('exceptionDetails', {}).get('text')} "
                             f"{params.get('exceptionDetails', {}).get('exception', {}).get('description')}")
            elif event["method"] == "Log.entryAdded" and params.get("entry", {}).get("level") in ("error", "warning"):
                entry = params["entry"]
                found.append(f"log {entry.get('source')}/{entry.get('level')}: {entry.get('text')} {entry.get('url', '')}")
        return found

    async def close(self):
        self.reader.cancel()
        with contextlib.suppress(BaseException):
            await self.reader


TEXT = "document.getElementById({!r}).textContent.trim()"


@unittest.skipUnless(CHROMIUM, "chromium is not installed (apt-get install chromium)")
class DashboardInChromium(unittest.TestCase):
    def test_dashboard_updates_live_in_a_browser(self):
        with running_server("--sensor", "sim", "--interval", "0.2") as srv:
            browser = Chromium()
            try:
                report = asyncio.run(asyncio.wait_for(self.drive(browser, srv), 90))
            finally:
                browser.stop()
            self.assertFalse(os.path.exists(browser.profile), "the temporary profile is removed")
        first, changed = report["first"], report["changed"]
        self.assertNotEqual(first, changed, "the temperature shown changes live")
        self.assertEqual(report["problems"], [], "no console errors, CSP violations or failed loads")

    async def drive(self, browser: Chromium, srv) -> dict:
        url = f"{srv.base_url}/"
        async with websockets.connect(browser.page_websocket_url(), max_size=None, open_timeout=10,
                                      ping_interval=None) as ws:
            cdp = DevTools(ws)
            try:
                await cdp.open_desktop_page(url, timeout=15)

                # The server rendered the values into the page; the script then goes live.
                title = await cdp.evaluate("document.title")
                self.assertIn("Sensor dashboard", title)
                status = await cdp.poll(TEXT.format("status"), lambda v: v == "live", timeout=10)
                self.assertEqual(status, "live")
                pill = await cdp.evaluate("document.getElementById('status-pill').dataset.state")
                self.assertEqual(pill, "live")

                first = await cdp.poll(TEXT.format("temperature_c"), lambda v: _number(v) is not None, timeout=5)
                changed = await cdp.poll(TEXT.format("temperature_c"), lambda v: v != first, timeout=10,
                                         interval=0.1)
                self.assertIsNotNone(_number(changed))
                # What the page shows is a reading the server really made (to the 0.01 shown).
                recent = {round(r["temperature_c"], 2) for r in get_json(srv.port, "/api/history")}
                self.assertIn(round(_number(changed), 2), recent)
                for element in ("humidity_pct", "pressure_hpa"):
                    value = _number(await cdp.evaluate(TEXT.format(element)))
                    self.assertIsNotNone(value, element)
                ts_first = await cdp.evaluate(TEXT.format("ts"))
                await cdp.poll(TEXT.format("ts"), lambda v: v != ts_first, timeout=5)

                # The device panel shows what /api/device says, and its uptime counts on.
                device = get_json(srv.port, "/api/device")
                for element in ("hostname", "ip", "netmask", "gateway", "dns", "sensor", "platform", "version"):
                    shown = await cdp.evaluate(TEXT.format(element))
                    self.assertEqual(shown, device[element], element)
                self.assertEqual(float(await cdp.evaluate(TEXT.format("interval_s"))), device["interval_s"])
                self.assertTrue(await cdp.evaluate("document.getElementById('free_heap-row').hidden"),
                                "no free-heap row where the platform does not know it")
                uptime = await cdp.evaluate(TEXT.format("uptime"))
                self.assertRegex(uptime, r"^\d+ (s|min \d+ s|h \d+ min|d \d+ h)$")
                await cdp.poll(TEXT.format("uptime"), lambda v: v != uptime, timeout=3)

                # The chart is shown and drawn (some non-transparent pixels on the canvas).
                self.assertFalse(await cdp.evaluate("document.getElementById('history').hidden"))
                await asyncio.sleep(2.0)  # a few seconds of history for the screenshot
                painted = await cdp.evaluate(
                    "(() => { const c = document.getElementById('chart');"
                    " if (!c.width || !c.height) return 0;"
                    " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
                    " let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; })()")
                self.assertGreater(painted, 1000, "the chart canvas has been drawn on")
                layout = await cdp.evaluate(
                    "(() => { const r = document.getElementById('chart').getBoundingClientRect();"
                    " return [r.width, r.height, document.documentElement.scrollWidth, innerWidth]; })()")
                self.assertGreater(layout[0], 300)
                self.assertGreater(layout[1], 100)
                self.assertLessEqual(layout[2], layout[3], "no horizontal scrolling at 1200 px")

                shot = await cdp.send("Page.captureScreenshot", format="png")
                png = base64.b64decode(shot["data"])
                self.assertEqual(png[:8], b"\x89PNG\r\n\x1a\n")
                self.assertEqual(_png_size(png), (1200, 900))
                os.makedirs(os.path.dirname(SCREENSHOT), exist_ok=True)
                with open(SCREENSHOT, "wb") as out:
                    out.write(png)

                # On a phone-sized screen the page still fits without sideways scrolling.
                await cdp.send("Emulation.setDeviceMetricsOverride", width=390, height=844, deviceScaleFactor=2,
                               mobile=True)
                await asyncio.sleep(0.5)
                widths = await cdp.evaluate("[document.documentElement.scrollWidth, innerWidth]")
                self.assertLessEqual(widths[0], widths[1], "the dashboard fits a 390 px wide phone")
                value = await cdp.evaluate(TEXT.format("temperature_c"))
                self.assertIsNotNone(_number(value))

                return {"first": first, "changed": changed, "problems": cdp.problems()}
            finally:
                await cdp.close()


def _number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _png_size(png: bytes) -> tuple[int, int]:
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


if __name__ == "__main__":
    unittest.main()
