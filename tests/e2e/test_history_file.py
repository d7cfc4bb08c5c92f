"""--history-file: the history survives a restart (same values, times and ids), a smaller --history
keeps the newest, the file is rewritten at a bounded rate and at SIGINT/SIGTERM, a damaged,
unreadable or foreign file is said once and set aside while the server serves, and a folder the
server cannot write in exits 2."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

from client import SSEClient, get, get_json, wait_until
from server import SensorServer, binary, run_binary, running_server

HEADER = {"format": "sensor-server history", "version": 1}
NOBODY = 65534


def unprivileged():
    """A preexec_fn that makes the child an ordinary user, so that file modes apply to it (root
    reads and writes whatever the mode says); None when the tests do not run as root."""
    if os.geteuid() != 0:
        return None

    def drop() -> None:
        os.setgroups([])
        os.setgid(NOBODY)
        os.setuid(NOBODY)
    return drop


def read_lines(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as file:
        return [json.loads(line) for line in file if line.strip()]


def readings_of(lines: list[dict]) -> list[dict]:
    """The readings as /api/history serves them (the file's lines without their id)."""
    return [{key: value for key, value in line.items() if key != "id"} for line in lines[1:]]


def history_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "--history-file" in line]


class HistoryFileTestCase(unittest.TestCase):
    def setUp(self) -> None:
        self.folder = tempfile.mkdtemp(prefix="history-file-")
        os.chmod(self.folder, 0o755)
        self.addCleanup(shutil.rmtree, self.folder, True)
        self.path = os.path.join(self.folder, "history.jsonl")

    def run_until(self, count: int, *flags: str) -> list[dict]:
        """Runs a server taking readings every 50 ms until its history holds `count`, stops it with
        SIGTERM; returns the history it served last."""
        with running_server("--sensor", "sim", "--interval", "0.05", "--history-file", self.path, *flags) as srv:
            wait_until(lambda: len(get_json(srv.port, "/api/history")) >= count, timeout=10,
                       message=f"{count} readings")
            served = get_json(srv.port, "/api/history")
        return served

    def write_file(self, text: str | bytes) -> bytes:
        data = text.encode() if isinstance(text, str) else text
        with open(self.path, "wb") as file:
            file.write(data)
        return data


class Restart(HistoryFileTestCase):
    def test_readings_survive_a_sigterm_restart_with_the_same_values_and_times(self):
        before = self.run_until(20, "--history", "1000")
        lines = read_lines(self.path)
        self.assertEqual({k: lines[0][k] for k in HEADER}, HEADER)
        self.assertEqual(lines[0]["sensor"], "sim")
        saved = readings_of(lines)
        self.assertEqual(saved[:len(before)], before, "the file holds what was served, bit for bit")
        self.assertEqual([line["id"] for line in lines[1:]], list(range(1, len(saved) + 1)))
        self.assertFalse(os.path.exists(self.path + ".tmp"), "no temporary file left behind")

        # A long interval: the restarted server adds only its first reading.
        with running_server("--sensor", "sim", "--interval", "60", "--history", "1000",
                            "--history-file", self.path) as srv:
            after = get_json(srv.port, "/api/history")
            self.assertEqual(after[:len(saved)], saved, "same values and timestamps after the restart")
            self.assertEqual(len(after), len(saved) + 1)
            self.assertGreater(after[-1]["ts"], saved[-1]["ts"], "then this run's first reading")
            self.assertEqual(history_lines(srv.stderr()), [], "a good file is loaded silently")
        # And the file now holds both runs.
        self.assertEqual(readings_of(read_lines(self.path)), after)

    def test_ids_go_on_so_that_last_event_id_resumes_across_a_restart(self):
        with running_server("--sensor", "sim", "--interval", "0.05", "--history-file", self.path) as srv:
            with SSEClient(srv.port) as events:
                seen = [int(events.next_event(timeout=5).id) for _ in range(5)]
        self.assertEqual(seen, list(range(seen[0], seen[0] + 5)))
        saved = read_lines(self.path)[1:]
        last_saved = saved[-1]["id"]
        self.assertGreaterEqual(last_saved, seen[-1])
        with running_server("--sensor", "sim", "--interval", "60", "--history-file", self.path) as srv:
            # A browser reconnecting with the last id it got before the restart.
            with SSEClient(srv.port, last_event_id=str(seen[-1])) as events:
                got = [events.next_event(timeout=5) for _ in range(last_saved - seen[-1] + 1)]
        self.assertEqual([int(event.id) for event in got], list(range(seen[-1] + 1, last_saved + 2)),
                         "what it missed, then this run's first reading with the next id")
        by_id = {line["id"]: {k: v for k, v in line.items() if k != "id"} for line in saved}
        for event in got[:-1]:
            self.assertEqual(json.loads(event.data), by_id[int(event.id)])

    def test_a_smaller_history_on_restart_keeps_the_newest(self):
        self.run_until(20, "--history", "50")
        saved = readings_of(read_lines(self.path))
        self.assertGreaterEqual(len(saved), 20)
        with running_server("--sensor", "sim", "--interval", "60", "--history", "5",
                            "--history-file", self.path) as srv:
            after = get_json(srv.port, "/api/history")
        self.assertEqual(len(after), 5)
        self.assertEqual(after[:4], saved[-4:], "the newest of the file, then this run's first reading")
        lines = read_lines(self.path)
        self.assertEqual(readings_of(lines), after, "the file is bounded by --history too")
        self.assertEqual([line["id"] for line in lines[1:]], list(range(len(saved) - 3, len(saved) + 2)))

    def test_sigint_saves_too(self):
        srv = SensorServer("--sensor", "sim", "--interval", "0.05", "--history-file", self.path).start()
        try:
            wait_until(lambda: len(get_json(srv.port, "/api/history")) >= 3, timeout=5, message="3 readings")
            os.kill(srv.proc.pid, signal.SIGINT)
            self.assertEqual(srv.proc.wait(timeout=5), 0)
        finally:
            srv.kill()
        self.assertGreaterEqual(len(read_lines(self.path)) - 1, 3)

    def test_the_file_is_rewritten_every_10_s_not_at_every_reading(self):
        seen = set()
        with running_server("--sensor", "sim", "--interval", "0.05", "--history-file", self.path):
            deadline = time.monotonic() + 12.5
            while time.monotonic() < deadline:
                try:
                    status = os.stat(self.path)
                    seen.add((status.st_ino, status.st_mtime_ns))
                except FileNotFoundError:
                    pass
                time.sleep(0.05)
            self.assertTrue(seen, "written while running (within 10 s), not only at shutdown")
            self.assertLessEqual(len(seen), 2, "about 240 readings in 12 s, one or two writes")
            lines = read_lines(self.path)  # whole: written to a temporary file, then renamed
            self.assertGreaterEqual(len(lines) - 1, 100)
            self.assertEqual([line["id"] for line in lines[1:]], list(range(1, len(lines))))


class RejectedFiles(HistoryFileTestCase):
    def check_set_aside(self, srv: SensorServer, original: bytes, mentions: list[str]) -> None:
        """One message naming the file and `mentions`; the server serves; the file is kept as
        PATH.rejected, byte for byte."""
        wait_until(lambda: history_lines(srv.stderr()), timeout=5, message="the message")
        time.sleep(0.2)
        lines = history_lines(srv.stderr())
        self.assertEqual(len(lines), 1, srv.stderr())
        self.assertEqual(len(srv.stderr().splitlines()), 1, "one line on stderr in all")
        for text in [self.path, self.path + ".rejected", *mentions]:
            self.assertIn(text, lines[0])
        self.assertEqual(get(srv.port, "/api/sensor").status, 200)
        self.assertEqual(get(srv.port, "/").status, 200)
        with open(self.path + ".rejected", "rb") as file:
            self.assertEqual(file.read(), original, "set aside, never overwritten")

    def test_a_damaged_file_gives_one_message_and_the_server_serves(self):
        original = self.write_file(b"\x00\xffnot json at all\n{\"id\":\n")
        with running_server("--sensor", "fixed:21.5", "--interval", "60", "--history-file", self.path) as srv:
            self.check_set_aside(srv, original, ["not a sensor-server history file", "empty history"])
            self.assertEqual(len(get_json(srv.port, "/api/history")), 1, "an empty history, then the first reading")
        lines = read_lines(self.path)
        self.assertEqual(lines[0]["sensor"], "fixed:21.5", "a new file is written")
        self.assertEqual(len(lines), 2)

    def test_a_file_damaged_midway_keeps_the_readings_before_the_damage(self):
        good = [{"id": i, "ts": 1_700_000_000_000 + i * 1000, "temperature_c": 20 + i / 4} for i in range(1, 4)]
        text = json.dumps({**HEADER, "sensor": "fixed:21.5"}) + "\n"
        text += "".join(json.dumps(line) + "\n" for line in good)
        text += '{"id":4,"ts":oops}\n' + json.dumps({"id": 5, "ts": 1_700_000_005_000, "temperature_c": 1}) + "\n"
        original = self.write_file(text)
        with running_server("--sensor", "fixed:21.5", "--interval", "60", "--history-file", self.path) as srv:
            self.check_set_aside(srv, original, ["line 5", "3 readings"])
            served = get_json(srv.port, "/api/history")
        self.assertEqual(served[:3], readings_of([{}, *good]))
        self.assertEqual(len(served), 4)
        self.assertEqual([line["id"] for line in read_lines(self.path)[1:]], [1, 2, 3, 4], "ids go on")

    def test_a_file_of_another_sensor_is_set_aside(self):
        self.run_until(3)  # sim
        with open(self.path, "rb") as file:
            original = file.read()
        with running_server("--sensor", "fixed:21.5", "--interval", "60", "--history-file", self.path) as srv:
            self.check_set_aside(srv, original, ["sim", "fixed:21.5"])
            self.assertEqual(get_json(srv.port, "/api/history"), [get_json(srv.port, "/api/sensor")])

    def test_an_unreadable_file_gives_one_message_and_the_server_serves(self):
        original = self.write_file(json.dumps({**HEADER, "sensor": "sim"}) + "\n")
        os.chmod(self.path, 0)
        if os.geteuid() == 0:
            os.chown(self.folder, NOBODY, NOBODY)
            os.chown(self.path, NOBODY, NOBODY)
        srv = SensorServer("--sensor", "sim", "--interval", "60", "--history-file", self.path,
                           preexec_fn=unprivileged()).start()
        try:
            self.check_set_aside(srv, original, ["cannot be read", "Permission denied"])
        finally:
            self.assertEqual(srv.stop(), 0)
        self.assertEqual(len(read_lines(self.path)), 2, "a new file, readable")


class FailedWrites(HistoryFileTestCase):
    def test_a_write_that_fails_is_said_once_and_the_file_stays_whole(self):
        self.run_until(5)
        with open(self.path, "rb") as file:
            before = file.read()
        if os.geteuid() == 0:
            os.chown(self.folder, NOBODY, NOBODY)
        srv = SensorServer("--sensor", "sim", "--interval", "0.05", "--history-file", self.path,
                           preexec_fn=unprivileged()).start()
        try:
            wait_until(lambda: len(get_json(srv.port, "/api/history")) >= 8, timeout=5, message="new readings")
            os.chmod(self.folder, 0o555)  # as a disk that became full or read-only: the last write fails
            self.assertEqual(srv.stop(), 0, "the server still stops cleanly")
        finally:
            srv.kill()
            os.chmod(self.folder, 0o755)
        lines = history_lines(srv.stderr())
        self.assertEqual(len(lines), 1, srv.stderr())
        self.assertIn("could not be saved", lines[0])
        self.assertIn("Permission denied", lines[0])
        with open(self.path, "rb") as file:
            self.assertEqual(file.read(), before, "the file of the run before, whole")
        self.assertFalse(os.path.exists(self.path + ".tmp"))


class BadPaths(HistoryFileTestCase):
    def run_to_exit(self, *flags: str, preexec_fn=None) -> subprocess.CompletedProcess:
        return subprocess.run([binary(), "--port", "0", *flags], capture_output=True, text=True, timeout=10,
                              preexec_fn=preexec_fn)

    def test_a_folder_the_server_cannot_write_in_exits_2_with_a_message(self):
        locked = os.path.join(self.folder, "locked")
        os.mkdir(locked, 0o555)
        os.chmod(locked, 0o555)
        path = os.path.join(locked, "history.jsonl")
        done = self.run_to_exit("--history-file", path, preexec_fn=unprivileged())
        self.assertEqual(done.returncode, 2, done.stderr)
        self.assertNotIn("serving", done.stdout)
        self.assertIn(f"--history-file {path}", done.stderr)
        self.assertIn(f"cannot create files in {locked}", done.stderr)
        self.assertIn("Permission denied", done.stderr)
        self.assertEqual(os.listdir(locked), [])

    def test_other_paths_that_cannot_be_kept_exit_2(self):
        cases = [(os.path.join(self.folder, "missing", "history.jsonl"), "No such file or directory"),
                 (self.folder, "folder"),
                 ("/dev/null", "not a regular file"),
                 ("", "needs a file name")]
        for path, mention in cases:
            with self.subTest(path=path):
                done = self.run_to_exit("--history-file", path)
                self.assertEqual(done.returncode, 2, done.stderr)
                self.assertIn("--history-file", done.stderr)
                self.assertIn(mention, done.stderr)
                self.assertNotIn("serving", done.stdout)

    def test_help_explains_the_flag(self):
        text = run_binary("--help").stdout
        for words in ("--history-file PATH", "JSON lines", "every 10 s", "SIGINT/SIGTERM", "fsync", "rename",
                      "PATH.rejected", "exits 2"):
            self.assertIn(words, " ".join(text.split()))


if __name__ == "__main__":
    unittest.main()
