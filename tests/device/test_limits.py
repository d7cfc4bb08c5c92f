"""Oversized and malformed requests get the same statuses on the board as on Linux (the cases of
tests/e2e/test_http_rules.py): 414, 431, 400, 505, 413; the connection is closed after each, and
the board goes on serving."""

from __future__ import annotations

import unittest

from client import RawConnection, get
from target import DeviceTestCase


class Limits(DeviceTestCase):
    def bad(self, data: bytes, status: int) -> None:
        with RawConnection(self.port, timeout=10) as c:
            c.send(data)
            resp = c.read_response()
            self.assertEqual(resp.status, status, f"{data[:80]!r}: {resp.raw_head!r} {resp.body[:200]!r}")
            self.assertTrue(c.closed_within(10), f"{data[:40]!r}: the connection is closed after a {status}")
            self.assertEqual(c.buf, b"", f"nothing follows the {status}: {c.buf[:200]!r}")
        ok = get(self.port, "/healthz", timeout=10)
        self.assertEqual((ok.status, ok.body.strip()), (200, b"ok"), f"served after the {status}")

    def test_long_request_line_is_414(self):
        self.bad(b"GET /" + b"a" * 10240 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414)

    def test_long_request_line_is_refused_before_it_ends(self):
        self.bad(b"GET /" + b"a" * 10240, 414)

    def test_large_header_is_431(self):
        self.bad(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 10240 + b"\r\n\r\n", 431)

    def test_many_headers_are_431(self):
        many = b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 100) for i in range(100))
        self.bad(b"GET / HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n", 431)

    def test_garbage_is_400(self):
        for data in (b"HELLO\r\n\r\n",
                     b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http\r\n\r\n",  # a TLS hello
                     b"GET /healthz HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n",
                     b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad\x00Name: v\r\n\r\n"):
            with self.subTest(data=data[:30]):
                self.bad(data, 400)

    def test_missing_host_is_400(self):
        self.bad(b"GET /healthz HTTP/1.1\r\n\r\n", 400)

    def test_http_2_0_is_505(self):
        self.bad(b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505)

    def test_huge_body_is_413(self):
        self.bad(b"POST /api/sensor HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n", 413)

    def test_content_length_with_transfer_encoding_is_400(self):
        self.bad(b"POST /api/sensor HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                 b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400)


if __name__ == "__main__":
    unittest.main()
