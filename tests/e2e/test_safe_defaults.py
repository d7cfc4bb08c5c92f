"""Safe defaults the other files do not cover: --host is honoured (the loopback-only default is in
test_cli.py), Cache-Control suited to every route, nothing served or listed beyond the compiled-in
assets, and no error body (nor page) built from what the client sent."""

from __future__ import annotations

import socket
import unittest

from client import HOST, RawConnection, get
from server import ServerTestCase, running_server

# Every route and the caching it needs: live data must never be stored; the compiled-in assets may
# be kept but revalidated (their ETag changes with the build).
CACHE_CONTROL = {
    "/": "no-store",
    "/api/sensor": "no-store",
    "/api/history": "no-store",
    "/api/device": "no-store",
    "/metrics": "no-store",
    "/healthz": "no-store",
    "/debug/tasks": "no-store",
    "/static/app.js": "no-cache",
    "/static/style.css": "no-cache",
    "/static/favicon.svg": "no-cache",
    "/favicon.ico": "no-cache",
}

# Paths next to, around or outside the compiled-in assets: none is a file, none lists anything.
NOT_SERVED = ["/static", "/static/", "/static/.", "/static/..", "/static/app.js/", "/static/APP.JS",
              "/static/app.js.gz", "/static/%61pp.js", "//static/app.js", "/./static/app.js", "/index.html",
              "/app.js", "/.env", "/.git/config", "/etc/passwd", "/proc/self/environ", "/api/", "/api/sensor/", "/api/device/",
              "/static/../../../../proc/self/cmdline", "/%2e%2e/%2e%2e/etc/passwd"]

SCRIPT = "<script>alert(1)</script>"
# Input that ends in an error response, with the script in each place a parser might quote.
HOSTILE = [
    f"GET /{SCRIPT} HTTP/1.1\r\nHost: x\r\n\r\n",
    f"DELETE /api/{SCRIPT} HTTP/1.1\r\nHost: x\r\n\r\n",
    f"{SCRIPT} / HTTP/1.1\r\nHost: x\r\n\r\n",
    f"GET / HTTP/{SCRIPT}\r\nHost: x\r\n\r\n",
    f"GET / HTTP/1.1\r\nHost: x\r\n{SCRIPT}: v\r\n\r\n",
    f"POST /api/sensor HTTP/1.1\r\nHost: x\r\nContent-Length: {SCRIPT}\r\n\r\n",
    f"POST /api/sensor HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: {SCRIPT}\r\n\r\n",
    f"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: {SCRIPT}\r\nConnection: upgrade\r\n"
    f"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    f"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: upgrade\r\n"
    f"Sec-WebSocket-Key: {SCRIPT}\r\nSec-WebSocket-Version: 13\r\n\r\n",
    f"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: upgrade\r\n"
    f"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: {SCRIPT}\r\n\r\n",
]


def listening_addresses(port: int) -> set[str]:
    """The local IPv4 addresses with a socket listening on `port` (from /proc/net/tcp)."""
    found = set()
    with open("/proc/net/tcp") as table:
        for line in table.readlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, _, hex_port = local.partition(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return found


class HostFlag(unittest.TestCase):
    def test_host_flag_binds_the_address_given_and_no_other(self):
        with running_server("--host", "127.0.0.2", "--sensor", "fixed:1") as srv:
            self.assertEqual(srv.host, "127.0.0.2")
            self.assertEqual(listening_addresses(srv.port), {"127.0.0.2"})
            with self.assertRaises(ConnectionRefusedError, msg="not on 127.0.0.1 when --host says otherwise"):
                socket.create_connection((HOST, srv.port), timeout=3).close()


class SafeDefaults(ServerTestCase, unittest.TestCase):
    FLAGS = ("--sensor", "fixed:21.5", "--interval", "0.2")

    def test_cache_control_suits_each_route(self):
        for target, expected in CACHE_CONTROL.items():
            with self.subTest(target=target):
                resp = get(self.srv.port, target)
                self.assertEqual(resp.status, 200)
                self.assertEqual(resp.header("Cache-Control"), expected)
                if expected == "no-cache":
                    self.assertTrue(resp.header("ETag"), "revalidated assets carry a validator")
        with RawConnection(self.srv.port) as c:
            c.request("GET", "/events")
            head = c.read_response(head_request=True)
            self.assertEqual(head.header("Cache-Control"), "no-store", "the event stream is never stored")

    def test_nothing_outside_the_compiled_in_assets_is_served_or_listed(self):
        for target in NOT_SERVED:
            with self.subTest(target=target), RawConnection(self.srv.port) as c:
                c.send(f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                resp = c.read_response()
                self.assertIn(resp.status, (400, 404))
                self.assertTrue((resp.header("Content-Type") or "").startswith("text/plain"))
                self.assertLess(len(resp.body), 100, f"a short error, not a file or a listing: {resp.body[:200]!r}")
                self.assertEqual(resp.header("X-Content-Type-Options"), "nosniff")

    def test_error_bodies_never_echo_the_input(self):
        for data in HOSTILE:
            with self.subTest(request=data.split("\r\n")[0][:40]), RawConnection(self.srv.port) as c:
                c.send(data.encode())
                resp = c.read_response()
                self.assertGreaterEqual(resp.status, 400)
                self.assertTrue((resp.header("Content-Type") or "").startswith("text/plain"))
                for part in (resp.raw_head, resp.body):
                    self.assertNotIn(b"<script", part.lower())
                    self.assertNotIn(b"alert(1)", part)

    def test_the_dashboard_does_not_render_request_headers(self):
        with RawConnection(self.srv.port) as c:
            c.request("GET", "/?q=" + SCRIPT.replace("<", "%3C").replace(">", "%3E"),
                      {"User-Agent": SCRIPT, "Referer": SCRIPT, "Accept-Language": SCRIPT})
            resp = c.read_response()
        self.assertEqual(resp.status, 200)
        self.assertNotIn(b"alert(1)", resp.body)
        self.assertNotIn(b"alert(1)", resp.raw_head)
        # A script is no valid Host (RFC 9112 3.2): refused, and not echoed either.
        with RawConnection(self.srv.port) as c:
            c.request("GET", "/", {"Host": SCRIPT})
            resp = c.read_response()
        self.assertEqual(resp.status, 400)
        self.assertNotIn(b"alert(1)", resp.body)
        self.assertNotIn(b"alert(1)", resp.raw_head)


if __name__ == "__main__":
    unittest.main()
