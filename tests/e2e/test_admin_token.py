"""/metrics and /debug/tasks beyond loopback: refused (403) without --admin-token, and with it
only for "Authorization: Bearer TOKEN" (else 401). On a loopback address without a token they
stay open. Every request goes to 127.0.0.1 (a server on 0.0.0.0 listens there too)."""

from __future__ import annotations

import unittest

from client import get
from server import run_binary, running_server

ADMIN = ("/metrics", "/debug/tasks")


class AdminRoutes(unittest.TestCase):
    def test_beyond_loopback_without_a_token_they_are_refused(self):
        with running_server("--host", "0.0.0.0", "--sensor", "fixed:1") as srv:
            for path in ADMIN:
                with self.subTest(path=path):
                    resp = get(srv.port, path)
                    self.assertEqual(resp.status, 403)
                    self.assertIn("--admin-token", resp.text)
            self.assertEqual(get(srv.port, "/api/sensor").status, 200, "the rest is served as before")
            self.assertEqual(get(srv.port, "/healthz").status, 200)

    def test_with_a_token_they_need_it(self):
        token = "s3cret-token-for-tests"
        with running_server("--host", "0.0.0.0", "--sensor", "fixed:1", "--admin-token", token) as srv:
            for path in ADMIN:
                with self.subTest(path=path):
                    self.assertEqual(get(srv.port, path, {"Authorization": f"Bearer {token}"}).status, 200)
                    for wrong in ("", f"Bearer {token}x", f"Bearer {token[:-1]}", f"bearer {token}", token,
                                  f"Basic {token}"):
                        resp = get(srv.port, path, {"Authorization": wrong} if wrong else None)
                        self.assertEqual(resp.status, 401, wrong)
                        self.assertIn("Bearer", resp.header("WWW-Authenticate") or "")
                        self.assertNotIn(token, resp.text)

    def test_a_token_applies_on_loopback_too(self):
        with running_server("--sensor", "fixed:1", "--admin-token", "abc") as srv:
            self.assertEqual(get(srv.port, "/metrics").status, 401)
            self.assertEqual(get(srv.port, "/metrics", {"Authorization": "Bearer abc"}).status, 200)

    def test_loopback_without_a_token_stays_open(self):
        with running_server("--sensor", "fixed:1") as srv:
            for path in ADMIN:
                self.assertEqual(get(srv.port, path).status, 200)

    def test_an_empty_token_is_refused(self):
        done = run_binary("--port", "0", "--admin-token", "", timeout=5)
        self.assertEqual(done.returncode, 2)
        self.assertIn("--admin-token", done.stderr)


if __name__ == "__main__":
    unittest.main()
