#!/usr/bin/python3
"""Compiles every C++ snippet of README.md, so that what a reader copies compiles as shown.

    /usr/bin/python3 tests/docs/check_readme_snippets.py CXX SOURCE_DIR

Three kinds of snippet:
- the lecture's server, the right-hand column of the side-by-side ```python block: a whole
  program, compiled as it stands;
- a ```cpp block of statements with `co_await` (how to use TLS, MQTT): compiled as the body of a
  coroutine, after the declarations the README's text around it names (`handle`, ...);
- a ```cpp block that defines a class (a sensor source): compiled at namespace scope after the
  README's includes and the functions it calls.
Each is compiled with -fsyntax-only, as C++20, against include/ (and apps/sensor-server/).
Exit status 0 only if every snippet compiles; a README without the lecture block fails too.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile

LECTURE_COLUMN = 48  # where "// C++ with this library" starts in the side-by-side block

PRELUDE = """#include <asyncio/asyncio.hpp>
#include <asyncio/io/tls.hpp>
#include <asyncio/mqtt/mqtt.hpp>
#include "sensors.hpp"
using namespace std::chrono_literals;
asyncio::Task<> handle(asyncio::Stream stream);  // the handler of the lecture's server
double read_temperature();
double read_humidity();
double read_pressure();
"""


def blocks(text: str, language: str) -> list[tuple[int, str]]:
    """(line number, body) of each fenced block of `language`."""
    found = []
    for match in re.finditer(r"^```" + language + r"\n(.*?)^```", text, re.M | re.S):
        found.append((text.count("\n", 0, match.start()) + 1, match.group(1)))
    return found


def lecture_program(text: str) -> str | None:
    for _, body in blocks(text, "python"):
        if "// C++ with this library" in body:
            return "\n".join(line[LECTURE_COLUMN:] for line in body.splitlines()) + "\n"
    return None


def as_translation_unit(body: str) -> str:
    if re.search(r"^\s*(class|struct)\s", body, re.M):
        return PRELUDE + body
    return PRELUDE + "asyncio::Task<> snippet() {\n" + body + "}\n"


def compiles(cxx: str, source_dir: str, name: str, source: str) -> bool:
    with tempfile.NamedTemporaryFile("w", suffix=".cpp", delete=False) as f:
        f.write(source)
        path = f.name
    try:
        done = subprocess.run([cxx, "-std=c++20", "-fsyntax-only", "-I", os.path.join(source_dir, "include"),
                               "-I", os.path.join(source_dir, "apps", "sensor-server"), path],
                              capture_output=True, text=True)
    finally:
        os.unlink(path)
    print(f"{name}: {'compiles' if done.returncode == 0 else 'does NOT compile'}")
    if done.returncode != 0:
        print(source)
        print(done.stderr[-4000:])
    return done.returncode == 0


def main() -> int:
    cxx, source_dir = sys.argv[1], sys.argv[2]
    with open(os.path.join(source_dir, "README.md")) as f:
        text = f.read()
    ok = True
    lecture = lecture_program(text)
    if lecture is None:
        print("README.md: the lecture's side-by-side block is missing")
        ok = False
    else:
        ok &= compiles(cxx, source_dir, "README.md, the lecture's server (C++ column)", lecture)
    for line, body in blocks(text, "cpp"):
        ok &= compiles(cxx, source_dir, f"README.md:{line}", as_translation_unit(body))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
