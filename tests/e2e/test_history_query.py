"""/api/history?since=...&limit=... and /api/history.csv (and the dashboard's link to it)."""

from __future__ import annotations

import csv
import io
import time
import unittest

from client import get, get_json, wait_until
from server import ServerTestCase


class HistoryQuery(ServerTestCase, unittest.TestCase):
    FLAGS = ("--sensor", "sim", "--interval", "0.05", "--history", "40")

    def full_history(self) -> list[dict]:
        return wait_until(lambda: (h := get_json(self.srv.port, "/api/history")) and len(h) >= 20 and h,
                          timeout=10, message="twenty readings in /api/history")

    def test_since_returns_only_later_readings_oldest_first(self):
        history = self.full_history()
        since = history[9]["ts"]
        later = get_json(self.srv.port, f"/api/history?since={since}")
        self.assertTrue(later, "readings after the tenth")
        self.assertTrue(all(r["ts"] > since for r in later))
        self.assertEqual([r["ts"] for r in later], sorted(r["ts"] for r in later))
        self.assertEqual(later[:len(history) - 10], history[10:], "the same readings as the full history")

    def test_limit_returns_the_newest_readings(self):
        self.full_history()
        newest = get_json(self.srv.port, "/api/history?limit=3")
        self.assertEqual(len(newest), 3)
        whole = get_json(self.srv.port, "/api/history")
        self.assertGreaterEqual(whole[-1]["ts"], newest[-1]["ts"])
        self.assertEqual([r["ts"] for r in newest], sorted(r["ts"] for r in newest))
        # since and limit together: the newest 2 of those after the tenth reading.
        since = whole[9]["ts"]
        both = get_json(self.srv.port, f"/api/history?limit=2&since={since}")
        self.assertEqual(len(both), 2)
        self.assertTrue(all(r["ts"] > since for r in both))
        self.assertEqual(get_json(self.srv.port, f"/api/history?since={int(time.time() * 1000) + 60000}"), [])

    def test_malformed_query_is_400_with_a_reason(self):
        for query in ("since=abc", "since=", "limit=0", "limit=-1", "limit=two", "since=1.5"):
            with self.subTest(query=query):
                resp = get(self.srv.port, f"/api/history?{query}")
                self.assertEqual(resp.status, 400)
                self.assertRegex(resp.text, r"since|limit")
                self.assertEqual(get(self.srv.port, f"/api/history.csv?{query}").status, 400)

    def test_csv_has_a_header_and_one_row_per_reading(self):
        self.full_history()
        resp = get(self.srv.port, "/api/history.csv?limit=10")
        self.assertEqual(resp.status, 200)
        self.assertTrue(resp.header("Content-Type").startswith("text/csv"), resp.header("Content-Type"))
        self.assertIn("attachment", resp.header("Content-Disposition") or "")
        self.assertIn(".csv", resp.header("Content-Disposition") or "")
        rows = list(csv.reader(io.StringIO(resp.text)))
        self.assertEqual(rows[0], ["ts", "time", "temperature_c", "humidity_pct", "pressure_hpa"])
        self.assertEqual(len(rows), 11)
        json_rows = get_json(self.srv.port, f"/api/history?since={int(rows[1][0]) - 1}")
        by_ts = {r["ts"]: r for r in json_rows}
        for row in rows[1:]:
            reading = by_ts[int(row[0])]
            self.assertRegex(row[1], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
            self.assertEqual(float(row[2]), reading["temperature_c"])
            self.assertEqual(float(row[4]), reading["pressure_hpa"])

    def test_the_dashboard_offers_the_csv_download(self):
        page = get(self.srv.port, "/").text
        self.assertRegex(page, r'<a [^>]*href="/api/history\.csv"[^>]*download')


if __name__ == "__main__":
    unittest.main()
