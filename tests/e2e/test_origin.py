"""Who may open /ws: a browser sends the page's origin with the handshake (RFC 6455 10.2), and a
page served elsewhere must not read the live feed. Allowed by default: this server's own pages
(the Origin's host and port are the Host header's) and clients that send no Origin; everything
else gets 403 unless --allow-origin names it ("*": any)."""

from __future__ import annotations

import re
import unittest

from client import RawConnection
from server import running_server

KEY = "dGhlIHNhbXBsZSBub25jZQ=="
ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
FORBIDDEN_BODY = b"Forbidden: origin not allowed\n"


def handshake(port: int, origin: str | None, host: str | None = None) -> bytes:
    """The server's whole answer to an upgrade request (head only for a 101)."""
    fields = [f"Host: {host or f'127.0.0.1:{port}'}", "Upgrade: websocket", "Connection: Upgrade",
              f"Sec-WebSocket-Key: {KEY}", "Sec-WebSocket-Version: 13"]
    if origin is not None:
        fields.append(f"Origin: {origin}")
    with RawConnection(port) as c:
        c.send(("GET /ws HTTP/1.1\r\n" + "\r\n".join(fields) + "\r\n\r\n").encode())
        head = c.read_until(b"\r\n\r\n")
        if head.startswith(b"HTTP/1.1 101 "):
            return head
        return head + c.read_to_eof(timeout=3)


def accepted(raw: bytes) -> bool:
    masked = re.sub(rb"\r\nDate: [^\r]+\r\n", b"\r\nDate: <date>\r\n", raw)
    return masked == (b"HTTP/1.1 101 Switching Protocols\r\nDate: <date>\r\nX-Content-Type-Options: nosniff\r\n"
                      b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
                      b"Sec-WebSocket-Accept: " + ACCEPT.encode() + b"\r\n\r\n")


def forbidden(raw: bytes) -> bool:
    masked = re.sub(rb"\r\nDate: [^\r]+\r\n", b"\r\nDate: <date>\r\n", raw)
    # Written by WebSocket::accept in the /ws handler: without the server's Server header.
    return masked == (b"HTTP/1.1 403 Forbidden\r\nDate: <date>\r\n"
                      b"Content-Type: text/plain; charset=utf-8\r\nContent-Length: "
                      + str(len(FORBIDDEN_BODY)).encode() + b"\r\nConnection: close\r\n"
                      b"X-Content-Type-Options: nosniff\r\n\r\n" + FORBIDDEN_BODY)


class Origins(unittest.TestCase):
    def test_by_default_own_pages_and_programs_are_allowed_and_other_pages_refused(self):
        with running_server("--sensor", "fixed:1") as srv:
            own = f"http://127.0.0.1:{srv.port}"
            for origin in (None, own, own.upper().replace("HTTP", "http")):
                with self.subTest(origin=origin):
                    raw = handshake(srv.port, origin)
                    self.assertTrue(accepted(raw), raw)
            for origin in ("http://evil.example", f"http://127.0.0.1:{srv.port + 1}", f"http://localhost:{srv.port}",
                           f"https://127.0.0.1:{srv.port}0", "null", "file://"):
                with self.subTest(origin=origin):
                    raw = handshake(srv.port, origin)
                    self.assertTrue(forbidden(raw), raw)
            # A page of "localhost:PORT" is this server's own when the browser says so in Host.
            self.assertTrue(accepted(handshake(srv.port, f"http://localhost:{srv.port}", f"localhost:{srv.port}")))

    def test_allow_origin_lets_the_origins_named_in(self):
        with running_server("--sensor", "fixed:1", "--allow-origin", "https://dash.example:8443",
                            "--allow-origin", "http://other.example") as srv:
            for origin in ("https://dash.example:8443", "http://other.example", f"http://127.0.0.1:{srv.port}", None):
                with self.subTest(origin=origin):
                    self.assertTrue(accepted(handshake(srv.port, origin)))
            for origin in ("https://dash.example", "http://evil.example"):
                with self.subTest(origin=origin):
                    self.assertTrue(forbidden(handshake(srv.port, origin)))

    def test_allow_origin_star_lets_every_page_in(self):
        with running_server("--sensor", "fixed:1", "--allow-origin", "*") as srv:
            for origin in ("http://evil.example", "null"):
                with self.subTest(origin=origin):
                    self.assertTrue(accepted(handshake(srv.port, origin)))


if __name__ == "__main__":
    unittest.main()
