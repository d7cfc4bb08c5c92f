#!/usr/bin/env python3
"""Check that the dashboard stays small: the gzipped web assets must total under 20 KB.

    check_assets.py [FILE...]      (default: apps/sensor-server/web/*)

Prints each file's raw and gzipped size (compressed exactly as scripts/embed_assets.py does:
level 9, mtime 0) and exits 1 if the total is over the budget, or if a file holds what the
pages' Content-Security-Policy would block (inline scripts or styles, external URLs). What the
server fills into the page is checked end to end (tests/e2e), against the rendered page.
"""

import gzip
import os
import re
import sys

BUDGET = 20 * 1024
WEB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "apps", "sensor-server", "web")


def main(argv):
    files = argv or sorted(os.path.join(WEB, f) for f in os.listdir(WEB))
    problems, total_raw, total_gz = [], 0, 0
    for path in files:
        with open(path, "rb") as fh:
            data = fh.read()
        gz = len(gzip.compress(data, compresslevel=9, mtime=0))
        total_raw += len(data)
        total_gz += gz
        print(f"{os.path.basename(path):14} {len(data):7} B raw {gz:7} B gzip")
        text = data.decode("utf-8", errors="replace")
        if re.search(r"""(src|href)\s*=\s*["']?(https?:)?//|url\(\s*["']?(https?:)?//|@import""", text):
            problems.append(f"{path}: refers to an external resource")
        if path.endswith(".html"):
            if re.search(r"<style|\sstyle\s*=|\son[a-z]+\s*=", text, re.I):
                problems.append(f"{path}: inline style or event handler (blocked by the CSP)")
            if re.search(r"<script(?![^>]*\ssrc=)[^>]*>", text, re.I):
                problems.append(f"{path}: inline script (blocked by the CSP)")
    print(f"{'total':14} {total_raw:7} B raw {total_gz:7} B gzip (budget {BUDGET} B)")
    if total_gz >= BUDGET:
        problems.append(f"gzipped total {total_gz} B is over the {BUDGET} B budget")
    for p in problems:
        print("FAIL:", p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
