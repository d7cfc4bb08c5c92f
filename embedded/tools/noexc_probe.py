#!/usr/bin/env python3
"""Footprint probe for the -fno-exceptions profile, until the core has one.

Copies include/asyncio/core and src/core into OUT and mechanically strips exceptions: every
`throw ...;` and `std::rethrow_exception(...)` becomes a call to asyncio_probe_fatal() (report and
abort), `try { A } catch (...) { B }` keeps only A. The result compiles with -fno-exceptions and
runs programs that never cancel or fail (blink) exactly as the real core does, so their size and
RAM are what the real profile will cost, give or take the few hundred bytes of its cancellation
machinery. It is NOT the profile itself (see embedded/CORE_CHANGES.md): cancellation here aborts.

usage: noexc_probe.py REPO_ROOT OUT_DIR
"""
import pathlib
import re
import shutil
import sys

root, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
if out.exists():
    shutil.rmtree(out)
shutil.copytree(root / "include/asyncio/core", out / "include/asyncio/core")
shutil.copytree(root / "src/core", out / "src/core")

FATAL = "asyncio_probe_fatal()"
PRELUDE = ('#include <cstdlib>\n#include <cstdio>\n#ifndef ASYNCIO_PROBE_FATAL\n#define ASYNCIO_PROBE_FATAL\n'
           '[[noreturn]] inline void asyncio_probe_fatal() { std::abort(); }\n'
           'struct asyncio_probe_no_exception { explicit operator bool() const noexcept { return false; } };\n'
           '#endif\n')


def match_brace(text, open_index):
    depth = 0
    i = open_index
    while i < len(text):
        c = text[i]
        if c == '"':
            i += 1
            while text[i] != '"':
                i += 2 if text[i] == '\\' else 1
        elif c == "'":
            i += 1
            while text[i] != "'":
                i += 2 if text[i] == '\\' else 1
        elif c == '{':
            depth += 1
        elif c == '}':
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise ValueError("unbalanced braces")


def strip_try_catch(text):
    while True:
        m = re.search(r'\btry\s*\{', text)
        if not m:
            return text
        body_open = m.end() - 1
        body_close = match_brace(text, body_open)
        end = body_close + 1
        while True:
            c = re.compile(r'\s*catch\s*\([^)]*\)\s*\{').match(text, end)
            if not c:
                break
            end = match_brace(text, c.end() - 1) + 1
        text = text[:m.start()] + text[body_open:body_close + 1] + text[end:]


# The smaller core changes proposed in embedded/CORE_CHANGES.md, emulated so that their effect
# on the footprint is measured too. Each is reported when its pattern is no longer found.
PROPOSED = [
    # 1. report() writes through the port (platform_report) instead of fprintf(stderr).
    ("src/core/task_state.cpp", r'std::fprintf\(stderr, "asyncio: %s\\n", message\.c_str\(\)\);',
     'platform_report(message.c_str());'),
    # 2. ~EventLoop frees its callbacks without dynamic_cast (so RTTI can be turned off).
    ("src/core/loop.cpp", r'dynamic_cast<Callback\*>\(&timer\)', 'static_cast<Callback*>(nullptr)'),
    # 3. TimerHandle shares its state without std::shared_ptr (an intrusive count would do).
    ("src/core/loop.cpp", r'std::make_shared<TimerHandle::State>\(\)', 'std::shared_ptr<TimerHandle::State>(new TimerHandle::State)'),
]
for rel, pattern, replacement in PROPOSED:
    path = out / rel
    text = path.read_text()
    new = re.sub(pattern, replacement, text)
    if new == text:
        print(f"warning: proposed change not applied (pattern gone): {rel}: {pattern}")
    elif "platform_report" in replacement:
        new = 'namespace asyncio { void platform_report(const char* message) noexcept; }\n' + new
    path.write_text(new)

for path in list((out / "include").rglob("*.hpp")) + list((out / "src").rglob("*.cpp")):
    text = path.read_text()
    original = text
    text = re.sub(r'(?m)^(\s*[^"\n]*?)//[^\n]*$', r'\1', text)  # comments go (they mention "throw")
    text = strip_try_catch(text)
    text = re.sub(r'\bthrow\s*;', FATAL + ';', text)
    text = re.sub(r'\bthrow\s+[^;]*;', FATAL + ';', text)
    text = re.sub(r'std::rethrow_exception\([^;]*\);', FATAL + ';', text)
    text = text.replace('std::current_exception()', 'std::exception_ptr()')
    text = re.sub(r'std::make_exception_ptr\([^;]*\)', 'std::exception_ptr()', text)
    # 4. No exception_ptr is kept in a task: there are no exceptions to keep.
    text = text.replace('std::exception_ptr', 'asyncio_probe_no_exception')
    # 5. Fatal errors end in std::abort() through the core's fatal-error hook, not std::terminate().
    text = text.replace('std::terminate()', FATAL)
    if text != original or 'asyncio_probe_no_exception' in text:
        lines = text.split('\n')
        # after #pragma once (headers) or at the top (sources)
        at = 1 if lines and lines[0].startswith('#pragma once') else 0
        lines.insert(at, PRELUDE)
        text = '\n'.join(lines)
    path.write_text(text)
print(f"probe core written to {out}")
