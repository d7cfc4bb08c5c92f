#!/usr/bin/env python3
"""Prints what TLS adds to a board program: the sizes of tls_footprint.elf and plain_footprint.elf
(flash = text + data, static RAM = data + bss) and, from their link maps, which libraries the
added flash comes from.

    embedded/tls/footprint_report.py BUILD/device
"""

import collections
import os
import re
import subprocess
import sys

# An input section placed in flash: its name, then (on the same line, or on the next when the name
# is long) its address, size and source.
SECTION = re.compile(r"^ (\.text|\.rodata|\.data|\.ARM\.extab|\.ARM\.exidx)\S*(.*)$")
PLACED = re.compile(r"^\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+(\S+)")


def sizes(elf: str) -> dict[str, int]:
    out = subprocess.run(["arm-none-eabi-size", elf], capture_output=True, text=True, check=True).stdout
    text, data, bss = (int(field) for field in out.splitlines()[1].split()[:3])
    return {"text": text, "data": data, "bss": bss, "flash": text + data, "ram": data + bss}


def flash_by_library(link_map: str) -> collections.Counter:
    """Bytes each archive (or object) placed in flash, from the map's placed input sections."""
    with open(link_map) as f:
        lines = f.read().split("Linker script and memory map", 1)[1].splitlines()
    placed: collections.Counter = collections.Counter()
    for i, line in enumerate(lines):
        section = SECTION.match(line)
        if not section:
            continue
        rest = PLACED.match(section.group(2)) or (PLACED.match(lines[i + 1]) if i + 1 < len(lines) else None)
        if rest:
            source = rest.group(2).split("(")[0]
            placed[os.path.basename(source)] += int(rest.group(1), 16)
    return placed


def main() -> int:
    folder = sys.argv[1]
    tls, plain = (os.path.join(folder, f"{name}.elf") for name in ("tls_footprint", "plain_footprint"))
    with_tls, without = sizes(tls), sizes(plain)
    print("bytes               with TLS   plain TCP   TLS adds")
    for key, label in (("flash", "flash (text+data)"), ("text", "  text"), ("data", "  data"),
                       ("ram", "static RAM (data+bss)"), ("bss", "  bss")):
        print(f"{label:<20}{with_tls[key]:>9,} {without[key]:>11,} {with_tls[key] - without[key]:>10,}")
    added = flash_by_library(tls + ".map")
    added.subtract(flash_by_library(plain + ".map"))
    print("\nflash added, by library (link maps):")
    for library, size in sorted(added.items(), key=lambda item: -item[1]):
        if abs(size) >= 256:
            print(f"{size:>10,}  {library}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
