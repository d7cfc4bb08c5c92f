"""Starting and stopping the sensor-server binary for the end-to-end tests.

    with running_server("--sensor", "fixed:21.5") as srv:
        srv.base_url      # "http://127.0.0.1:PORT"
        srv.port

The server is started with ``--port 0``; the port is parsed from the line it prints on stdout
once it listens. Leaving the ``with`` block sends SIGTERM to that PID and asserts the process
exits with code 0 within a time-out (a hang is a failure, and the process is then killed). Every
process started here is remembered so that an interrupted run still kills it (by PID) at exit.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import resource
import select
import signal
import subprocess
import threading
import time

# Set by run_e2e.py from its argv[1]; the environment variable lets a single module run alone.
BINARY: str | None = os.environ.get("SENSOR_SERVER")

START_TIMEOUT = 10.0  # seconds for the "serving" line to appear
STOP_TIMEOUT = 5.0    # seconds for a graceful exit after SIGTERM

_SERVING = re.compile(r"^sensor-server: serving http://(?P<host>\[[^\]]+\]|[^:/]+):(?P<port>\d+)/")

_started: dict[int, subprocess.Popen] = {}
_cleanups: dict[int, object] = {}  # id -> callable, for other things a test started (a browser)


def add_cleanup(key: int, callback) -> None:
    """Registers `callback` to run if the run is cut short (watchdog, exit)."""
    _cleanups[key] = callback


def remove_cleanup(key: int) -> None:
    _cleanups.pop(key, None)


def kill_leftovers() -> None:
    """Kills, by PID, every server this module started that still runs; runs the cleanups."""
    for pid, proc in list(_started.items()):
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(Exception):
                proc.wait(timeout=5)
        _started.pop(pid, None)
    for key, callback in list(_cleanups.items()):
        with contextlib.suppress(Exception):
            callback()
        _cleanups.pop(key, None)


atexit.register(kill_leftovers)


def binary() -> str:
    if not BINARY:
        raise RuntimeError("sensor-server binary unknown: run via run_e2e.py PATH or set SENSOR_SERVER")
    return BINARY


def run_binary(*args: str, timeout: float = 10.0) -> subprocess.CompletedProcess:
    """Runs the binary to completion (for flags that make it exit at once)."""
    return subprocess.run([binary(), *args], capture_output=True, text=True, timeout=timeout)


class SensorServer:
    """One running sensor-server process."""

    def __init__(self, *flags: str, port: str | None = "0", preexec_fn=None, env: dict[str, str] | None = None):
        self.flags = list(flags)
        self.preexec_fn = preexec_fn  # run in the child before exec (limit_descriptors(), say)
        self.env = env                # the child's whole environment (None: this process's)
        args = [binary()]
        if port is not None:
            args += ["--port", port]
        args += self.flags
        self.args = args
        self.proc: subprocess.Popen | None = None
        self.host = ""
        self.port = 0
        self.serving_line = ""
        self._stdout: list[str] = []
        self._stderr: list[str] = []
        self._readers: list[threading.Thread] = []

    # -- lifetime --------------------------------------------------------------------------
    def start(self) -> "SensorServer":
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL, preexec_fn=self.preexec_fn, env=self.env)
        _started[self.proc.pid] = self.proc
        deadline = time.monotonic() + START_TIMEOUT
        fd = self.proc.stdout.fileno()
        pending = b""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.kill()
                raise AssertionError(f"{self.args}: no 'serving' line within {START_TIMEOUT} s; "
                                     f"stderr: {self.stderr()!r}")
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(fd, 4096)
            if not chunk:
                self.proc.wait(timeout=5)
                err = self.proc.stderr.read().decode(errors="replace")
                raise AssertionError(f"{self.args}: exited with {self.proc.returncode} before serving; "
                                     f"stderr: {err!r}")
            pending += chunk
            if b"\n" in pending:
                line, _, rest = pending.partition(b"\n")
                self.serving_line = line.decode(errors="replace")
                match = _SERVING.match(self.serving_line)
                if not match:
                    self.kill()
                    raise AssertionError(f"unexpected first line: {self.serving_line!r}")
                self.host = match["host"]
                self.port = int(match["port"])
                if rest:
                    self._stdout.append(rest.decode(errors="replace"))
                break
        # Drain both pipes so that --log output can never block the server.
        for pipe, sink in ((self.proc.stdout, self._stdout), (self.proc.stderr, self._stderr)):
            thread = threading.Thread(target=self._drain, args=(pipe, sink), daemon=True)
            thread.start()
            self._readers.append(thread)
        return self

    @staticmethod
    def _drain(pipe, sink: list[str]) -> None:
        for raw in iter(lambda: pipe.read1(65536) if hasattr(pipe, "read1") else pipe.read(65536), b""):
            sink.append(raw.decode(errors="replace"))

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = STOP_TIMEOUT) -> int:
        """SIGTERM by PID; returns the exit code (the process is killed if it does not exit)."""
        assert self.proc is not None
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise AssertionError(f"sensor-server (pid {self.proc.pid}) did not exit within {timeout} s "
                                     f"of SIGTERM") from None
        for thread in self._readers:
            thread.join(timeout=2)
        _started.pop(self.proc.pid, None)
        return self.proc.returncode

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGKILL)
            with contextlib.suppress(Exception):
                self.proc.wait(timeout=5)
        if self.proc is not None:
            _started.pop(self.proc.pid, None)

    # -- output ----------------------------------------------------------------------------
    def _output_complete(self) -> None:
        """Once the process has exited, what it wrote last may still be in the pipes: let the
        reader threads take it (they end at EOF) before the output is read."""
        if self.proc is not None and self.proc.poll() is not None:
            for thread in self._readers:
                thread.join(timeout=2)

    def stdout(self) -> str:
        self._output_complete()
        return "".join(self._stdout)

    def stderr(self) -> str:
        self._output_complete()
        return "".join(self._stderr)

    # -- what the process uses (from /proc) ----------------------------------------------------
    def cpu_seconds(self) -> float:
        """User + system CPU time the process has used so far."""
        with open(f"/proc/{self.proc.pid}/stat") as stat:
            # The command name (field 2) may hold spaces: count the fields after its ")".
            fields = stat.read().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime

    def open_fds(self) -> int:
        """How many descriptors the process has open."""
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))

    def sanitized(self) -> bool:
        """Whether the binary runs with AddressSanitizer or UndefinedBehaviorSanitizer."""
        with open(f"/proc/{self.proc.pid}/maps") as maps:
            text = maps.read()
        return "libasan" in text or "libubsan" in text

    def rss_bytes(self) -> int:
        """Resident set size (VmRSS)."""
        with open(f"/proc/{self.proc.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        raise AssertionError("no VmRSS line")

    # -- addresses -------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)


def limit_descriptors(count: int):
    """A preexec_fn for SensorServer: the child may have at most `count` descriptors open
    (the soft limit, as `ulimit -n COUNT` sets it)."""
    def apply() -> None:
        _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (count, hard))
    return apply


@contextlib.contextmanager
def running_server(*flags: str, expect_exit: int | None = 0, stop_timeout: float = STOP_TIMEOUT,
                   preexec_fn=None, env: dict[str, str] | None = None):
    """Starts a server, yields it, stops it with SIGTERM and checks the exit code."""
    srv = SensorServer(*flags, preexec_fn=preexec_fn, env=env).start()
    try:
        yield srv
    except BaseException:
        # The test already failed: still stop the server, but do not mask the real error.
        with contextlib.suppress(BaseException):
            srv.stop(timeout=stop_timeout)
        srv.kill()
        raise
    crashed = srv.proc.poll()
    if crashed is not None:
        raise AssertionError(f"sensor-server died during the test (exit {crashed}); stderr: {srv.stderr()[-2000:]!r}")
    code = srv.stop(timeout=stop_timeout)
    if expect_exit is not None and code != expect_exit:
        raise AssertionError(f"sensor-server exited with {code} after SIGTERM, expected {expect_exit}; "
                             f"stderr: {srv.stderr()[-2000:]!r}")


class ServerTestCase:
    """Mixin for unittest.TestCase classes: a fresh server per test, started with FLAGS.

    Each test gets its own process, so one test's broken connection (or a crash) cannot
    disturb the next; tearDown stops it with SIGTERM and fails the test unless it exits 0
    promptly: every test also checks graceful shutdown after its traffic.
    """

    FLAGS: tuple[str, ...] = ()
    srv: SensorServer

    def setUp(self) -> None:
        super().setUp()
        self.srv = SensorServer(*self.FLAGS).start()
        self.addCleanup(self._stop_server)

    def _stop_server(self) -> None:
        srv = self.srv
        crashed = srv.proc.poll()
        try:
            code = srv.stop()
        finally:
            srv.kill()
        if crashed is not None:
            raise AssertionError(f"sensor-server died during the test (exit {crashed}"
                                 f"{', signal ' + signal.Signals(-crashed).name if crashed < 0 else ''}); "
                                 f"stderr: {srv.stderr()[-2000:]!r}")
        if code != 0:
            raise AssertionError(f"sensor-server exited with {code} after SIGTERM; stderr: {srv.stderr()[-2000:]!r}")
