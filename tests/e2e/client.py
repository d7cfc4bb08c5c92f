"""Small, strict clients for the end-to-end tests: raw HTTP/1.1 over a socket (for what
http.client and curl cannot send), a Server-Sent Events reader, curl and /metrics parsing.

Every blocking call has a time-out; nothing here can hang a test.
"""

from __future__ import annotations

import contextlib
import errno
import http.client
import json
import re
import socket
import struct
import subprocess
import time
from dataclasses import dataclass, field

HOST = "127.0.0.1"
DEFAULT_TIMEOUT = 3.0


@dataclass
class Response:
    status: int
    reason: str
    version: str
    headers: list[tuple[str, str]]
    body: bytes
    raw_head: bytes = b""

    def header(self, name: str) -> str | None:
        name = name.lower()
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None

    def header_all(self, name: str) -> list[str]:
        name = name.lower()
        return [value for key, value in self.headers if key.lower() == name]

    def has(self, name: str) -> bool:
        return self.header(name) is not None

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class ConnectionClosed(Exception):
    """The server closed (or reset) the connection before a complete response."""


class RawConnection:
    """One TCP connection to the server with a buffered, time-limited HTTP response reader."""

    def __init__(self, port: int, timeout: float = DEFAULT_TIMEOUT, rcvbuf: int | None = None):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf is not None:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect((HOST, port))
        self.timeout = timeout
        self.buf = b""

    # -- context manager ---------------------------------------------------------------------
    def __enter__(self) -> "RawConnection":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()

    def reset(self) -> None:
        """Closes with SO_LINGER 0: the peer gets a TCP RST instead of a FIN."""
        with contextlib.suppress(OSError):
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close()

    # -- sending -----------------------------------------------------------------------------
    def send(self, data: bytes | str) -> None:
        if isinstance(data, str):
            data = data.encode("latin-1")
        self.sock.sendall(data)

    def request(self, method: str, target: str, headers: dict[str, str] | None = None, body: bytes = b"",
                version: str = "HTTP/1.1") -> None:
        head = f"{method} {target} {version}\r\n"
        fields = {"Host": f"{HOST}"}
        fields.update(headers or {})
        if body and not any(k.lower() in ("content-length", "transfer-encoding") for k in fields):
            fields["Content-Length"] = str(len(body))
        for key, value in fields.items():
            head += f"{key}: {value}\r\n"
        self.send(head.encode("latin-1") + b"\r\n" + body)

    # -- receiving ---------------------------------------------------------------------------
    def _fill(self, deadline: float) -> bool:
        """Reads more bytes into the buffer; False at EOF or reset."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("timed out waiting for the server")
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            raise TimeoutError("timed out waiting for the server") from None
        except ConnectionResetError:
            return False
        if not chunk:
            return False
        self.buf += chunk
        return True

    def read_until(self, marker: bytes, timeout: float | None = None) -> bytes:
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while marker not in self.buf:
            if not self._fill(deadline):
                raise ConnectionClosed(f"closed before {marker!r}; got {self.buf[:300]!r}")
        data, _, self.buf = self.buf.partition(marker)
        return data + marker

    def read_exactly(self, n: int, timeout: float | None = None) -> bytes:
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while len(self.buf) < n:
            if not self._fill(deadline):
                raise ConnectionClosed(f"closed after {len(self.buf)} of {n} bytes")
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def read_response(self, head_request: bool = False, timeout: float | None = None) -> Response:
        """Reads one complete response (1xx included: the caller reads again for the final one)."""
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        raw_head = self.read_until(b"\r\n\r\n", timeout)
        lines = raw_head[:-4].decode("latin-1").split("\r\n")
        match = re.match(r"^(HTTP/\d\.\d) (\d{3}) ?(.*)$", lines[0])
        if not match:
            raise AssertionError(f"malformed status line {lines[0]!r}")
        headers = []
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if not sep or name != name.strip():
                raise AssertionError(f"malformed header line {line!r}")
            headers.append((name, value.strip()))
        resp = Response(int(match[2]), match[3], match[1], headers, b"", raw_head)
        if head_request or resp.status < 200 or resp.status in (204, 304):
            return resp
        length = resp.header("Content-Length")
        if resp.header("Transfer-Encoding"):
            resp.body = self._read_chunked(deadline)
        elif length is not None:
            resp.body = self.read_exactly(int(length), max(0.01, deadline - time.monotonic()))
        else:
            resp.body = self.read_to_eof(max(0.01, deadline - time.monotonic()))
        return resp

    def _read_chunked(self, deadline: float) -> bytes:
        body = b""
        while True:
            size_line = self.read_until(b"\r\n", max(0.01, deadline - time.monotonic()))
            size = int(size_line.split(b";")[0].strip(), 16)
            if size == 0:
                while self.read_until(b"\r\n", max(0.01, deadline - time.monotonic())) != b"\r\n":
                    pass  # trailer fields
                return body
            body += self.read_exactly(size, max(0.01, deadline - time.monotonic()))
            self.read_exactly(2)

    def read_to_eof(self, timeout: float | None = None) -> bytes:
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while self._fill(deadline):
            pass
        data, self.buf = self.buf, b""
        return data

    def closed_within(self, timeout: float) -> bool:
        """True if the server closes (FIN or RST) within `timeout`, discarding what it sends."""
        deadline = time.monotonic() + timeout
        try:
            while self._fill(deadline):
                self.buf = self.buf[-65536:]
        except TimeoutError:
            return False
        except OSError as error:
            return error.errno in (errno.ECONNRESET, errno.EPIPE)
        return True


def get(port: int, target: str, headers: dict[str, str] | None = None, method: str = "GET",
        body: bytes | None = None, timeout: float = DEFAULT_TIMEOUT) -> Response:
    """One request with http.client (a real client library), body read in full."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, target, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        return Response(resp.status, resp.reason, f"HTTP/{resp.version / 10:.1f}",
                        [(k, v) for k, v in resp.getheaders()], data)
    finally:
        conn.close()


def get_json(port: int, target: str):
    resp = get(port, target)
    if resp.status != 200:
        raise AssertionError(f"GET {target}: {resp.status} {resp.body[:200]!r}")
    return resp.json()


def curl(*args: str, timeout: float = 15.0) -> subprocess.CompletedProcess:
    """Runs curl (bytes output); never follows proxies from the environment."""
    return subprocess.run(["curl", "--silent", "--show-error", "--noproxy", "*", "--max-time", "10", *args],
                          capture_output=True, timeout=timeout)


# ---- Server-Sent Events ----------------------------------------------------------------------

@dataclass
class Event:
    id: str | None
    data: str
    event: str | None = None
    comments: list[str] = field(default_factory=list)


class SSEClient:
    """Reads /events over a raw socket, one event (or comment) at a time."""

    def __init__(self, port: int, last_event_id: str | None = None, timeout: float = DEFAULT_TIMEOUT):
        self.conn = RawConnection(port, timeout=timeout)
        headers = {"Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        self.conn.request("GET", "/events", headers)
        self.response = self.conn.read_response(head_request=True)  # the body is the stream
        self.comments: list[str] = []
        self.retry: int | None = None

    def close(self) -> None:
        self.conn.close()

    def reset(self) -> None:
        self.conn.reset()

    def __enter__(self) -> "SSEClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def next_block(self, timeout: float) -> list[str]:
        """The lines of the next block (up to a blank line); LF or CRLF line ends."""
        deadline = time.monotonic() + timeout
        while True:
            normalised = self.conn.buf.replace(b"\r\n", b"\n")
            if b"\n\n" in normalised:
                block, _, rest = normalised.partition(b"\n\n")
                self.conn.buf = rest
                return block.decode("utf-8").split("\n")
            if not self.conn._fill(deadline):
                raise ConnectionClosed("event stream ended")

    def next_event(self, timeout: float = DEFAULT_TIMEOUT) -> Event:
        """The next event with data, remembering comments and retry seen on the way."""
        deadline = time.monotonic() + timeout
        while True:
            lines = self.next_block(max(0.01, deadline - time.monotonic()))
            ev = Event(None, "")
            data_lines = []
            for line in lines:
                if line.startswith(":"):
                    self.comments.append(line[1:].strip())
                    ev.comments.append(line[1:].strip())
                    continue
                name, _, value = line.partition(":")
                if value.startswith(" "):
                    value = value[1:]
                if name == "id":
                    ev.id = value
                elif name == "data":
                    data_lines.append(value)
                elif name == "event":
                    ev.event = value
                elif name == "retry":
                    self.retry = int(value)
            if data_lines:
                ev.data = "\n".join(data_lines)
                return ev


# ---- Prometheus text format ------------------------------------------------------------------

_SAMPLE = re.compile(
    r'^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)'
    r'(?:\{(?P<labels>(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"(?:,|(?=\})))*)\})?'
    r' (?P<value>[-+]?(?:\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|NaN|[-+]?Inf))'
    r'(?: (?P<ts>-?\d+))?$')
_TYPE = re.compile(r"^# TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|histogram|summary|untyped)$")
_HELP = re.compile(r"^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*$")


def parse_prometheus(text: str) -> dict[str, float]:
    """Parses the text exposition format strictly; returns {'name{labels}': value}.

    Raises AssertionError naming the first line that is not a valid sample, TYPE or HELP line.
    """
    samples: dict[str, float] = {}
    if text and not text.endswith("\n"):
        raise AssertionError("metrics text does not end with a newline")
    for number, line in enumerate(text.split("\n")[:-1], 1):
        if line.startswith("#"):
            if line.startswith("# TYPE") and not _TYPE.match(line):
                raise AssertionError(f"line {number}: bad TYPE line {line!r}")
            if line.startswith("# HELP") and not _HELP.match(line):
                raise AssertionError(f"line {number}: bad HELP line {line!r}")
            continue
        if not line.strip():
            continue
        match = _SAMPLE.match(line)
        if not match:
            raise AssertionError(f"line {number}: not 'name{{labels}} value': {line!r}")
        key = match["name"] + ("{" + match["labels"] + "}" if match["labels"] else "")
        if key in samples:
            raise AssertionError(f"line {number}: duplicate sample {key}")
        samples[key] = float(match["value"].replace("Inf", "inf"))
    return samples


def metrics(port: int) -> dict[str, float]:
    resp = get(port, "/metrics")
    if resp.status != 200:
        raise AssertionError(f"/metrics: {resp.status}")
    return parse_prometheus(resp.text)


def wait_until(predicate, timeout: float, interval: float = 0.05, message: str = "condition"):
    """Polls `predicate` until it returns a truthy value (returned) or `timeout` passes."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"{message} not reached within {timeout} s (last: {last!r})")


# ---- WebSocket over a raw socket (for frames a conforming client library refuses to send) ----

def ws_frame(opcode: int, payload: bytes, fin: bool = True, mask: bool = True,
             length_override: int | None = None) -> bytes:
    """Encodes one frame; `mask=False` makes the (illegal, client-side) unmasked frame."""
    first = (0x80 if fin else 0) | opcode
    n = len(payload) if length_override is None else length_override
    mask_bit = 0x80 if mask else 0
    if n < 126:
        head = bytes([first, mask_bit | n])
    elif n < 65536:
        head = bytes([first, mask_bit | 126]) + struct.pack("!H", n)
    else:
        head = bytes([first, mask_bit | 127]) + struct.pack("!Q", n)
    if not mask:
        return head + payload
    key = bytes([0x12, 0x34, 0x56, 0x78])
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


class RawWebSocket:
    """The client side of RFC 6455 on a raw socket, strict about what the server sends."""

    KEY = "dGhlIHNhbXBsZSBub25jZQ=="  # the RFC's sample nonce
    ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

    def __init__(self, port: int, timeout: float = DEFAULT_TIMEOUT):
        self.conn = RawConnection(port, timeout=timeout)
        self.conn.request("GET", "/ws", {"Upgrade": "websocket", "Connection": "Upgrade",
                                         "Sec-WebSocket-Key": self.KEY, "Sec-WebSocket-Version": "13"})
        self.handshake = self.conn.read_response(head_request=True)
        if self.handshake.status != 101:
            raise AssertionError(f"WebSocket handshake: {self.handshake.status} {self.handshake.raw_head!r}")
        if self.handshake.header("Sec-WebSocket-Accept") != self.ACCEPT:
            raise AssertionError(f"wrong Sec-WebSocket-Accept: {self.handshake.header('Sec-WebSocket-Accept')}")

    def send(self, data: bytes) -> None:
        self.conn.send(data)

    def read_frame(self, timeout: float = DEFAULT_TIMEOUT) -> tuple[int, bool, bytes]:
        """(opcode, fin, payload) of the next frame; server frames must be unmasked."""
        head = self.conn.read_exactly(2, timeout)
        fin, opcode = bool(head[0] & 0x80), head[0] & 0x0F
        if head[0] & 0x70:
            raise AssertionError(f"reserved bits set in a server frame: {head!r}")
        if head[1] & 0x80:
            raise AssertionError("the server masked a frame (RFC 6455 5.1 forbids it)")
        n = head[1] & 0x7F
        if n == 126:
            n = struct.unpack("!H", self.conn.read_exactly(2, timeout))[0]
        elif n == 127:
            n = struct.unpack("!Q", self.conn.read_exactly(8, timeout))[0]
        return opcode, fin, self.conn.read_exactly(n, timeout)

    def read_until_close(self, timeout: float = DEFAULT_TIMEOUT) -> tuple[int | None, bytes]:
        """Skips data frames until a close frame; returns (code, reason)."""
        deadline = time.monotonic() + timeout
        while True:
            opcode, _, payload = self.read_frame(max(0.01, deadline - time.monotonic()))
            if opcode == 0x8:
                if len(payload) >= 2:
                    return struct.unpack("!H", payload[:2])[0], payload[2:]
                return None, b""

    def close(self) -> None:
        self.conn.close()
