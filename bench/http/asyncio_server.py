#!/usr/bin/env python3
"""asyncio_server: the same little JSON server in CPython's asyncio (asyncio.start_server).

Comparison server for bench/http/run.py. One coroutine per connection reads what is there,
answers every complete request head ("\\r\\n\\r\\n") in it with one write (keep-alive and
pipelining), and closes after a request with "Connection: close" (or HTTP/1.0 without
keep-alive). The body is the --body-file template with the 13-digit number after "ts":
replaced by the current Unix time in milliseconds (the same bytes apart from ts).

    python3 asyncio_server.py [--host 127.0.0.1] [--port 18085] [--body-file FILE]

SIGINT/SIGTERM close the server and exit 0.
"""
import argparse
import asyncio
import re
import signal
import time

DEFAULT_BODY = b'{"ts":1732550000000,"temperature_c":21.5}'
MAX_HEAD = 16 * 1024


def wants_close(head: bytes) -> bool:
    lower = head.lower()
    http10 = lower.split(b"\r\n", 1)[0].endswith(b"http/1.0")
    if b"\r\nconnection:" not in lower:
        return http10
    m = re.search(rb"\r\nconnection:[ \t]*([a-z-]+)", lower)
    value = m.group(1) if m else b""
    if value == b"close":
        return True
    return http10 and value != b"keep-alive"


def make_responder(body: bytes, close: bool):
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n" % len(body)
    head += b"Connection: close\r\n\r\n" if close else b"\r\n"
    m = re.search(rb'"ts":(\d{13})', body)
    if not m:
        canned = head + body
        return lambda: canned
    prefix, suffix = head + body[: m.start(1)], body[m.end(1):]
    return lambda: b"%s%d%s" % (prefix, time.time_ns() // 1_000_000, suffix)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=18085)
    ap.add_argument("--body-file")
    args = ap.parse_args()
    body = DEFAULT_BODY
    if args.body_file:
        with open(args.body_file, "rb") as f:
            body = f.read().rstrip(b"\r\n")
    response = make_responder(body, close=False)
    response_close = make_responder(body, close=True)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        buf = b""
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                buf = buf + data if buf else data
                out = []
                close = False
                while True:
                    end = buf.find(b"\r\n\r\n")
                    if end < 0:
                        break
                    close = wants_close(buf[:end])
                    out.append(response_close() if close else response())
                    buf = buf[end + 4:]
                    if close:
                        break
                if out:
                    writer.write(out[0] if len(out) == 1 else b"".join(out))
                    await writer.drain()
                if close or len(buf) > MAX_HEAD:
                    break
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()
            try:
                await writer.wait_closed()
            except (ConnectionError, OSError):
                pass

    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        server = await asyncio.start_server(handle, args.host, args.port, backlog=4096)
        async with server:
            await stop.wait()

    asyncio.run(serve())


if __name__ == "__main__":
    main()
