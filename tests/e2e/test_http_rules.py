"""HTTP/1.1 rules (RFC 9110/9112) as seen on the wire: keep-alive, pipelining, framing, limits,
time-outs, status codes, static assets, caching and the safe-default headers."""

from __future__ import annotations

import email.utils
import gzip
import http.client
import re
import select
import time
import unittest

from client import HOST, RawConnection, curl, get
from server import ServerTestCase

STATIC = {
    "/static/app.js": ("javascript", b"EventSource"),
    "/static/style.css": ("text/css", b"{"),
    "/static/favicon.svg": ("image/svg+xml", b"<svg"),
    "/favicon.ico": ("image/svg+xml", b"<svg"),  # what browsers ask for unprompted: the same SVG
}

ROUTES = ["/", "/api/sensor", "/api/history", "/metrics", "/healthz", "/debug/tasks", *STATIC]


class HttpRules(ServerTestCase, unittest.TestCase):
    FLAGS = ("--sensor", "fixed:21.5", "--interval", "0.2")

    def conn(self, **kw) -> RawConnection:
        c = RawConnection(self.srv.port, **kw)
        self.addCleanup(c.close)
        return c

    def assertClosesAfter(self, c: RawConnection, timeout: float = 3.0):
        self.assertTrue(c.closed_within(timeout), "the server should close the connection")
        self.assertEqual(c.buf, b"", f"nothing may follow: {c.buf[:200]!r}")

    # -- connection management ---------------------------------------------------------------
    def test_keep_alive_serves_several_requests_on_one_connection(self):
        c = self.conn()
        for target in ["/healthz", "/api/sensor", "/static/favicon.svg", "/healthz", "/api/history"]:
            c.request("GET", target)
            resp = c.read_response()
            self.assertEqual(resp.status, 200, target)
            self.assertNotEqual((resp.header("Connection") or "").lower(), "close", target)
        self.assertFalse(c.closed_within(0.2), "a keep-alive connection stays open")

    def test_http_client_reuses_its_connection(self):
        conn = http.client.HTTPConnection(HOST, self.srv.port, timeout=5)
        self.addCleanup(conn.close)
        sockets = set()
        for _ in range(3):
            conn.request("GET", "/healthz")
            resp = conn.getresponse()
            self.assertEqual(resp.read().strip(), b"ok")
            sockets.add(id(conn.sock))
            self.assertIsNotNone(conn.sock, "http.client closed: the response said Connection: close")
        self.assertEqual(len(sockets), 1)

    def test_curl_reuses_the_connection(self):
        done = curl("-v", "-o", "/dev/null", "-o", "/dev/null",
                    f"{self.srv.base_url}/healthz", f"{self.srv.base_url}/api/sensor")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn(b"Re-using existing connection", done.stderr)

    def test_pipelined_requests_are_answered_in_order(self):
        c = self.conn()
        c.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
               b"GET /api/sensor HTTP/1.1\r\nHost: x\r\n\r\n"
               b"GET /static/favicon.svg HTTP/1.1\r\nHost: x\r\n\r\n")
        first, second, third = (c.read_response() for _ in range(3))
        self.assertEqual((first.status, first.body.strip()), (200, b"ok"))
        self.assertEqual((second.status, second.json()["temperature_c"]), (200, 21.5))
        self.assertEqual(third.status, 200)
        self.assertIn(b"<svg", third.body)

    def test_http_1_0_closes_after_the_response(self):
        c = self.conn()
        c.send(b"GET /healthz HTTP/1.0\r\n\r\n")
        resp = c.read_response()
        self.assertEqual((resp.status, resp.body.strip()), (200, b"ok"))
        self.assertClosesAfter(c)

    def test_http_1_0_keep_alive_is_announced_and_kept(self):
        # An HTTP/1.0 client asking for keep-alive only reuses the connection if the response
        # says "Connection: keep-alive" (RFC 9112 9.3; ApacheBench -k, old proxies).
        c = self.conn()
        c.send(b"GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        resp = c.read_response()
        self.assertEqual(resp.status, 200)
        self.assertEqual((resp.header("Connection") or "").lower(), "keep-alive", resp.raw_head)
        c.send(b"GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        self.assertEqual(c.read_response().status, 200)

    def test_connection_close_is_honoured(self):
        c = self.conn()
        c.request("GET", "/healthz", {"Connection": "close"})
        resp = c.read_response()
        self.assertEqual(resp.status, 200)
        self.assertEqual((resp.header("Connection") or "").lower(), "close")
        self.assertClosesAfter(c)

    def test_connection_close_in_a_pipeline_ends_it_there(self):
        c = self.conn()
        c.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
               b"GET /api/sensor HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(c.read_response().status, 200)
        self.assertClosesAfter(c)

    # -- methods -----------------------------------------------------------------------------
    def test_head_has_length_but_no_body(self):
        body = get(self.srv.port, "/api/sensor").body
        c = self.conn()
        # The GET behind the HEAD proves no body bytes were sent for the HEAD.
        c.send(b"HEAD /api/sensor HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        head = c.read_response(head_request=True)
        self.assertEqual(head.status, 200)
        self.assertEqual(int(head.header("Content-Length")), len(body))
        self.assertTrue(head.header("Content-Type").startswith("application/json"))
        after = c.read_response()
        self.assertEqual((after.status, after.body.strip()), (200, b"ok"), "HEAD must not send a body")

    def test_curl_head(self):
        done = curl("-I", f"{self.srv.base_url}/")
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertRegex(done.stdout, rb"^HTTP/1.1 200")
        self.assertRegex(done.stdout, rb"(?im)^content-length: [1-9][0-9]*\r$")
        self.assertRegex(done.stdout, rb"(?im)^content-type: text/html")

    def test_unknown_path_is_404(self):
        for target in ["/nope", "/api/sensors", "/static/missing.js", "/api/sensor/x"]:
            resp = get(self.srv.port, target)
            self.assertEqual(resp.status, 404, target)

    def test_wrong_method_is_405_with_allow(self):
        c = self.conn()
        c.request("DELETE", "/api/sensor")
        resp = c.read_response()
        self.assertEqual(resp.status, 405)
        allow = [m.strip() for m in (resp.header("Allow") or "").split(",")]
        self.assertIn("GET", allow)
        self.assertIn("HEAD", allow)
        self.assertNotIn("DELETE", allow)
        c.request("GET", "/healthz")
        self.assertEqual(c.read_response().status, 200, "a 405 leaves the connection usable")
        for method in ("POST", "PUT", "PATCH"):
            resp = get(self.srv.port, "/healthz", method=method, body=b"x")
            self.assertEqual(resp.status, 405, method)
            self.assertIn("GET", resp.header("Allow") or "")

    def test_options_is_204_with_allow(self):
        c = self.conn()
        c.request("OPTIONS", "/api/sensor")
        resp = c.read_response()
        self.assertEqual(resp.status, 204)
        self.assertIn("GET", resp.header("Allow") or "")
        self.assertEqual(resp.body, b"")
        c.request("GET", "/healthz")
        self.assertEqual(c.read_response().status, 200, "no body after 204: the next response follows")

    # -- malformed requests -------------------------------------------------------------------
    def bad(self, data: bytes, status: int, close: bool = True):
        c = self.conn()
        c.send(data)
        resp = c.read_response()
        self.assertEqual(resp.status, status, f"{data[:80]!r}: {resp.raw_head!r} {resp.body[:200]!r}")
        if close:
            self.assertClosesAfter(c)
        return resp

    def test_garbage_is_400(self):
        self.bad(b"HELLO\r\n\r\n", 400)
        self.bad(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http\r\n\r\n", 400)  # a TLS hello
        self.bad(b"GET /healthz HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n", 400)
        self.bad(b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad\x00Name: v\r\n\r\n", 400)

    def test_missing_host_is_400(self):
        self.bad(b"GET /healthz HTTP/1.1\r\n\r\n", 400)

    def test_unknown_version_is_505(self):
        self.bad(b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505)
        self.bad(b"GET / HTTP/3.0\r\nHost: x\r\n\r\n", 505)

    def test_long_url_is_414(self):
        self.bad(b"GET /" + b"a" * 10240 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414)

    def test_long_url_is_refused_before_it_ends(self):
        # The limit applies as the bytes arrive: no need to wait for the end of the line.
        self.bad(b"GET /" + b"a" * 10240, 414)

    def test_large_headers_are_431(self):
        self.bad(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 10240 + b"\r\n\r\n", 431)
        many = b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 100) for i in range(100))
        self.bad(b"GET / HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n", 431)

    def test_huge_body_is_413(self):
        self.bad(b"POST /api/sensor HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n", 413)

    def test_content_length_with_transfer_encoding_is_400(self):
        self.bad(b"POST /api/sensor HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                 b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400)

    def test_two_different_content_lengths_are_400(self):
        self.bad(b"POST /api/sensor HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"
                 b"hello!", 400)
        self.bad(b"POST /api/sensor HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 6\r\n\r\nhello!", 400)

    def test_bad_content_length_is_400(self):
        self.bad(b"POST /api/sensor HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400)
        self.bad(b"POST /api/sensor HTTP/1.1\r\nHost: x\r\nContent-Length: 0x10\r\n\r\n", 400)

    def test_error_bodies_do_not_echo_the_request(self):
        script = b"<script>alert(1)</script>"
        for data in [b"GET /" + script + b" HTTP/1.1\r\nHost: x\r\n\r\n",
                     b"GET /static/" + script + b" HTTP/1.1\r\nHost: x\r\n\r\n",
                     b"GET /" + script + b" HTTP/1.1 extra\r\nHost: x\r\n\r\n",
                     b"GET / HTTP/1.1\r\nHost: x\r\n" + script + b"\r\n\r\n",
                     script + b"\r\n\r\n"]:
            c = self.conn()
            c.send(data)
            resp = c.read_response()
            self.assertGreaterEqual(resp.status, 400, data)
            self.assertNotIn(b"<script", resp.body.lower(), f"{data!r} -> {resp.body!r}")
            self.assertNotIn(b"<script", resp.raw_head.lower())
            self.assertFalse((resp.header("Content-Type") or "").startswith("text/html"),
                             "an error page must not be HTML built from input")

    # -- bodies --------------------------------------------------------------------------------
    def test_expect_100_continue(self):
        c = self.conn()
        c.send(b"POST /api/sensor HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
        interim = c.read_response(timeout=3)
        self.assertEqual(interim.status, 100, interim.raw_head)
        self.assertEqual(interim.raw_head, b"HTTP/1.1 100 Continue\r\n\r\n")
        c.send(b"hello")
        final = c.read_response()
        self.assertEqual(final.status, 405)
        c.request("GET", "/healthz")
        self.assertEqual(c.read_response().status, 200)

    def test_curl_expect_continue(self):
        # curl sends Expect: 100-continue for bodies over 1 MiB only when told to; force it.
        done = curl("-v", "-o", "/dev/null", "-w", "%{http_code}", "-H", "Expect: 100-continue",
                    "--data-binary", "x" * 2000, f"{self.srv.base_url}/api/sensor")
        self.assertEqual(done.stdout, b"405", done.stderr)
        self.assertIn(b"HTTP/1.1 100 Continue", done.stderr)

    def test_chunked_body_is_read_and_the_connection_stays_usable(self):
        c = self.conn()
        c.send(b"POST /api/sensor HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
               b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n")
        resp = c.read_response()
        self.assertEqual(resp.status, 405)
        c.request("GET", "/healthz")
        after = c.read_response()
        self.assertEqual((after.status, after.body.strip()), (200, b"ok"),
                         "the chunked body was consumed, not taken for the next request")

    def test_content_length_body_is_skipped(self):
        c = self.conn()
        # The body looks like a request: if it were not consumed it would be answered.
        body = b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
        c.send(b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body) + body
               + b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(c.read_response().status, 405)
        self.assertEqual(c.read_response().status, 200)

    def test_bad_chunked_body_is_400(self):
        self.bad(b"POST /api/sensor HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
                 400)

    # -- standard headers -----------------------------------------------------------------------
    def test_every_response_has_date_type_and_length(self):
        for target in ROUTES + ["/nope"]:
            resp = get(self.srv.port, target)
            with self.subTest(target=target):
                self.assertIn(resp.status, (200, 404))
                date = resp.header("Date")
                self.assertIsNotNone(date)
                self.assertRegex(date, r"^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$")
                self.assertLess(abs(email.utils.parsedate_to_datetime(date).timestamp() - time.time()), 5)
                self.assertTrue(resp.header("Content-Type"))
                self.assertEqual(int(resp.header("Content-Length")), len(resp.body))

    def test_content_types(self):
        expected = {"/": "text/html", "/api/sensor": "application/json", "/api/history": "application/json",
                    "/metrics": "text/plain", "/healthz": "text/plain", "/debug/tasks": "application/json"}
        expected.update({path: kind for path, (kind, _) in STATIC.items()})
        for target, kind in expected.items():
            with self.subTest(target=target):
                self.assertIn(kind, get(self.srv.port, target).header("Content-Type"))

    def test_api_responses_are_not_cached(self):
        for target in ["/api/sensor", "/api/history", "/metrics", "/healthz", "/"]:
            with self.subTest(target=target):
                self.assertIn("no-store", get(self.srv.port, target).header("Cache-Control") or "")

    # -- static assets ------------------------------------------------------------------------
    def test_static_assets_are_gzipped_when_accepted(self):
        for path, (_, marker) in STATIC.items():
            with self.subTest(path=path):
                plain = get(self.srv.port, path)
                self.assertEqual(plain.status, 200)
                self.assertIsNone(plain.header("Content-Encoding"), "identity unless gzip is accepted")
                self.assertIn(marker, plain.body)
                packed = get(self.srv.port, path, {"Accept-Encoding": "gzip, deflate, br"})
                self.assertEqual(packed.status, 200)
                self.assertEqual(packed.header("Content-Encoding"), "gzip")
                self.assertIn("Accept-Encoding", packed.header("Vary") or "")
                self.assertEqual(gzip.decompress(packed.body), plain.body)
                self.assertEqual(packed.header("Content-Type"), plain.header("Content-Type"))

    def test_favicon_ico_is_the_svg_favicon_with_its_headers(self):
        svg = get(self.srv.port, "/static/favicon.svg")
        ico = get(self.srv.port, "/favicon.ico")
        self.assertEqual(ico.status, 200, "browsers ask for /favicon.ico: no 404 in their console")
        self.assertEqual(ico.body, svg.body)
        for name in ("Content-Type", "ETag", "Cache-Control", "Vary", "Referrer-Policy", "X-Content-Type-Options"):
            with self.subTest(header=name):
                self.assertTrue(ico.header(name), name)
                self.assertEqual(ico.header(name), svg.header(name))

    def test_gzip_is_not_sent_when_refused(self):
        resp = get(self.srv.port, "/static/app.js", {"Accept-Encoding": "identity"})
        self.assertIsNone(resp.header("Content-Encoding"))
        self.assertIn(b"EventSource", resp.body)

    def test_curl_compressed(self):
        plain = get(self.srv.port, "/static/style.css").body
        done = curl("--compressed", "-D", "-", f"{self.srv.base_url}/static/style.css")
        self.assertEqual(done.returncode, 0, done.stderr)
        head, _, body = done.stdout.partition(b"\r\n\r\n")
        self.assertRegex(head, rb"(?im)^content-encoding: gzip\r?$")
        self.assertEqual(body, plain)

    def test_etag_revalidation_gives_304_without_body(self):
        for path in STATIC:
            for encoding in ({}, {"Accept-Encoding": "gzip"}):
                with self.subTest(path=path, encoding=encoding):
                    first = get(self.srv.port, path, encoding)
                    etag = first.header("ETag")
                    self.assertTrue(etag and re.fullmatch(r'(W/)?"[^"]+"', etag), etag)
                    self.assertEqual(get(self.srv.port, path, encoding).header("ETag"), etag, "stable")
                    c = self.conn()
                    c.request("GET", path, {"If-None-Match": etag, **encoding})
                    c.request("GET", "/healthz")
                    resp = c.read_response()
                    self.assertEqual(resp.status, 304)
                    self.assertEqual(resp.header("ETag"), etag)
                    after = c.read_response()
                    self.assertEqual((after.status, after.body.strip()), (200, b"ok"), "a 304 has no body")
                    stale = get(self.srv.port, path, {"If-None-Match": '"not-the-etag"', **encoding})
                    self.assertEqual(stale.status, 200)
                    self.assertEqual(stale.body, first.body)

    def test_gzip_and_identity_have_different_etags(self):
        plain = get(self.srv.port, "/static/app.js").header("ETag")
        packed = get(self.srv.port, "/static/app.js", {"Accept-Encoding": "gzip"}).header("ETag")
        self.assertNotEqual(plain, packed)
        # A cache revalidating the gzip ETag without accepting gzip must get the identity body.
        resp = get(self.srv.port, "/static/app.js", {"If-None-Match": packed})
        self.assertEqual(resp.status, 200)

    def test_path_traversal_is_404(self):
        for target in ["/static/../x", "/static/%2e%2e/app.js", "/static//app.js", "/static/../static/app.js",
                       "/static/..%2fapp.js", "/static/%2fapp.js", "/static/./app.js", "/static/",
                       "/static/app.js%00", "/static/../../../../etc/passwd", "/static/index.html",
                       "/static/..\\app.js"]:
            c = self.conn()
            c.send(f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            resp = c.read_response()
            with self.subTest(target=target):
                self.assertIn(resp.status, (400, 404), f"{target}: {resp.status}")
                self.assertNotIn(b"root:", resp.body)
                self.assertNotIn(b"EventSource", resp.body)
                self.assertNotIn(b"{{", resp.body)

    def test_path_traversal_with_curl_is_404(self):
        done = curl("--path-as-is", "-o", "/dev/null", "-w", "%{http_code}",
                    f"{self.srv.base_url}/static/../../etc/passwd")
        self.assertIn(done.stdout, (b"400", b"404"))

    # -- safe defaults ------------------------------------------------------------------------
    def test_dashboard_has_a_content_security_policy(self):
        resp = get(self.srv.port, "/")
        csp = resp.header("Content-Security-Policy") or ""
        directives = {d.strip().split(" ")[0]: d.strip() for d in csp.split(";") if d.strip()}
        self.assertIn("default-src", directives)
        self.assertNotIn("'unsafe-inline'", directives.get("script-src", directives["default-src"]))
        self.assertNotIn("*", directives.get("script-src", directives["default-src"]).split())
        self.assertIn("frame-ancestors", directives)

    def test_nosniff_on_every_route(self):
        for target in ROUTES:
            with self.subTest(target=target):
                self.assertEqual(get(self.srv.port, target).header("X-Content-Type-Options"), "nosniff")

    def test_nosniff_on_error_responses(self):
        for method, target in [("GET", "/nope"), ("DELETE", "/api/sensor"), ("GET", "/static/missing.js")]:
            with self.subTest(method=method, target=target):
                resp = get(self.srv.port, target, method=method)
                self.assertGreaterEqual(resp.status, 400)
                self.assertEqual(resp.header("X-Content-Type-Options"), "nosniff")

    def test_dashboard_is_rendered_with_values(self):
        html = get(self.srv.port, "/").text
        self.assertRegex(html, r'id="temperature_c">21\.50<', "the temperature's two fixed decimals")
        self.assertNotIn("{{", html, "every template field is filled")
        for element in ("temperature_c", "ts", "status", "chart"):
            self.assertIn(f'id="{element}"', html)
        self.assertNotRegex(html, r"(?i)<script[^>]*>\s*[^<\s]", "no inline script (the CSP forbids it)")
        self.assertNotRegex(html, r"(?i)(src|href)=\"(https?:)?//", "no external resource: it must work offline")


class HttpTimeouts(ServerTestCase, unittest.TestCase):
    FLAGS = ("--sensor", "fixed:1", "--header-timeout", "1", "--idle-timeout", "1")

    def test_unfinished_head_gets_408_and_close(self):
        with RawConnection(self.srv.port) as c:
            started = time.monotonic()
            c.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # no blank line: the head never ends
            resp = c.read_response(timeout=5)
            elapsed = time.monotonic() - started
            self.assertEqual(resp.status, 408)
            self.assertTrue(0.8 <= elapsed <= 3.0, f"408 after {elapsed:.2f} s, --header-timeout 1")
            self.assertEqual((resp.header("Connection") or "").lower(), "close")
            self.assertTrue(c.closed_within(2))

    def test_head_trickling_in_still_times_out(self):
        # Each byte arrives before the time-out, but the whole head does not: 408 all the same.
        with RawConnection(self.srv.port) as c:
            started = time.monotonic()
            request = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"s" * 100
            for byte in request:
                if _readable(c) or time.monotonic() - started > 4:
                    break  # the server answered (or gave up on us)
                try:
                    c.send(bytes([byte]))
                except OSError:
                    break
                time.sleep(0.1)
            resp = c.read_response(timeout=3)
            self.assertEqual(resp.status, 408)
            self.assertLess(time.monotonic() - started, 3.0)

    def test_idle_keep_alive_connection_is_closed(self):
        with RawConnection(self.srv.port) as c:
            c.request("GET", "/healthz")
            self.assertEqual(c.read_response().status, 200)
            started = time.monotonic()
            self.assertTrue(c.closed_within(4), "closed after --idle-timeout 1")
            elapsed = time.monotonic() - started
            self.assertTrue(0.8 <= elapsed <= 3.0, f"closed after {elapsed:.2f} s")
            self.assertEqual(c.buf, b"", "an idle connection is closed silently, no 408")

    def test_connection_that_never_sends_is_closed(self):
        with RawConnection(self.srv.port) as c:
            self.assertTrue(c.closed_within(4))

    def test_active_keep_alive_connection_is_not_closed(self):
        with RawConnection(self.srv.port) as c:
            for _ in range(6):  # 3 s of traffic with 0.5 s pauses, longer than either time-out
                c.request("GET", "/healthz")
                self.assertEqual(c.read_response().status, 200)
                time.sleep(0.5)

    def test_slow_body_gets_408(self):
        with RawConnection(self.srv.port) as c:
            c.send(b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly part")
            resp = c.read_response(timeout=5)
            self.assertEqual(resp.status, 408)
            self.assertTrue(c.closed_within(2))


def _readable(c: RawConnection) -> bool:
    return bool(select.select([c.sock], [], [], 0)[0])


if __name__ == "__main__":
    unittest.main()
