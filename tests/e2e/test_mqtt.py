"""sensor-server --mqtt against a real broker: each test starts its own mosquitto on a free port
of 127.0.0.1 (skipped when mosquitto is not installed) and watches it with mosquitto_sub and
mosquitto_pub."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

import server
from client import get, get_json, metrics, wait_until
from server import SensorServer, running_server


def _program(name: str) -> str | None:
    return shutil.which(name) or next((p for p in (f"/usr/sbin/{name}", f"/usr/local/sbin/{name}")
                                        if os.access(p, os.X_OK)), None)


MOSQUITTO = _program("mosquitto")
MOSQUITTO_SUB = _program("mosquitto_sub")
MOSQUITTO_PUB = _program("mosquitto_pub")
HAVE_MOSQUITTO = bool(MOSQUITTO and MOSQUITTO_SUB and MOSQUITTO_PUB)
SKIP_REASON = "mosquitto or its clients are not installed (apt-get install mosquitto mosquitto-clients)"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def accepts(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True
    return False


class Mosquitto:
    """A broker of the test's own: a free port on 127.0.0.1, anonymous, no persistence; started
    and stopped by PID (and killed by run_e2e.py's clean-up if the run is cut short)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="sensor-server-mqtt-")
        self.config = os.path.join(self.dir, "mosquitto.conf")
        with open(self.config, "w") as f:
            f.write(f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> "Mosquitto":
        self.proc = subprocess.Popen([MOSQUITTO, "-c", self.config], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        server.add_cleanup(id(self), self.stop)
        wait_until(lambda: accepts(self.port), 10, message=f"mosquitto listening on {self.port}")
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        server.remove_cleanup(id(self))

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    # -- clients -------------------------------------------------------------------------------
    def messages(self, topic: str, count: int = 1, timeout: float = 10,
                 extra: tuple[str, ...] = ()) -> list[tuple[bool, str]]:
        """(retained, payload) of the first `count` messages on `topic` (retained ones first)."""
        out = subprocess.run([MOSQUITTO_SUB, "-h", "127.0.0.1", "-p", str(self.port), "-t", topic, "-q", "1",
                              "-C", str(count), "-W", str(int(timeout)), "-F", "%r %p", *extra],
                             capture_output=True, text=True, timeout=timeout + 5)
        lines = [line for line in out.stdout.split("\n") if line]
        return [(line.split(" ", 1)[0] == "1", line.split(" ", 1)[1] if " " in line else "") for line in lines]

    def retained(self, topic: str, timeout: float = 5) -> str | None:
        """The retained payload of `topic`, or None if it has none."""
        got = self.messages(topic, 1, timeout, ("--retained-only",))
        return got[0][1] if got and got[0][0] else None

    def publish(self, topic: str, payload: str, retain: bool = False) -> None:
        subprocess.run([MOSQUITTO_PUB, "-h", "127.0.0.1", "-p", str(self.port), "-t", topic, "-q", "1", "-m", payload,
                        *(["-r"] if retain else [])], check=True, capture_output=True, timeout=10)


def reading_shape(reading: dict) -> set[str]:
    return set(reading)


def wait_retained(broker: Mosquitto, topic: str, predicate, timeout: float = 15, message: str = "retained"):
    return wait_until(lambda: (lambda v: v if v is not None and predicate(v) else None)(broker.retained(topic, 3)),
                      timeout, interval=0.2, message=message)


@unittest.skipUnless(HAVE_MOSQUITTO, SKIP_REASON)
class MqttPublishing(unittest.TestCase):
    def setUp(self) -> None:
        self.broker = Mosquitto().start()
        self.addCleanup(self.broker.close)

    def test_readings_arrive_retained_with_the_api_shape(self):
        with running_server("--sensor", "sim", "--interval", "0.2", "--mqtt", self.broker.url,
                            "--mqtt-topic", "test/dev1") as srv:
            payload = wait_retained(self.broker, "test/dev1/reading", lambda v: True, message="a retained reading")
            reading = json.loads(payload)
            api = get_json(srv.port, "/api/sensor")
            self.assertEqual(reading_shape(reading), reading_shape(api), "the same fields as /api/sensor")
            self.assertIsInstance(reading["ts"], int)
            self.assertLess(abs(reading["ts"] - time.time() * 1000), 10000)
            # Live readings follow, newer each time.
            live = self.broker.messages("test/dev1/reading", 3, 10)
            self.assertEqual(len(live), 3, live)
            stamps = [json.loads(p)["ts"] for _, p in live]
            self.assertEqual(stamps, sorted(stamps))
            self.assertEqual(self.broker.retained("test/dev1/status"), "online")
            m = metrics(srv.port)
            self.assertEqual(m['mqtt_connected{client="mqtt"}'], 1)
            self.assertGreaterEqual(m['mqtt_connections_total{client="mqtt"}'], 1)
            self.assertGreater(m['mqtt_messages_sent_total{client="mqtt"}'], 1)
            self.assertIn('mqtt_connection_losses_total{client="mqtt"}', m)
            self.assertIn('mqtt_messages_received_total{client="mqtt"}', m)
        # A clean shutdown (SIGTERM) says offline itself.
        self.assertEqual(self.broker.retained("test/dev1/status"), "offline")

    def test_a_killed_server_is_marked_offline_by_its_will(self):
        srv = SensorServer("--interval", "0.5", "--mqtt", self.broker.url, "--mqtt-topic", "test/dev2").start()
        try:
            wait_retained(self.broker, "test/dev2/status", lambda v: v == "online", message="status online")
            srv.proc.send_signal(signal.SIGKILL)
            srv.proc.wait(timeout=5)
            wait_retained(self.broker, "test/dev2/status", lambda v: v == "offline", message="the will: offline")
        finally:
            srv.kill()

    def test_the_default_prefix_is_sensors_and_the_hostname(self):
        with running_server("--interval", "0.5", "--mqtt", self.broker.url) as srv:
            hostname = get_json(srv.port, "/api/device")["hostname"].replace("/", "_").replace("+", "_").replace("#", "_")
            wait_retained(self.broker, f"sensors/{hostname}/status", lambda v: v == "online", message="sensors/<host>")

    def test_an_interval_command_changes_the_rhythm_and_a_bad_one_is_ignored(self):
        with running_server("--sensor", "sim", "--interval", "0.2", "--mqtt", self.broker.url,
                            "--mqtt-topic", "test/dev3") as srv:
            wait_retained(self.broker, "test/dev3/status", lambda v: v == "online", message="status online")
            wait_until(lambda: srv.stdout().count("connected to mqtt://") >= 1, 10, message="connected")
            # Retained: delivered when the subscription is made, should it come after this.
            self.broker.publish("test/dev3/cmd/interval", "1.5", retain=True)
            wait_until(lambda: get_json(srv.port, "/api/device")["interval_s"] == 1.5, 10, message="interval 1.5")
            self.assertIn("interval set to 1.5 s by test/dev3/cmd/interval", srv.stdout())
            stamps = [json.loads(p)["ts"] for _, p in self.broker.messages("test/dev3/reading", 4, 20, ("-R",))]
            self.assertEqual(len(stamps), 4)
            gaps = [b - a for a, b in zip(stamps, stamps[1:])]
            self.assertTrue(all(1000 <= gap <= 4000 for gap in gaps), f"about 1.5 s apart now: {gaps}")

            for bad in ("fast", "0.001", "100000", ""):
                self.broker.publish("test/dev3/cmd/interval", bad)
            wait_until(lambda: srv.stderr().count("ignored test/dev3/cmd/interval") >= 4, 10,
                       message="one log line per bad command")
            time.sleep(0.5)
            self.assertEqual(srv.stderr().count("ignored test/dev3/cmd/interval"), 4, srv.stderr())
            self.assertIn("ignored test/dev3/cmd/interval 'fast': needs a number of seconds from 0.01 to 86400",
                          srv.stderr())
            self.assertEqual(get_json(srv.port, "/api/device")["interval_s"], 1.5, "bad commands change nothing")
            self.assertTrue(srv.alive())
            self.assertEqual(self.broker.retained("test/dev3/status"), "online")

    def test_the_web_server_keeps_serving_while_the_broker_is_down(self):
        with running_server("--interval", "0.2", "--mqtt", self.broker.url, "--mqtt-topic", "test/dev4") as srv:
            wait_retained(self.broker, "test/dev4/status", lambda v: v == "online", message="status online")
            published = wait_until(lambda: metrics(srv.port)["mqtt_readings_published_total"], 10,
                                   message="readings acknowledged by the broker")
            self.broker.stop()
            wait_until(lambda: metrics(srv.port)['mqtt_connected{client="mqtt"}'] == 0, 10, message="disconnected")
            for _ in range(5):
                self.assertEqual(get(srv.port, "/api/sensor").status, 200)
                time.sleep(0.2)
            # Offline, nothing piles up: newer readings replace the one waiting, and are counted.
            offline = wait_until(lambda: (lambda m: m if m["mqtt_readings_dropped_total"] >= 3 else None)(metrics(srv.port)),
                                 10, message="readings replaced while the broker is away")
            self.assertLessEqual(offline["mqtt_readings_queued"], 2)
            self.assertGreaterEqual(offline["mqtt_readings_queued"], 1)
            self.assertGreaterEqual(offline["mqtt_readings_published_total"], published)
            self.broker.start()  # same port, empty (no persistence)
            wait_retained(self.broker, "test/dev4/status", lambda v: v == "online", timeout=45,
                          message="online again after the broker came back")
            wait_retained(self.broker, "test/dev4/reading", lambda v: "ts" in json.loads(v), timeout=20,
                          message="readings again")
            m = metrics(srv.port)
            self.assertGreaterEqual(m['mqtt_connection_losses_total{client="mqtt"}'], 1)
            self.assertGreaterEqual(m['mqtt_connections_total{client="mqtt"}'], 2)
            self.assertIn("lost", srv.stderr())

    def test_a_broker_down_at_start_does_not_stop_the_server(self):
        self.broker.stop()
        with running_server("--interval", "0.2", "--mqtt", self.broker.url, "--mqtt-topic", "test/dev5") as srv:
            self.assertEqual(get(srv.port, "/api/sensor").status, 200)
            wait_until(lambda: "not reachable" in srv.stderr(), 10, message="one line saying so")
            self.broker.start()
            wait_retained(self.broker, "test/dev5/status", lambda v: v == "online", timeout=45,
                          message="connected once the broker is up")


class MqttFlags(unittest.TestCase):
    def test_bad_urls_exit_2_with_one_clear_message(self):
        for url, says in (("mqtts://127.0.0.1:8883", "mqtts:// needs --mqtt-cafile FILE"),
                          ("http://127.0.0.1", "--mqtt needs mqtt://HOST[:PORT]"),
                          ("mqtt://127.0.0.1:99999", "--mqtt needs a port from 1 to 65535")):
            result = server.run_binary("--mqtt", url)
            self.assertEqual(result.returncode, 2, result)
            self.assertIn(says, result.stderr)
            self.assertEqual(result.stdout, "")
        result = server.run_binary("--fleet", "mqtts://x")
        self.assertEqual(result.returncode, 2)
        self.assertIn("--fleet", result.stderr)

    def test_help_lists_the_mqtt_flags(self):
        text = server.run_binary("--help").stdout
        for flag in ("--mqtt URL", "--mqtt-topic PREFIX", "--fleet URL", "--fleet-topic FILTER"):
            self.assertIn(flag, text)


if __name__ == "__main__":
    unittest.main()
