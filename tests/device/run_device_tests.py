#!/usr/bin/python3
"""Device tests of sensor-server: boots the board image under QEMU (mps2-an385) and tests it from
the host over the forwarded port, the way a user on the LAN would.

    /usr/bin/python3 tests/device/run_device_tests.py embedded/build-mps2-an385/device/sensor_server.elf
    /usr/bin/python3 tests/device/run_device_tests.py ELF -k keep_alive -k leak
    /usr/bin/python3 tests/device/run_device_tests.py --linux build/apps/sensor-server/sensor-server

The last line printed is "N passed, M failed"; the exit status is 0 only if nothing failed. A
HardFault on the board's console ends the run at once with the faulting PC and the console's last
lines. A watchdog ends a stuck run. Only the QEMU (or server) process started here is killed, by
its PID. Use /usr/bin/python3: Debian's python3-websockets is installed for it.
"""

from __future__ import annotations

import argparse
import faulthandler
import os
import sys
import threading
import time
import unittest

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
E2E = os.path.join(os.path.dirname(HERE), "e2e")
WATCHDOG_SECONDS = 600

# Run order: the leak check last, after everything else has exercised the board.
MODULES = ["test_routes", "test_limits", "test_connections", "test_live", "test_browser", "test_memory"]


class CountingResult(unittest.TextTestResult):
    """A TextTestResult whose counts can be read from another thread while the run goes on."""

    lock = threading.Lock()
    passed_count = 0

    def addSuccess(self, test):
        super().addSuccess(test)
        with self.lock:
            CountingResult.passed_count += 1


def counts(result: unittest.TestResult) -> tuple[int, int]:
    """(passed, failed): failures and errors fail; skips are neither; an unexpected success fails."""
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    return CountingResult.passed_count + len(result.expectedFailures), failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("elf", nargs="?", help="the board image (sensor_server.elf)")
    parser.add_argument("--linux", metavar="BINARY", help="test the Linux build instead of the board")
    parser.add_argument("-k", dest="patterns", action="append", default=[],
                        help="only run tests whose name contains this substring (repeatable)")
    parser.add_argument("--qemu", default="qemu-system-arm", help="the QEMU executable")
    parser.add_argument("--console", metavar="FILE", help="also write the target's whole console to FILE")
    args = parser.parse_args()
    if bool(args.elf) == bool(args.linux):
        parser.error("give either the board's ELF or --linux BINARY")

    sys.path.insert(0, HERE)
    sys.path.insert(1, E2E)  # tests/e2e/client.py: the strict HTTP, SSE and WebSocket clients
    import target as target_module  # noqa: E402

    if args.linux:
        path = os.path.abspath(args.linux)
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            print(f"device: {path} is not an executable file", file=sys.stderr)
            print("0 passed, 1 failed")
            return 2
        device = target_module.LinuxServer(path)
    else:
        path = os.path.abspath(args.elf)
        if not os.path.isfile(path):
            print(f"device: {path} does not exist", file=sys.stderr)
            print("0 passed, 1 failed")
            return 2
        device = target_module.Board(path, args.qemu)

    faulthandler.enable()
    result_box: list[unittest.TestResult] = []
    finish_lock = threading.Lock()

    def abort(message: str, status: int) -> None:
        """Ends the run now (from any thread): prints `message`, kills our process, the counts."""
        if not finish_lock.acquire(blocking=False):
            return
        print(message, file=sys.stdout, flush=True)
        device.stop()
        passed, failed = counts(result_box[0]) if result_box else (0, 0)
        print(f"{passed} passed, {failed + 1} failed", flush=True)
        os._exit(status)

    def watchdog() -> None:
        print(f"\ndevice: still running after {WATCHDOG_SECONDS} s: giving up; where each thread was:",
              file=sys.stderr, flush=True)
        faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
        abort(f"device: watchdog fired after {WATCHDOG_SECONDS} s; console tail:\n{device.tail()}", 3)

    timer = threading.Timer(WATCHDOG_SECONDS, watchdog)
    timer.daemon = True
    timer.start()
    device.fault_callback = lambda report: abort(report, 1)

    started = time.monotonic()
    try:
        print(f"device: starting {device.name}: {path}", flush=True)
        device.start()
        print(f"device: {device.name} ready at {device.base_url}/ after {time.monotonic() - started:.1f} s"
              + (f"; DHCP lease {device.dhcp}" if device.is_board else ""), flush=True)
    except BaseException as error:  # noqa: BLE001  (anything here fails the run, cleanly)
        print(f"device: the target did not come up: {error}", flush=True)
        device.stop()
        timer.cancel()
        print("0 passed, 1 failed")
        return 1
    target_module.TARGET = device

    try:
        loader = unittest.TestLoader()
        if args.patterns:
            loader.testNamePatterns = [f"*{p}*" for p in args.patterns]
        found = sorted(name[:-3] for name in os.listdir(HERE) if name.startswith("test_") and name.endswith(".py"))
        missing = sorted(set(found) - set(MODULES))
        if missing:
            raise RuntimeError(f"test modules not in run_device_tests.MODULES: {missing}")
        suite = unittest.TestSuite(loader.loadTestsFromName(name) for name in MODULES)
        runner = unittest.TextTestRunner(verbosity=2, stream=sys.stdout, resultclass=CountingResult)
        original_make_result = runner._makeResult

        def make_result():
            result = original_make_result()
            result_box.append(result)
            return result

        runner._makeResult = make_result
        result = runner.run(suite)
    finally:
        # A fault or exit report in progress ends the process itself; wait for it a little.
        finish_lock.acquire(timeout=30)
        timer.cancel()
        if device.is_board:
            memories = device.memory_lines()
            if memories:
                last = memories[-1]
                print(f"device: board memory at the end: heap_in_use={last.heap_in_use} B, "
                      f"heap_peak={max(m.heap_peak for m in memories)} B, "
                      f"stack_high_water={max(m.stack_high_water for m in memories)} B, sockets={last.sockets}")
        device.stop()
        if args.console:
            with open(args.console, "w") as out:
                out.write("\n".join(device.lines) + "\n")

    elapsed = time.monotonic() - started
    passed, failed = counts(result)
    print(f"\ndevice: {result.testsRun} tests on {device.name} in {elapsed:.1f} s: {len(result.failures)} failed, "
          f"{len(result.errors)} errors, {len(result.skipped)} skipped")
    for test, reason in result.skipped:
        print(f"  skipped {test.id()}: {reason}")
    if result.testsRun == 0:
        print("device: no tests ran")
        failed += 1
    print(f"{passed} passed, {failed} failed", flush=True)
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
