"""Byte-exact answers to requests at the edges of RFC 9110/9112 and RFC 6455: HEAD on the live
routes, the event stream's Date, Host validation, 304 and weak validators, request-target
forms, OPTIONS *, unknown methods, later HTTP/1.x versions, the 426 of a wrong WebSocket
version. Each response is compared whole, with only the Date value masked (its format is
checked), and the test reads on to the end of the connection where one must end."""

from __future__ import annotations

import re
import unittest

from client import RawConnection, get
from server import ServerTestCase

DATE = re.compile(rb"\r\nDate: (?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
                  rb"\d{4} \d\d:\d\d:\d\d GMT\r\n")


def masked(raw: bytes) -> bytes:
    """`raw` with the Date value replaced by <date> (exactly one, in IMF-fixdate form)."""
    out, count = DATE.subn(b"\r\nDate: <date>\r\n", raw)
    if count != 1:
        raise AssertionError(f"expected one IMF-fixdate Date header: {raw[:400]!r}")
    return out


def error_response(status: str, body: bytes, extra: bytes = b"", server: bool = True) -> bytes:
    """An error page as the server writes it. `server`: with the Server header, which a refusal
    of WebSocket::accept (written by the /ws handler, not by the server) does not carry."""
    return (b"HTTP/1.1 " + status.encode() + b"\r\nDate: <date>\r\n"
            + (b"Server: sensor-server\r\n" if server else b"") +
            b"Content-Type: text/plain; charset=utf-8\r\nContent-Length: " + str(len(body)).encode() + b"\r\n"
            b"Connection: close\r\nX-Content-Type-Options: nosniff\r\n" + extra + b"\r\n" + body)


class Conformance(ServerTestCase, unittest.TestCase):
    FLAGS = ("--sensor", "fixed:21.5", "--interval", "0.2")

    def exchange(self, request: bytes, until_close: bool = True) -> bytes:
        """Sends `request`; returns everything the server sends until it closes (or, with
        until_close False, the first response head)."""
        with RawConnection(self.srv.port) as c:
            c.send(request)
            if until_close:
                return c.read_to_eof(timeout=3)
            return c.read_until(b"\r\n\r\n")

    def host(self) -> bytes:
        return b"127.0.0.1:%d" % self.srv.port

    # -- HEAD never gets a body (RFC 9110 9.3.2) ------------------------------------------------
    def test_head_of_the_event_stream_is_its_head_and_no_body(self):
        raw = self.exchange(b"HEAD /events HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertEqual(masked(raw),
                         b"HTTP/1.1 200 OK\r\nDate: <date>\r\nServer: sensor-server\r\n"
                         b"Content-Type: text/event-stream\r\nConnection: close\r\n"
                         b"X-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\n\r\n")

    def test_head_of_the_websocket_route_is_400_without_a_body(self):
        raw = self.exchange(b"HEAD /ws HTTP/1.1\r\nHost: x\r\n\r\n")
        body = b"Bad Request: WebSocket upgrade must be a GET\n"
        self.assertEqual(masked(raw), error_response("400 Bad Request", body, server=False)[:-len(body)])

    def test_the_event_stream_has_a_date(self):
        # RFC 9110 6.6.1: an origin server with a clock sends Date on 2xx responses.
        head = self.exchange(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n", until_close=False)
        self.assertEqual(masked(head),
                         b"HTTP/1.1 200 OK\r\nDate: <date>\r\nServer: sensor-server\r\n"
                         b"Content-Type: text/event-stream\r\nConnection: close\r\n"
                         b"X-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\n\r\n")

    # -- Host (RFC 9112 3.2) ------------------------------------------------------------------
    def test_invalid_missing_or_repeated_host_is_400(self):
        cases = {
            b"GET /healthz HTTP/1.1\r\nHost: a, b\r\n\r\n": b"invalid Host header",
            b"GET /healthz HTTP/1.1\r\nHost: a b/c@d\r\n\r\n": b"invalid Host header",
            b"GET /healthz HTTP/1.1\r\nHost: a:port\r\n\r\n": b"invalid Host header",
            b"GET /healthz HTTP/1.1\r\n\r\n": b"missing Host header",
            b"GET /healthz HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n": b"more than one Host header",
        }
        for request, reason in cases.items():
            with self.subTest(request=request):
                self.assertEqual(masked(self.exchange(request)),
                                 error_response("400 Bad Request", b"Bad Request: " + reason + b"\n"))

    def test_valid_hosts_are_served(self):
        for host in (b"127.0.0.1:8080", b"[::1]:80", b"pi.local", b"xn--bcher-kva.example", b""):
            with self.subTest(host=host), RawConnection(self.srv.port) as c:
                c.send(b"GET /healthz HTTP/1.1\r\nHost: " + host + b"\r\n\r\n")
                self.assertEqual(c.read_response().status, 200)

    # -- 304 and weak validators (RFC 9110 13.1.2, 15.4.5) ----------------------------------------
    def test_not_modified_has_no_content_length_and_weak_tags_match(self):
        full = get(self.srv.port, "/static/app.js")
        etag = full.header("ETag").encode()
        self.assertGreater(len(full.body), 1000)
        weak = b"W/" + etag if not etag.startswith(b"W/") else etag
        expected = (b"HTTP/1.1 304 Not Modified\r\nDate: <date>\r\nServer: sensor-server\r\n"
                    b"X-Content-Type-Options: nosniff\r\nETag: " + etag + b"\r\nVary: Accept-Encoding\r\n"
                    b"Cache-Control: no-cache\r\nReferrer-Policy: no-referrer\r\n\r\n")
        for method in (b"GET", b"HEAD"):
            for tag in (etag, weak, b'"other", ' + weak):
                with self.subTest(method=method, tag=tag), RawConnection(self.srv.port) as c:
                    c.send(method + b" /static/app.js HTTP/1.1\r\nHost: x\r\nIf-None-Match: " + tag + b"\r\n\r\n"
                           b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    raw = c.read_to_eof(timeout=3)
                    head, _, rest = raw.partition(b"\r\n\r\n")
                    self.assertEqual(masked(head + b"\r\n\r\n"), expected)
                    self.assertTrue(rest.startswith(b"HTTP/1.1 200 OK\r\n"), f"no body after a 304: {rest[:80]!r}")

    def test_head_gives_the_real_length(self):
        full = get(self.srv.port, "/static/app.js")
        with RawConnection(self.srv.port) as c:
            c.send(b"HEAD /static/app.js HTTP/1.1\r\nHost: x\r\n\r\n")
            head = c.read_response(head_request=True)
        self.assertEqual(head.status, 200)
        self.assertEqual(int(head.header("Content-Length")), len(full.body))

    # -- request line ---------------------------------------------------------------------------
    def test_a_target_in_no_valid_form_is_400(self):
        for target in (b"healthz", b"*", b"http:healthz"):
            with self.subTest(target=target):
                raw = self.exchange(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n\r\n")
                self.assertTrue(masked(raw).startswith(b"HTTP/1.1 400 Bad Request\r\n"), raw[:200])

    def test_options_star_describes_the_server(self):
        with RawConnection(self.srv.port) as c:
            c.send(b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            raw = c.read_to_eof(timeout=3)
        first, _, rest = raw.partition(b"\r\n\r\n")
        self.assertEqual(masked(first + b"\r\n\r\n"),
                         b"HTTP/1.1 204 No Content\r\nDate: <date>\r\nServer: sensor-server\r\n"
                         b"X-Content-Type-Options: nosniff\r\nAllow: GET, HEAD, OPTIONS\r\n\r\n")
        self.assertTrue(rest.startswith(b"HTTP/1.1 200 OK\r\n"), rest[:80])

    def test_an_unknown_method_is_501_and_a_known_one_405(self):
        with RawConnection(self.srv.port) as c:
            c.send(b"BREW /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            raw = c.read_until(b"\r\n\r\n") + c.read_exactly(len(b"Not Implemented\n"))
        self.assertEqual(masked(raw),
                         b"HTTP/1.1 501 Not Implemented\r\nDate: <date>\r\nServer: sensor-server\r\n"
                         b"Content-Type: text/plain; charset=utf-8\r\nContent-Length: 16\r\n"
                         b"X-Content-Type-Options: nosniff\r\n\r\nNot Implemented\n")
        self.assertEqual(get(self.srv.port, "/healthz", method="DELETE").status, 405)

    def test_http_1_2_is_served_as_1_1(self):
        with RawConnection(self.srv.port) as c:
            c.send(b"GET /healthz HTTP/1.2\r\nHost: x\r\n\r\n")
            resp = c.read_response()
            self.assertEqual((resp.version, resp.status, resp.body), ("HTTP/1.1", 200, b"ok\n"))
            c.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertEqual(c.read_response().status, 200, "kept alive, as 1.1")

    def test_chunk_size_followed_by_a_space_is_accepted(self):
        # Lenient on purpose (docs/RELIABILITY.md): whitespace before the line end of a chunk
        # size is tolerated, as most servers do; the body is still framed exactly.
        with RawConnection(self.srv.port) as c:
            c.send(b"POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                   b"5 \r\nhello\r\n0\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertEqual(c.read_response().status, 405)
            self.assertEqual(c.read_response().status, 200)

    # -- WebSocket handshake (RFC 6455 4.2.2, RFC 9110 15.5.22) ----------------------------------
    def test_a_wrong_websocket_version_is_426_with_upgrade_and_the_version(self):
        raw = self.exchange(b"GET /ws HTTP/1.1\r\nHost: " + self.host() + b"\r\nUpgrade: websocket\r\n"
                            b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                            b"Sec-WebSocket-Version: 8\r\n\r\n")
        body = b"Upgrade Required: unsupported Sec-WebSocket-Version\n"
        self.assertEqual(masked(raw), error_response(
            "426 Upgrade Required", body,
            b"Upgrade: websocket\r\nConnection: upgrade\r\nSec-WebSocket-Version: 13\r\n", server=False))


if __name__ == "__main__":
    unittest.main()
