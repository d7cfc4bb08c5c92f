"""The device under test, shared by every test module of this folder.

Two kinds of target:

* ``Board``: the sensor-server image booted under ``qemu-system-arm -M mps2-an385`` with the
  board's port 80 forwarded to a free port on 127.0.0.1. A reader thread collects the console
  (QEMU's stdout): the DHCP line, the MEMORY lines, and a ``*** HardFault`` report, which ends the
  run at once (see ``Board.on_fault``).
* ``LinuxServer``: the Linux build of sensor-server started with ``--port PORT --host 127.0.0.1``
  and the board's settings; the board-only checks (DHCP line, MEMORY, HardFault, the address
  10.0.2.15) are skipped.

``TARGET`` is set by run_device_tests.py before the tests run. Only processes started here are
stopped, by PID.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field

HOST = "127.0.0.1"

# What QEMU's user network (slirp) gives the guest by DHCP.
EXPECTED_NETWORK = {"ip": "10.0.2.15", "netmask": "255.255.255.0", "gateway": "10.0.2.2", "dns": "10.0.2.3"}

BOOT_TIMEOUT = 60.0   # seconds for the DHCP line after QEMU starts
READY_TIMEOUT = 60.0  # seconds for GET /healthz to answer 200 after that
PORT_ATTEMPTS = 5     # QEMU start attempts when the forwarded port was taken in between

DHCP_LINE = re.compile(r"^DHCP ip (?P<ip>\S+) netmask (?P<netmask>\S+) gateway (?P<gateway>\S+) dns (?P<dns>\S+)\s*$")
SERVING_LINE = re.compile(r"^sensor-server: serving http://(?P<host>[^:/]+):(?P<port>\d+)/")
MEMORY_LINE = re.compile(r"^MEMORY heap_in_use=(?P<heap_in_use>\d+) heap_peak=(?P<heap_peak>\d+) "
                         r"stack_high_water=(?P<stack_high_water>\d+) sockets=(?P<sockets>\d+)(?P<more>(?: \w+=\S+)*)\s*$")
FAULT_REGISTER = re.compile(r"^\s*(?P<name>pc|lr|sp)=(?P<value>0x[0-9a-fA-F]+)\s*$")
HOSTFWD_FAILED = "Could not set up host forwarding rule"

TARGET: "Target | None" = None


def target() -> "Target":
    if TARGET is None:
        raise RuntimeError("no target: run the tests with run_device_tests.py")
    return TARGET


def free_port() -> int:
    """A port on 127.0.0.1 that nobody listens on right now (bind port 0, read it, close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@dataclass
class Memory:
    """One MEMORY line of the board's console, and when (monotonic) the reader saw it."""
    heap_in_use: int
    heap_peak: int
    stack_high_water: int
    sockets: int
    seen_at: float
    index: int  # position in the console's line list
    more: dict[str, str] = field(default_factory=dict)  # further figures (rx_dropped=0 ...)


class Target:
    """What the tests need from any target."""

    is_board = False
    name = "target"

    def __init__(self):
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self.lines: list[str] = []            # console lines (stdout), in order
        self.line_times: list[float] = []     # when (monotonic) each console line was read
        self.cond = threading.Condition()
        self.readers: list[threading.Thread] = []
        self.fault_callback = None            # set by the runner: called with a report text
        self.stopping = False                 # set once we stop the process ourselves
        self.started = False                  # set once the target is up (exits count from then)

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    # -- the process ---------------------------------------------------------------------------
    def _spawn(self, args: list[str]) -> None:
        # One console: QEMU writes the board's semihosting output to its stderr (and its own
        # messages there too); the Linux server prints the serving line on stdout, logs on stderr.
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.readers = [threading.Thread(target=self._read, args=(self.proc.stdout, self.lines, True),
                                         name="console", daemon=True)]
        for reader in self.readers:
            reader.start()

    def _read(self, pipe, sink: list[str], console: bool) -> None:
        """Collects the lines of `pipe` (the console when `console`)."""
        for raw in iter(pipe.readline, b""):
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            with self.cond:
                sink.append(line)
                if console:
                    self.line_times.append(time.monotonic())
                self.cond.notify_all()
            if console:
                self.on_line(line)
        with self.cond:
            self.cond.notify_all()
        if console:
            self.on_exit()

    def on_exit(self) -> None:
        """The console ended. If the target stopped on its own during the run (a board's abort or
        semihosting exit, a crashed server), the run cannot go on: report it at once. A
        HardFault also ends QEMU; its own report covers that case."""
        if not self.started or self.stopping or self.fault_callback is None:
            return
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        time.sleep(0.3)  # let the HardFault reporter (if any) claim the report first
        if self.stopping or getattr(self, "fault_seen_at", None) is not None:
            return
        self.fault_callback(f"\ndevice: *** the {self.name} target stopped during the run (exit status "
                            f"{self.proc.returncode}); console tail:\n{self.tail()}")

    def on_line(self, line: str) -> None:
        """Called by the console reader for every line (the board watches for faults here)."""

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        """Kills the process this target started (by its PID), and only it."""
        proc = self.proc
        if proc is None:
            return
        self.stopping = True
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
        for reader in self.readers:
            reader.join(timeout=2)

    # -- the console ---------------------------------------------------------------------------
    def wait_for_line(self, pattern: re.Pattern, timeout: float, start: int = 0) -> re.Match:
        """The first console line from index `start` on that matches `pattern` (bounded wait)."""
        deadline = time.monotonic() + timeout
        with self.cond:
            index = start
            while True:
                while index < len(self.lines):
                    match = pattern.search(self.lines[index])
                    if match:
                        return match
                    index += 1
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no console line matching {pattern.pattern!r} within {timeout} s; "
                                         f"console tail:\n{self.tail()}")
                if not self.alive():
                    raise AssertionError(f"the target exited ({self.proc.returncode if self.proc else None}) "
                                         f"before a line matching {pattern.pattern!r}; console tail:\n{self.tail()}")
                self.cond.wait(min(remaining, 0.5))

    def tail(self, n: int = 40) -> str:
        with self.cond:
            lines = self.lines[-n:]
        return "\n".join(f"  | {line}" for line in lines) or "  | (nothing)"

    # -- readiness -----------------------------------------------------------------------------
    def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        """GET /healthz until it answers 200 "ok". A TCP connect alone proves nothing on QEMU:
        slirp accepts the host's connection before the guest does."""
        deadline = time.monotonic() + timeout
        last = "no attempt"
        while time.monotonic() < deadline:
            if not self.alive():
                raise AssertionError(f"the target exited ({self.proc.returncode}) while waiting for /healthz; "
                                     f"console tail:\n{self.tail()}")
            conn = http.client.HTTPConnection(HOST, self.port, timeout=3)
            try:
                conn.request("GET", "/healthz")
                resp = conn.getresponse()
                body = resp.read()
                if resp.status == 200 and body.strip() == b"ok":
                    return
                last = f"{resp.status} {body[:80]!r}"
            except (OSError, http.client.HTTPException) as error:
                last = repr(error)
            finally:
                conn.close()
            time.sleep(0.2)
        raise AssertionError(f"GET /healthz never answered 200 ok within {timeout} s (last: {last}); "
                             f"console tail:\n{self.tail()}")

    # -- board-only facts (the Linux target has none) -------------------------------------------
    def memory_lines(self, start: int = 0) -> list[Memory]:
        return []


class LinuxServer(Target):
    """The Linux build of sensor-server, with the board's settings, on 127.0.0.1."""

    name = "linux"

    def __init__(self, binary: str):
        super().__init__()
        self.binary = binary

    def start(self) -> None:
        self.port = free_port()
        self._spawn([self.binary, "--host", HOST, "--port", str(self.port), "--sensor", "sim", "--interval", "1",
                     "--history", "120", "--max-connections", "12"])
        match = self.wait_for_line(SERVING_LINE, timeout=10)
        if int(match["port"]) != self.port:
            raise AssertionError(f"the server says it serves port {match['port']}, asked for {self.port}")
        self.wait_ready()
        self.started = True


class Board(Target):
    """The board image under QEMU (mps2-an385), its console read line by line."""

    is_board = True
    name = "mps2-an385"

    def __init__(self, elf: str, qemu: str = "qemu-system-arm"):
        super().__init__()
        self.elf = elf
        self.qemu = qemu
        self.dhcp: dict[str, str] = {}
        self.fault_seen_at: float | None = None
        self._fault_lock = threading.Lock()
        self.boot_memory: Memory | None = None   # the last MEMORY line before the first test

    def args(self, port: int) -> list[str]:
        return [self.qemu, "-M", "mps2-an385", "-cpu", "cortex-m3", "-nographic",
                "-semihosting-config", "enable=on,target=native",
                "-nic", f"user,hostfwd=tcp:{HOST}:{port}-:80", "-kernel", self.elf]

    def start(self) -> None:
        for attempt in range(1, PORT_ATTEMPTS + 1):
            self.port = free_port()
            self.lines.clear()
            self.line_times.clear()
            self.stopping = False
            self._spawn(self.args(self.port))
            deadline = time.monotonic() + BOOT_TIMEOUT
            # Either the DHCP line comes, or QEMU gives up (a port taken since we probed it).
            while time.monotonic() < deadline:
                with self.cond:
                    if any(HOSTFWD_FAILED in line for line in self.lines):
                        break
                    if any(DHCP_LINE.search(line) for line in self.lines):
                        break
                    if not self.alive():
                        break
                    self.cond.wait(0.2)
            with self.cond:
                hostfwd_failed = any(HOSTFWD_FAILED in line for line in self.lines)
            if hostfwd_failed:
                self.stop()
                print(f"device: port {self.port} could not be forwarded (attempt {attempt}), trying another",
                      flush=True)
                continue
            break
        else:
            raise AssertionError(f"QEMU could not forward a port after {PORT_ATTEMPTS} attempts")
        match = self.wait_for_line(DHCP_LINE, timeout=max(0.1, deadline - time.monotonic()))
        self.dhcp = {key: match[key] for key in EXPECTED_NETWORK}
        if self.dhcp != EXPECTED_NETWORK:
            raise AssertionError(f"the board's DHCP lease is {self.dhcp}, expected {EXPECTED_NETWORK}")
        self.wait_for_line(SERVING_LINE, timeout=10)
        # The first MEMORY line comes a second after the server started, before any client
        # connected: its socket count is the idle one (the listener).
        self.wait_for_line(MEMORY_LINE, timeout=10)
        self.boot_memory = self.memory_lines()[0]
        self.wait_ready()
        self.started = True

    # -- faults --------------------------------------------------------------------------------
    def on_line(self, line: str) -> None:
        if "HardFault" not in line:
            return
        with self._fault_lock:
            if self.fault_seen_at is not None:
                return
            self.fault_seen_at = time.monotonic()
        # The registers follow on the next lines: wait (briefly) for them, then report.
        threading.Thread(target=self._report_fault, name="fault", daemon=True).start()

    def fault_registers(self) -> dict[str, str]:
        with self.cond:
            lines = list(self.lines)
        start = max(i for i, line in enumerate(lines) if "HardFault" in line)
        found = {}
        for line in lines[start + 1:start + 8]:
            match = FAULT_REGISTER.match(line)
            if match:
                found[match["name"]] = match["value"]
        return found

    def _report_fault(self) -> None:
        deadline = time.monotonic() + 2.0
        registers = {}
        while time.monotonic() < deadline:
            registers = self.fault_registers()
            if {"pc", "lr", "sp"} <= registers.keys() or not self.alive():
                registers = self.fault_registers()
                break
            time.sleep(0.05)
        pc = registers.get("pc", "unknown (no pc= line)")
        report = (f"\ndevice: *** the board took a HardFault: faulting PC {pc}"
                  + (f" (lr {registers['lr']}, sp {registers['sp']})" if {"lr", "sp"} <= registers.keys() else "")
                  + f"\n  find it with: arm-none-eabi-addr2line -C -f -e {self.elf} {pc}"
                  + f"\ndevice: console tail:\n{self.tail()}")
        if self.fault_callback is not None:
            self.fault_callback(report)

    # -- memory --------------------------------------------------------------------------------
    def memory_lines(self, start: int = 0) -> list[Memory]:
        with self.cond:
            lines = list(zip(range(len(self.lines)), self.lines, self.line_times))[start:]
        found = []
        for index, line, seen_at in lines:
            match = MEMORY_LINE.match(line)
            if match:
                more = dict(pair.split("=", 1) for pair in match["more"].split())
                found.append(Memory(int(match["heap_in_use"]), int(match["heap_peak"]),
                                    int(match["stack_high_water"]), int(match["sockets"]), seen_at, index, more))
        return found

    def settled_memory(self, since: float, quiet: float = 2.5, timeout: float = 30.0) -> Memory:
        """The board's memory figures once they have settled: the board prints a MEMORY line at
        most once a second and only when a figure changed, so once `quiet` seconds have passed
        with no new line (and at least that long since `since`, the moment the caller closed its
        connections), the last line printed is the state now. Bounded by `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            now = time.monotonic()
            memories = self.memory_lines()
            if not memories:
                raise AssertionError(f"the board printed no MEMORY line; console tail:\n{self.tail()}")
            last = memories[-1]
            if now - since >= quiet and now - last.seen_at >= quiet:
                return last
            if now > deadline:
                raise AssertionError(f"the MEMORY figures did not settle within {timeout} s; "
                                     f"console tail:\n{self.tail()}")
            time.sleep(0.1)


# ---- the base of every test class ----------------------------------------------------------------

import unittest  # noqa: E402  (kept next to its only user)


class DeviceTestCase(unittest.TestCase):
    """Gives each test the target (`self.target`), its port and `base_url`."""

    target: Target
    port: int

    @classmethod
    def setUpClass(cls):
        cls.target = target()
        cls.port = cls.target.port
        cls.base_url = cls.target.base_url

    def require_board(self, what: str) -> None:
        if not self.target.is_board:
            self.skipTest(f"board only ({what}); the target is {self.target.name}")
