"""sensor-server --workers N: N event loops, each on a thread of its own with its own SO_REUSEPORT
listener on the same port. The kernel spreads connections across them; /metrics and /debug/tasks
cover every loop; the sensor is read once and every loop serves the same readings; SIGTERM stops
every loop (exit 0); a bad --workers is refused at start (exit 2)."""

from __future__ import annotations

import json
import os
import socket
import time
import unittest

from client import SSEClient, get, get_json, metrics, wait_until
from server import ServerTestCase, SensorServer, run_binary
import test_tls
from test_tls import OPENSSL, HttpsServer, https_get

NEW_CONNECTIONS = 48  # all on one of two loops: once in 2^47 runs


def loops_of_events_clients(port: int, clients: list[SSEClient]) -> dict[int, list[SSEClient]]:
    """The loop index each /events client is served by, from the task names of /debug/tasks."""
    tasks = get_json(port, "/debug/tasks")["tasks"]
    loop_of_task = {task["name"]: task["loop"] for task in tasks}
    by_loop: dict[int, list[SSEClient]] = {}
    for client in clients:
        name = "/events %s:%d" % client.conn.sock.getsockname()
        if name in loop_of_task:
            by_loop.setdefault(loop_of_task[name], []).append(client)
    return by_loop


def overlapping(a: list[dict], b: list[dict]) -> tuple[list[dict], list[dict]]:
    """The parts of two histories that cover the same span of time (one loop may already have
    the newest reading, the other not yet; the oldest may have left one of them)."""
    if not a or not b:
        return [], []
    first = max(a[0]["ts"], b[0]["ts"])
    last = min(a[-1]["ts"], b[-1]["ts"])
    return [r for r in a if first <= r["ts"] <= last], [r for r in b if first <= r["ts"] <= last]


class TwoLoops(ServerTestCase, unittest.TestCase):
    FLAGS = ("--workers", "2", "--interval", "0.1", "--history", "40")

    def test_serving_line_names_the_loops(self):
        self.assertIn("2 event loops", self.srv.serving_line)

    def test_connections_are_spread_over_both_loops_and_metrics_add_them_up(self):
        for _ in range(NEW_CONNECTIONS):
            self.assertEqual(get(self.srv.port, "/api/sensor").status, 200)  # a new connection each
        samples = metrics(self.srv.port)
        self.assertEqual(samples["sensor_server_loops"], 2)
        per_loop = [samples['http_loop_requests_total{loop="0"}'], samples['http_loop_requests_total{loop="1"}']]
        self.assertGreater(per_loop[0], 0, "loop 0 served requests")
        self.assertGreater(per_loop[1], 0, "loop 1 served requests")
        self.assertGreaterEqual(sum(per_loop), NEW_CONNECTIONS)
        self.assertEqual(samples["http_requests_total"], sum(per_loop), "the total is the sum over the loops")
        accepted = [samples['http_loop_connections_accepted_total{loop="%d"}' % i] for i in (0, 1)]
        self.assertEqual(samples["http_connections_accepted_total"], sum(accepted))
        self.assertEqual(samples["asyncio_tasks"],
                         samples['asyncio_loop_tasks{loop="0"}'] + samples['asyncio_loop_tasks{loop="1"}'])
        self.assertEqual(samples["sensor_loop_readings_dropped_total"], 0)

    def test_debug_tasks_lists_the_tasks_of_every_loop(self):
        for _ in range(NEW_CONNECTIONS):
            get(self.srv.port, "/healthz")
        doc = get_json(self.srv.port, "/debug/tasks")
        self.assertEqual([loop["index"] for loop in doc["loops"]], [0, 1])
        self.assertTrue(all(loop["requests"] > 0 for loop in doc["loops"]), doc["loops"])
        self.assertIn(doc["loop"]["index"], (0, 1), "the loop that answered")
        loops_with_tasks = {task["loop"] for task in doc["tasks"]}
        self.assertEqual(loops_with_tasks, {0, 1})
        sampler = [task["loop"] for task in doc["tasks"] if task["name"] == "sampler"]
        self.assertEqual(sampler, [0], "the sensor is sampled once, on loop 0")
        copies = [task["loop"] for task in doc["tasks"] if task["name"] == "readings from loop 0"]
        self.assertEqual(copies, [1], "loop 1 keeps a copy of the readings")
        for loop in doc["loops"]:
            self.assertEqual(loop["tasks"], sum(1 for task in doc["tasks"] if task["loop"] == loop["index"]))

    def test_sse_clients_on_different_loops_see_the_same_readings_once_in_order(self):
        clients = []
        try:
            by_loop: dict[int, list[SSEClient]] = {}
            for _ in range(24):
                client = SSEClient(self.srv.port)
                client.next_event(timeout=3)  # the stream runs: its task is named
                clients.append(client)
                if len(clients) >= 4:
                    by_loop = loops_of_events_clients(self.srv.port, clients)
                    if len(by_loop) == 2:
                        break
            self.assertEqual(sorted(by_loop), [0, 1], "an /events client on each loop")
            pair = [by_loop[0][0], by_loop[1][0]]
            seen = [[json.loads(c.next_event(timeout=3).data)["ts"] for _ in range(15)] for c in pair]
            ids = [[int(c.next_event(timeout=3).id) for _ in range(3)] for c in pair]
        finally:
            for client in clients:
                client.close()
        for stamps in seen:
            self.assertEqual(stamps, sorted(stamps), "in order")
            self.assertEqual(len(set(stamps)), len(stamps), "each reading once")
        common = set(seen[0]) & set(seen[1])
        self.assertGreaterEqual(len(common), 10, seen)
        start, end = max(seen[0][0], seen[1][0]), min(seen[0][-1], seen[1][-1])
        self.assertEqual([t for t in seen[0] if start <= t <= end], [t for t in seen[1] if start <= t <= end],
                         "both loops send the same readings")
        for i in ids:
            self.assertEqual(i, sorted(i))

    def test_history_agrees_across_connections(self):
        wait_until(lambda: len(get_json(self.srv.port, "/api/history")) >= 20, timeout=10,
                   message="20 readings in /api/history")
        histories = [get_json(self.srv.port, "/api/history") for _ in range(NEW_CONNECTIONS // 2)]
        first = histories[0]
        for other in histories[1:]:
            self.assertEqual([r["ts"] for r in other], sorted(r["ts"] for r in other))
            a, b = overlapping(first, other)
            self.assertGreaterEqual(len(a), 15, (first, other))
            self.assertEqual(a, b, "the same readings, with the same values, on every loop")
        # and the latest reading, wherever asked, is one of the history's
        latest = get_json(self.srv.port, "/api/sensor")
        self.assertLess(abs(latest["ts"] - get_json(self.srv.port, "/api/history")[-1]["ts"]), 1000)

class Shutdown(unittest.TestCase):
    def test_sigterm_with_clients_on_both_loops_stops_every_loop(self):
        srv = SensorServer("--workers", "2", "--interval", "0.1").start()
        clients = []
        idle = []
        try:
            clients = [SSEClient(srv.port) for _ in range(24)]  # all on one loop: 1 in 2^23
            idle = [socket.create_connection(("127.0.0.1", srv.port), timeout=5) for _ in range(8)]
            for client in clients:
                client.next_event(timeout=3)
            self.assertEqual(len(loops_of_events_clients(srv.port, clients)), 2, "streams on both loops")
            started = time.monotonic()
            code = srv.stop(timeout=5)
            self.assertEqual(code, 0, srv.stderr())
            self.assertLess(time.monotonic() - started, 5)
            self.assertIn("sensor-server: stopped", srv.stdout())
            for client in clients:  # every stream was ended by its loop
                with self.assertRaises(Exception):
                    while True:
                        client.next_event(timeout=2)
        finally:
            srv.kill()
            for client in clients:
                client.close()
            for sock in idle:
                sock.close()


class WorkersFlag(unittest.TestCase):
    def test_bad_values_exit_2_with_a_message(self):
        for value in ("0", "-1", "abc", "", "1.5", "2x", "257", "100000", "99999999999999999999999"):
            with self.subTest(value=value):
                done = run_binary("--port", "0", "--workers", value)
                self.assertEqual(done.returncode, 2, done.stderr)
                self.assertIn("--workers needs a number of event loops from 1 to 256, or auto", done.stderr)
                self.assertIn(repr(value).replace('"', "'"), done.stderr)
                self.assertEqual(done.stdout, "")

    def test_missing_value_exits_2(self):
        done = run_binary("--workers")
        self.assertEqual(done.returncode, 2)
        self.assertIn("--workers needs a value", done.stderr)

    def test_help_documents_it(self):
        done = run_binary("--help")
        self.assertEqual(done.returncode, 0)
        self.assertIn("--workers N|auto", done.stdout)

    def test_auto_is_one_loop_per_core(self):
        srv = SensorServer("--workers", "auto").start()
        try:
            loops = metrics(srv.port)["sensor_server_loops"]
        finally:
            code = srv.stop()
        self.assertEqual(loops, min(os.cpu_count() or 1, 256))
        self.assertEqual(code, 0)

    def test_one_worker_is_the_single_loop_server(self):
        srv = SensorServer("--workers", "1").start()
        try:
            samples = metrics(srv.port)
            doc = get_json(srv.port, "/debug/tasks")
        finally:
            code = srv.stop()
        self.assertEqual(samples["sensor_server_loops"], 1)
        self.assertEqual({task["loop"] for task in doc["tasks"]}, {0})
        self.assertNotIn("event loops", srv.serving_line)
        self.assertEqual(code, 0)


@unittest.skipUnless(OPENSSL, "openssl is needed to make the test certificates")
class WorkersOverTls(unittest.TestCase):
    def setUp(self):
        # Certificates of its own: test_tls's module fixture may have come and gone already.
        certificates = test_tls.Certificates()
        earlier, test_tls.CERTS = test_tls.CERTS, certificates
        self.addCleanup(certificates.close)
        self.addCleanup(setattr, test_tls, "CERTS", earlier)

    def test_https_is_served_by_every_loop(self):
        srv = HttpsServer("--workers", "2").start()
        try:
            context = test_tls.CERTS.client_context()
            for _ in range(NEW_CONNECTIONS // 2):
                head, body = https_get(srv.port, "/api/sensor", context)
                self.assertTrue(head.startswith(b"HTTP/1.1 200"), head)
                self.assertIn("ts", json.loads(body))
            head, body = https_get(srv.port, "/metrics", context)
            text = body.decode()
            samples = {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
                       for line in text.splitlines() if line and not line.startswith("#")}
        finally:
            code = srv.stop()
        self.assertEqual(code, 0, srv.stderr())
        self.assertGreater(samples['http_loop_requests_total{loop="0"}'], 0)
        self.assertGreater(samples['http_loop_requests_total{loop="1"}'], 0)
        self.assertGreaterEqual(samples["tls_handshakes_total"], NEW_CONNECTIONS // 2,
                                "the handshakes of both loops, added up")


if __name__ == "__main__":
    unittest.main()
