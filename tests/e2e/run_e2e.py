#!/usr/bin/python3
"""End-to-end tests of sensor-server: runs every tests/e2e/test_*.py module against a binary.

    /usr/bin/python3 tests/e2e/run_e2e.py build/apps/sensor-server/sensor-server [-k PATTERN ...]

Exit status 0 only if every test passed (expected failures, listed in the summary, are the
server bugs known and reported). Use /usr/bin/python3: Debian's python3-websockets is for it.
A watchdog ends the run (with a traceback of every thread) before ctest's 600 s limit.
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
WATCHDOG_SECONDS = 540


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary", help="path to the sensor-server executable")
    parser.add_argument("-k", dest="patterns", action="append", default=[],
                        help="only run tests whose name contains this substring (repeatable)")
    parser.add_argument("-q", "--quiet", action="store_true", help="one character per test")
    args = parser.parse_args()

    binary = os.path.abspath(args.binary)
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        print(f"run_e2e.py: {binary} is not an executable file", file=sys.stderr)
        return 2

    sys.path.insert(0, HERE)
    import server  # noqa: E402  (needs the path above)

    server.BINARY = binary
    os.environ["SENSOR_SERVER"] = binary

    faulthandler.enable()

    def watchdog() -> None:
        print(f"\ne2e: still running after {WATCHDOG_SECONDS} s: giving up; where each thread was:",
              file=sys.stderr, flush=True)
        faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
        server.kill_leftovers()  # the servers and browsers this run started, by PID
        os._exit(3)

    timer = threading.Timer(WATCHDOG_SECONDS, watchdog)
    timer.daemon = True
    timer.start()

    loader = unittest.TestLoader()
    if args.patterns:
        loader.testNamePatterns = [f"*{p}*" for p in args.patterns]
    suite = loader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)

    started = time.monotonic()
    runner = unittest.TextTestRunner(verbosity=1 if args.quiet else 2, stream=sys.stdout)
    result = runner.run(suite)
    elapsed = time.monotonic() - started
    timer.cancel()

    print(f"\ne2e: {result.testsRun} tests in {elapsed:.1f} s: "
          f"{len(result.failures)} failed, {len(result.errors)} errors, "
          f"{len(result.skipped)} skipped, {len(result.expectedFailures)} expected failures (known server bugs), "
          f"{len(result.unexpectedSuccesses)} unexpected successes")
    for test, _ in result.expectedFailures:
        print(f"  known server bug: {test.id()}")
    for test in result.unexpectedSuccesses:
        print(f"  now passes (remove expectedFailure): {test.id()}")
    if result.testsRun == 0:
        print("e2e: no tests ran", file=sys.stderr)
        return 1
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
