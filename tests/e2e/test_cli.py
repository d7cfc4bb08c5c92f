"""The command line: --help, flag errors (exit 2), defaults, the access log, signals."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import time
import unittest

import websockets

from client import ConnectionClosed, RawConnection, SSEClient, get, get_json
from server import SensorServer, run_binary, running_server

FLAGS = ["--host", "--port", "--sensor", "--interval", "--history", "--history-file", "--log", "--max-connections",
         "--header-timeout", "--idle-timeout", "--write-timeout", "--allow-origin", "--tls-cert", "--tls-key",
         "--mqtt", "--mqtt-topic", "--fleet", "--fleet-topic", "--mqtt-cafile", "--alert", "--admin-token", "--version", "--help"]


class Help(unittest.TestCase):
    def test_help_exits_0_and_explains_every_flag(self):
        done = run_binary("--help")
        self.assertEqual(done.returncode, 0)
        self.assertEqual(done.stderr, "")
        for flag in FLAGS:
            self.assertIn(flag, done.stdout)
        for text in ("sim", "fixed:", "127.0.0.1", "8080"):
            self.assertIn(text, done.stdout, "the defaults and sensor kinds are explained")

    def test_help_wins_over_other_flags(self):
        done = run_binary("--port", "1", "--help")
        self.assertEqual(done.returncode, 0)
        self.assertIn("--sensor", done.stdout)


class BadFlags(unittest.TestCase):
    CASES = [
        (["--bogus"], "--bogus"),
        (["--port", "abc"], "--port"),
        (["--port", "70000"], "--port"),
        (["--port", "-1"], "--port"),
        (["--port"], "--port"),
        (["--sensor", "bogus"], "bogus"),
        (["--sensor", "fixed:warm"], "warm"),
        (["--sensor", "fixed:"], "fixed"),
        (["--interval", "-1"], "--interval"),
        (["--interval", "0"], "--interval"),
        (["--interval", "abc"], "--interval"),
        (["--interval", "nan"], "--interval"),
        (["--history", "0"], "--history"),
        (["--history", "ten"], "--history"),
        (["--max-connections", "0"], "--max-connections"),
        (["--header-timeout", "-2"], "--header-timeout"),
        (["--idle-timeout", "x"], "--idle-timeout"),
        (["--write-timeout", ""], "--write-timeout"),
        (["--host", ""], "--host"),
        (["--allow-origin", "dash.example"], "--allow-origin"),
        (["--allow-origin", "https://dash.example/page"], "--allow-origin"),
        (["--allow-origin"], "--allow-origin"),
        (["--tls-cert", "cert.pem"], "--tls-key"),
        (["--tls-key", "key.pem"], "--tls-cert"),
        (["--tls-cert", "", "--tls-key", "key.pem"], "--tls-cert"),
        (["--mqtt", "mqtts://localhost"], "--mqtt-cafile"),
        (["--mqtt-cafile", "ca.pem"], "--mqtt-cafile"),
        (["extra-argument"], "extra-argument"),
    ]

    def test_bad_flags_exit_2_with_a_message(self):
        for args, mention in self.CASES:
            # --port 0 first, so that a flag wrongly accepted cannot bind the default port.
            argv = ["--port", "0", *args] if args[0] != "--port" else args
            with self.subTest(args=args):
                done = run_binary(*argv, timeout=5)
                self.assertEqual(done.returncode, 2, f"{argv}: stdout {done.stdout!r} stderr {done.stderr!r}")
                self.assertTrue(done.stderr.strip(), "the reason goes to stderr")
                self.assertIn(mention, done.stderr)
                self.assertNotIn("serving", done.stdout)

    def test_limits_in_messages_are_written_as_a_person_writes_them(self):
        cases = ((["--interval", "-1"], ">= 0.01,", "0.010000"), (["--header-timeout", "0"], ">= 0.001,", "0.001000"))
        for args, limit, as_to_string in cases:
            with self.subTest(args=args):
                done = run_binary("--port", "0", *args, timeout=5)
                self.assertEqual(done.returncode, 2, done.stderr)
                self.assertIn(limit, done.stderr)
                self.assertNotIn(as_to_string, done.stderr)

    def test_host_that_is_no_address_here_exits_2_with_one_message(self):
        # "not-an-ip" does not resolve; 192.0.2.1 (TEST-NET-1) resolves but is not this machine's.
        for host in ("not-an-ip", "192.0.2.1"):
            with self.subTest(host=host):
                done = run_binary("--port", "0", "--host", host, timeout=15)
                self.assertEqual(done.returncode, 2, f"stdout {done.stdout!r} stderr {done.stderr!r}")
                lines = done.stderr.splitlines()
                self.assertEqual(len(lines), 2, f"one reason, then the --help hint: {lines}")
                self.assertIn("--host", lines[0])
                self.assertIn(f"'{host}'", lines[0])
                self.assertNotIn("getaddrinfo", lines[0], "one clear text, not two joined")
                self.assertNotIn("serving", done.stdout)

    def test_host_name_localhost_still_serves(self):
        with running_server("--host", "localhost", "--port", "0", "--sensor", "fixed:1") as srv:
            self.assertEqual(srv.host, "localhost")
            self.assertEqual(get(srv.port, "/healthz").status, 200)

    def test_flag_equals_value_form(self):
        with running_server("--sensor=fixed:4.5", "--interval=0.5") as srv:
            self.assertEqual(get_json(srv.port, "/api/sensor")["temperature_c"], 4.5)

    def test_port_in_use_is_a_clear_error(self):
        with running_server("--sensor", "fixed:1") as first:
            done = run_binary("--port", str(first.port), "--sensor", "fixed:1", timeout=5)
            self.assertNotEqual(done.returncode, 0)
            self.assertIn("sensor-server:", done.stderr)
            self.assertTrue(any(word in done.stderr.lower() for word in ("in use", "bind", "address")),
                            done.stderr)
            self.assertEqual(get(first.port, "/healthz").status, 200, "the first server is unharmed")


class Defaults(unittest.TestCase):
    def test_default_host_is_loopback_only(self):
        srv = SensorServer().start()  # no --host
        try:
            self.assertEqual(srv.host, "127.0.0.1")
            self.assertEqual(get(srv.port, "/healthz").status, 200)
            listening = _listening_addresses(srv.port)
            self.assertEqual(listening, {"127.0.0.1"}, "bound to the loopback address only")
        finally:
            code = srv.stop()
        self.assertEqual(code, 0)

    def test_default_sensor_is_simulated(self):
        with running_server() as srv:
            reading = get_json(srv.port, "/api/sensor")
            self.assertEqual({"temperature_c", "humidity_pct", "pressure_hpa"} - set(reading), set())
            self.assertIn("sim", srv.serving_line)

    def test_linux_sensor_serves_or_explains(self):
        done_or_server = SensorServer("--sensor", "linux")
        try:
            done_or_server.start()
        except AssertionError as error:
            # No thermal zone or hwmon here: it must say what is missing, and exit non-zero.
            self.assertRegex(str(error), r"exited with [12] ")
            self.assertRegex(str(error), r"(?i)thermal|hwmon|load|missing|no ")
            return
        try:
            reading = get_json(done_or_server.port, "/api/sensor")
            quantities = {k: v for k, v in reading.items() if k != "ts"}
            self.assertTrue(quantities, reading)
            self.assertTrue(all(isinstance(v, (int, float)) or v is None for v in quantities.values()))
        finally:
            self.assertEqual(done_or_server.stop(), 0)

    def test_access_log(self):
        with running_server("--log", "--sensor", "fixed:1") as srv:
            get(srv.port, "/healthz")
            get(srv.port, "/nope?x=<b>")
            deadline = time.monotonic() + 3
            while time.monotonic() < deadline and "/nope" not in srv.stdout():
                time.sleep(0.05)
            lines = srv.stdout().splitlines()
            healthz = [line for line in lines if "GET /healthz" in line]
            self.assertEqual(len(healthz), 1, lines)
            self.assertIn("200", healthz[0])
            self.assertIn("127.0.0.1", healthz[0])
            self.assertTrue(any("/nope" in line and "404" in line for line in lines), lines)

    def test_no_access_log_without_the_flag(self):
        with running_server("--sensor", "fixed:1") as srv:
            get(srv.port, "/healthz")
            time.sleep(0.2)
            self.assertNotIn("/healthz", srv.stdout())


class Signals(unittest.TestCase):
    def test_sigterm_with_an_event_stream_open_exits_0(self):
        srv = SensorServer("--sensor", "sim", "--interval", "0.1").start()
        try:
            sse = SSEClient(srv.port)
            sse.next_event(timeout=3)
            idle = RawConnection(srv.port)  # and an idle keep-alive connection
            idle.request("GET", "/healthz")
            idle.read_response()
            started = time.monotonic()
            os.kill(srv.proc.pid, signal.SIGTERM)
            srv.proc.wait(timeout=5)
            self.assertLess(time.monotonic() - started, 3.0, "shutdown is prompt")
            self.assertEqual(srv.proc.returncode, 0)
            with self.assertRaises(ConnectionClosed):  # the stream ended, it was not left hanging
                while True:
                    sse.next_event(timeout=2)
            self.assertTrue(idle.closed_within(1))
            self.assertIn("stopped", srv.stdout() + srv.stderr())
        finally:
            srv.kill()

    def test_sigint_exits_0(self):
        srv = SensorServer("--sensor", "fixed:1").start()
        try:
            self.assertEqual(get(srv.port, "/healthz").status, 200)
            os.kill(srv.proc.pid, signal.SIGINT)
            self.assertEqual(srv.proc.wait(timeout=5), 0)
            with self.assertRaises(OSError):  # no longer listening
                socket.create_connection(("127.0.0.1", srv.port), timeout=1).close()
        finally:
            srv.kill()

    def test_sigterm_with_a_websocket_open_sends_going_away(self):
        srv = SensorServer("--sensor", "sim", "--interval", "0.1").start()

        async def scenario():
            async with websockets.connect(f"ws://127.0.0.1:{srv.port}/ws", open_timeout=5, close_timeout=3,
                                          ping_interval=None) as ws:
                await asyncio.wait_for(ws.recv(), 3)
                os.kill(srv.proc.pid, signal.SIGTERM)
                try:
                    while True:
                        await asyncio.wait_for(ws.recv(), 5)
                except websockets.ConnectionClosed:
                    pass
                return ws.close_code

        try:
            code = asyncio.run(asyncio.wait_for(scenario(), 15))
            self.assertEqual(code, 1001, "going away")
            self.assertEqual(srv.proc.wait(timeout=5), 0)
        finally:
            srv.kill()


def _listening_addresses(port: int) -> set[str]:
    """Local addresses with a socket listening on `port`, from /proc/net/tcp and tcp6."""
    found = set()
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(path) as table:
                rows = table.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            address, port_hex = fields[1].rsplit(":", 1)
            if int(port_hex, 16) != port or fields[3] != "0A":  # 0A: LISTEN
                continue
            if len(address) == 8:
                found.add(socket.inet_ntop(socket.AF_INET, bytes.fromhex(address)[::-1]))
            else:
                raw = bytes.fromhex(address)
                found.add(socket.inet_ntop(socket.AF_INET6, b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))))
    return found


if __name__ == "__main__":
    unittest.main()
