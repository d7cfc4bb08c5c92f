"""sensor-server over TLS: --tls-cert/--tls-key serve HTTPS and WSS on one port (no plain HTTP),
and --mqtt mqtts://... --mqtt-cafile publishes over TLS. The certificates are made here with
openssl (ECDSA P-256: a CA, and a server certificate for DNS:localhost and IP:127.0.0.1) in a
temporary directory; clients are curl, Python's ssl, websockets, openssl s_client and
mosquitto_sub. Skipped when openssl is missing."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import select
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import unittest

import websockets

import server
from client import curl, get_json, wait_until
from server import SensorServer
from test_dashboard_browser import CHROMIUM, CHROMIUM_FLAGS, TEXT, Chromium, DevTools
from test_mqtt import HAVE_MOSQUITTO, MOSQUITTO_SUB, SKIP_REASON, Mosquitto

OPENSSL = shutil.which("openssl")
_SERVING_HTTPS = re.compile(r"^sensor-server: serving https://127\.0\.0\.1:(?P<port>\d+)/")


class Certificates:
    """ca.pem, server.pem/server.key (signed by the CA) and other_ca.pem, in a temporary directory."""

    def __init__(self) -> None:
        self.dir = tempfile.mkdtemp(prefix="sensor-server-tls-")
        p256 = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
        for ca in ("ca", "other_ca"):
            self._openssl("req", "-x509", *p256, "-keyout", self.path(f"{ca}.key"), "-out", self.path(f"{ca}.pem"),
                          "-days", "30", "-subj", f"/CN=sensor-server test {ca}",
                          "-addext", "basicConstraints=critical,CA:TRUE",
                          "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        with open(self.path("server.ext"), "w") as f:
            f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                    "keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n")
        self._openssl("req", *p256, "-keyout", self.path("server.key"), "-out", self.path("server.csr"),
                      "-subj", "/CN=localhost")
        self._openssl("x509", "-req", "-in", self.path("server.csr"), "-CA", self.path("ca.pem"),
                      "-CAkey", self.path("ca.key"), "-CAcreateserial", "-out", self.path("server.pem"),
                      "-days", "30", "-extfile", self.path("server.ext"))

    def path(self, name: str) -> str:
        return os.path.join(self.dir, name)

    @staticmethod
    def _openssl(*args: str) -> None:
        subprocess.run([OPENSSL, *args], check=True, capture_output=True, timeout=30)

    def client_context(self, ca: str = "ca.pem") -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.path(ca))

    def close(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


CERTS: Certificates | None = None


def setUpModule() -> None:
    global CERTS
    if OPENSSL:
        CERTS = Certificates()


def tearDownModule() -> None:
    if CERTS is not None:
        CERTS.close()


class HttpsServer(SensorServer):
    """A sensor-server started with the test certificate; waits for its 'serving https://' line."""

    def __init__(self, *flags: str) -> None:
        super().__init__("--tls-cert", CERTS.path("server.pem"), "--tls-key", CERTS.path("server.key"), *flags)

    def start(self) -> "HttpsServer":
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        server._started[self.proc.pid] = self.proc
        ready, _, _ = select.select([self.proc.stdout], [], [], server.START_TIMEOUT)
        line = self.proc.stdout.readline().decode(errors="replace") if ready else ""
        match = _SERVING_HTTPS.match(line)
        if not match:
            self.kill()  # a server that refused to start has exited already: its stderr says why
            stderr = self.proc.stderr.read().decode(errors="replace")
            raise AssertionError(f"{self.args}: no 'serving https://' line: {line!r}; stderr: {stderr!r}")
        self.serving_line, self.host, self.port = line, "127.0.0.1", int(match["port"])
        for pipe, sink in ((self.proc.stdout, self._stdout), (self.proc.stderr, self._stderr)):
            thread = server.threading.Thread(target=self._drain, args=(pipe, sink), daemon=True)
            thread.start()
            self._readers.append(thread)
        return self


def https_get(port: int, target: str, context: ssl.SSLContext, timeout: float = 5) -> tuple[bytes, bytes]:
    """(head, body) of GET target over TLS to 127.0.0.1, the certificate checked for localhost;
    the connection is closed by us (Connection: close)."""
    head, body, _, _ = https_get_resuming(port, target, context, None, timeout)
    return head, body


def https_get_resuming(port: int, target: str, context: ssl.SSLContext, session: ssl.SSLSession | None,
                       timeout: float = 5) -> tuple[bytes, bytes, bool, ssl.SSLSession | None]:
    """https_get() offering `session` to resume: (head, body, whether the server resumed it, the
    session to offer next time). The whole response is read first: a TLS 1.3 server sends its
    ticket after the handshake."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as raw:
        with context.wrap_socket(raw, server_hostname="localhost", session=session) as tls:
            tls.sendall(f"GET {target} HTTP/1.1\r\nHost: localhost:{port}\r\nConnection: close\r\n\r\n".encode())
            data = b""
            with contextlib.suppress(ssl.SSLError, ConnectionError):  # a ragged EOF ends it too
                while chunk := tls.recv(65536):
                    data += chunk
            reused, next_session = tls.session_reused, tls.session
    head, _, body = data.partition(b"\r\n\r\n")
    return head, body, reused, next_session


def first_event(port: int, context: ssl.SSLContext, timeout: float = 5) -> tuple[bytes, dict]:
    """The head of /events over TLS and the reading of its first event."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as tls:
            tls.sendall(f"GET /events HTTP/1.1\r\nHost: localhost:{port}\r\nAccept: text/event-stream\r\n\r\n".encode())
            data = b""
            deadline = time.monotonic() + timeout
            while b"\ndata: " not in data or not data.split(b"\ndata: ", 1)[1].count(b"\n"):
                if time.monotonic() > deadline:
                    raise AssertionError(f"no event within {timeout} s: {data!r}")
                chunk = tls.recv(65536)
                if not chunk:
                    raise AssertionError(f"the event stream ended: {data!r}")
                data += chunk
    head = data.partition(b"\r\n\r\n")[0]
    line = data.split(b"\ndata: ", 1)[1].split(b"\n", 1)[0]
    return head, json.loads(line)


def plaintext_answer(port: int, timeout: float = 5) -> tuple[bytes, str]:
    """Sends a plain HTTP request to the port; returns what came back and how the connection
    ended within `timeout`: "eof" (closed cleanly), "reset" or "open"."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as raw:
        raw.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        data = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            raw.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                chunk = raw.recv(65536)
            except ConnectionResetError:
                return data, "reset"
            except socket.timeout:
                return data, "open"
            if not chunk:
                return data, "eof"
            data += chunk
        return data, "open"


def curl_api(port: int, ca: str = "ca.pem") -> subprocess.CompletedProcess:
    return curl("--cacert", CERTS.path(ca), "--resolve", f"localhost:{port}:127.0.0.1",
                f"https://localhost:{port}/api/sensor")


@unittest.skipUnless(OPENSSL, "openssl is not installed")
class Https(unittest.TestCase):
    def setUp(self) -> None:
        self.srv = HttpsServer("--sensor", "fixed:21.5", "--interval", "0.2").start()
        self.addCleanup(self._stop)

    def _stop(self) -> None:
        crashed = self.srv.proc.poll()
        code = self.srv.stop()
        self.assertIsNone(crashed, f"sensor-server died: {self.srv.stderr()[-2000:]!r}")
        self.assertEqual(code, 0, f"exit after SIGTERM; stderr: {self.srv.stderr()[-2000:]!r}")

    def test_curl_gets_the_reading_as_json(self):
        result = curl_api(self.srv.port)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(json.loads(result.stdout)["temperature_c"], 21.5)

    def test_curl_refuses_the_server_without_its_ca(self):
        result = curl_api(self.srv.port, ca="other_ca.pem")
        self.assertNotEqual(result.returncode, 0, "a certificate from another CA must not be trusted")

    def test_python_ssl_gets_the_dashboard_and_the_first_event(self):
        context = CERTS.client_context()
        head, body = https_get(self.srv.port, "/", context)
        self.assertTrue(head.startswith(b"HTTP/1.1 200 "), head)
        self.assertIn(b"text/html", head)
        self.assertIn(b"<html", body.lower())
        head, reading = first_event(self.srv.port, context)
        self.assertTrue(head.startswith(b"HTTP/1.1 200 "), head)
        self.assertIn(b"text/event-stream", head)
        self.assertEqual(reading["temperature_c"], 21.5)

    def test_websockets_over_wss_get_readings_and_the_origin_check_holds(self):
        port = self.srv.port
        context = CERTS.client_context()

        async def reading(origin: str | None):
            async with websockets.connect(f"wss://localhost:{port}/ws", ssl=context, origin=origin,
                                          open_timeout=5, close_timeout=3, ping_interval=None) as ws:
                return json.loads(await asyncio.wait_for(ws.recv(), 5))

        # A program (no Origin) and the dashboard's own https page are let in.
        for origin in (None, f"https://localhost:{port}"):
            got = asyncio.run(asyncio.wait_for(reading(origin), 15))
            self.assertEqual(got["temperature_c"], 21.5, origin)
        # A page of another site is not: the check is still on over TLS.
        with self.assertRaises(websockets.exceptions.InvalidStatusCode) as refused:
            asyncio.run(asyncio.wait_for(reading("https://evil.example"), 15))
        self.assertEqual(refused.exception.status_code, 403)

    def test_openssl_s_client_completes_a_verified_handshake(self):
        result = subprocess.run([OPENSSL, "s_client", "-connect", f"127.0.0.1:{self.srv.port}", "-servername",
                                 "localhost", "-CAfile", CERTS.path("ca.pem"), "-verify_return_error", "-brief"],
                                input="", capture_output=True, text=True, timeout=15)
        output = result.stdout + result.stderr
        self.assertIn("Verification: OK", output)
        self.assertRegex(output, r"Protocol version: TLSv1\.[23]")
        # The fastest key exchange OpenSSL offers, not mbedTLS's default first choice, secp521r1
        # (a full handshake on it costs about 1.7 times the CPU: bench/tls/run.py).
        self.assertRegex(output, r"(Server Temp Key|Negotiated TLS1\.3 group): X25519")

    def test_a_plaintext_request_is_closed_and_good_clients_are_still_served(self):
        for _ in range(3):
            answer, ending = plaintext_answer(self.srv.port)
            self.assertEqual(ending, "eof", f"closed cleanly, not reset or left open: {answer!r}")
            self.assertNotIn(b"HTTP/1.1 200", answer)
            self.assertFalse(answer.startswith(b"HTTP/"), "no plain HTTP answer on the TLS port")
        result = curl_api(self.srv.port)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(json.loads(result.stdout)["temperature_c"], 21.5)
        metrics = curl("--cacert", CERTS.path("ca.pem"), "--resolve",
                       f"localhost:{self.srv.port}:127.0.0.1", f"https://localhost:{self.srv.port}/metrics").stdout.decode()
        self.assertRegex(metrics, r"(?m)^tls_failed_handshakes_total 3$")
        self.assertEqual(self.srv.stderr(), "", "a plaintext client is not an error worth a log line")


@unittest.skipUnless(OPENSSL, "openssl is not installed")
class TlsFlags(unittest.TestCase):
    def assert_refused(self, flags: tuple[str, ...], code: int, says: str) -> None:
        result = server.run_binary("--port", "0", *flags)
        self.assertEqual(result.returncode, code, result)
        self.assertIn(says, result.stderr)
        self.assertNotIn("serving", result.stdout, "nothing is started")

    def test_one_flag_without_the_other_exits_2(self):
        self.assert_refused(("--tls-cert", CERTS.path("server.pem")), 2, "--tls-cert needs --tls-key too")
        self.assert_refused(("--tls-key", CERTS.path("server.key")), 2, "--tls-key needs --tls-cert too")
        self.assert_refused(("--tls-cert", ""), 2, "--tls-cert needs a file name")

    def test_bad_or_missing_files_are_named_and_nothing_starts(self):
        missing = CERTS.path("missing.pem")
        self.assert_refused(("--tls-cert", missing, "--tls-key", CERTS.path("server.key")), 1,
                            f"--tls-cert {missing}: cannot be read")
        self.assert_refused(("--tls-cert", CERTS.path("server.pem"), "--tls-key", missing), 1,
                            f"--tls-key {missing}: cannot be read")
        not_a_certificate = CERTS.path("server.key")
        self.assert_refused(("--tls-cert", not_a_certificate, "--tls-key", CERTS.path("server.key")), 1,
                            f"--tls-cert {not_a_certificate}")
        # The CA's certificate with the server's key: they do not belong together.
        self.assert_refused(("--tls-cert", CERTS.path("ca.pem"), "--tls-key", CERTS.path("server.key")), 1,
                            "the private key does not belong to the certificate")
        self.assert_refused(("--mqtt", "mqtts://localhost", "--mqtt-cafile", missing), 1,
                            f"--mqtt-cafile {missing}: cannot be read")

    def test_help_documents_the_tls_flags(self):
        text = server.run_binary("--help").stdout
        for flag in ("--tls-cert FILE", "--tls-key FILE", "--tls-key-password-file", "--tls-ticket-lifetime S",
                     "--mqtt-cafile FILE",
                     "mqtts://HOST[:PORT]"):
            self.assertIn(flag, text)


@unittest.skipUnless(OPENSSL, "openssl is not installed")
class SessionTickets(unittest.TestCase):
    """A returning client resumes its session with the ticket the server gave it (Python's ssl
    offers it back), unless --tls-ticket-lifetime 0 turned tickets off."""

    def serve(self, *flags: str) -> HttpsServer:
        srv = HttpsServer(*flags).start()
        self.addCleanup(srv.stop)
        return srv

    def test_a_returning_client_resumes_its_session(self):
        srv = self.serve()
        context = CERTS.client_context()
        _, body, reused, session = https_get_resuming(srv.port, "/api/sensor", context, None)
        self.assertIn(b"temperature_c", body)
        self.assertFalse(reused, "the first connection has nothing to resume")
        self.assertIsNotNone(session)
        self.assertTrue(session.has_ticket, "the server handed out no session ticket")
        for _ in range(3):
            _, body, reused, session = https_get_resuming(srv.port, "/api/sensor", context, session)
            self.assertIn(b"temperature_c", body)
            self.assertTrue(reused, "the server made a full handshake for a client with a ticket")

    def test_with_several_loops_a_ticket_resumes_on_whichever_loop_accepts(self):
        # The kernel spreads connections over the loops by their source port: twelve land all on
        # one loop once in 2,000 runs, so a loop with keys of its own would make a full handshake.
        srv = self.serve("--workers", "2")
        context = CERTS.client_context()
        _, body, _, session = https_get_resuming(srv.port, "/api/sensor", context, None)
        self.assertIn(b"temperature_c", body)
        for attempt in range(12):
            _, body, reused, session = https_get_resuming(srv.port, "/api/sensor", context, session)
            self.assertIn(b"temperature_c", body)
            self.assertTrue(reused, f"connection {attempt + 2}: a full handshake for a client with a ticket")

    def test_lifetime_zero_means_a_full_handshake_every_time(self):
        srv = self.serve("--tls-ticket-lifetime", "0")
        context = CERTS.client_context()
        _, body, reused, session = https_get_resuming(srv.port, "/api/sensor", context, None)
        self.assertIn(b"temperature_c", body)
        self.assertFalse(session is not None and session.has_ticket, "a ticket came with tickets off")
        _, body, reused, _ = https_get_resuming(srv.port, "/api/sensor", context, session)
        self.assertIn(b"temperature_c", body)
        self.assertFalse(reused)

    def test_a_bad_lifetime_or_one_without_tls_is_refused(self):
        for value in ("-1", "604801", "1h", ""):
            result = server.run_binary("--port", "0", "--tls-cert", CERTS.path("server.pem"),
                                       "--tls-key", CERTS.path("server.key"), "--tls-ticket-lifetime", value)
            self.assertEqual(result.returncode, 2, result)
            self.assertIn("--tls-ticket-lifetime needs a whole number from 0 to 604800", result.stderr)
        result = server.run_binary("--port", "0", "--tls-ticket-lifetime", "60")
        self.assertEqual(result.returncode, 2, result)
        self.assertIn("--tls-ticket-lifetime needs --tls-cert and --tls-key", result.stderr)


@unittest.skipUnless(OPENSSL, "openssl is not installed")
class EncryptedKey(unittest.TestCase):
    """--tls-key-password-file: the server's key encrypted in OpenSSL's traditional format
    (AES-256) and as PKCS#8 with AES (OpenSSL 3's default, which mbedTLS 2.28 cannot decrypt)."""

    def setUp(self) -> None:
        self.key = CERTS.path("server-encrypted.key")
        self.pkcs8_aes_key = CERTS.path("server-pkcs8-aes.key")
        Certificates._openssl("ec", "-in", CERTS.path("server.key"), "-aes256", "-passout", "pass:s3cret w0rd",
                              "-out", self.key)
        Certificates._openssl("pkey", "-in", CERTS.path("server.key"), "-aes-256-cbc", "-passout", "pass:s3cret w0rd",
                              "-out", self.pkcs8_aes_key)
        self.password = CERTS.path("password.txt")
        self.wrong_password = CERTS.path("wrong-password.txt")
        with open(self.password, "w") as f:
            f.write("s3cret w0rd\n")
        with open(self.wrong_password, "w") as f:
            f.write("guess\n")

    def refused(self, *flags: str) -> subprocess.CompletedProcess:
        result = server.run_binary("--port", "0", "--tls-cert", CERTS.path("server.pem"), *flags)
        self.assertNotIn("serving", result.stdout, "nothing is started")
        return result

    def test_with_its_password_file_the_server_serves_https(self):
        self.assert_serves_https(HttpsServer("--tls-key", self.key, "--tls-key-password-file", self.password,
                                             "--sensor", "fixed:21.5").start())

    def assert_serves_https(self, srv: HttpsServer) -> None:
        """curl gets /api/sensor from the started `srv`, which then stops cleanly."""
        try:
            result = curl_api(srv.port)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertEqual(json.loads(result.stdout)["temperature_c"], 21.5)
        finally:
            self.assertEqual(srv.stop(), 0, srv.stderr()[-2000:])

    def test_without_a_password_the_message_says_which_flag_gives_it(self):
        result = self.refused("--tls-key", self.key)
        self.assertEqual(result.returncode, 1, result)
        self.assertIn(f"--tls-key {self.key} is encrypted: give its password with --tls-key-password-file",
                      result.stderr)

    def test_a_wrong_password_is_refused_naming_the_files(self):
        result = self.refused("--tls-key", self.key, "--tls-key-password-file", self.wrong_password)
        self.assertEqual(result.returncode, 1, result)
        self.assertIn(f"--tls-key {self.key}", result.stderr)
        self.assertIn("password", result.stderr)

    def test_a_pkcs8_aes_key_is_served_by_mbedtls_3_and_refused_by_2_with_the_command_that_converts_it(self):
        # OpenSSL 3 encrypts PKCS#8 keys with AES by default: mbedTLS 3.x decrypts that, 2.28
        # cannot, and then the message gives the openssl command that re-encrypts the key in the
        # traditional format, which it can.
        srv = HttpsServer("--tls-key", self.pkcs8_aes_key, "--tls-key-password-file", self.password,
                          "--sensor", "fixed:21.5")
        try:
            srv.start()
        except AssertionError as refused:
            self.assertIn("mbedTLS 2.", str(refused))
            self.assertIn("openssl ec -in KEY -aes256 -out NEW_KEY", str(refused))
            return
        self.assert_serves_https(srv)

    def test_a_password_file_without_a_key_or_unreadable_is_refused(self):
        result = server.run_binary("--port", "0", "--tls-key-password-file", self.password)
        self.assertEqual(result.returncode, 2, result)
        self.assertIn("--tls-key-password-file needs --tls-key", result.stderr)
        missing = CERTS.path("missing-password.txt")
        result = self.refused("--tls-key", self.key, "--tls-key-password-file", missing)
        self.assertEqual(result.returncode, 1, result)
        self.assertIn(f"--tls-key-password-file {missing}: cannot be read", result.stderr)


class HttpsChromium(Chromium):
    """Headless Chromium (as test_dashboard_browser.py starts it) that accepts the test's
    certificate: its CA is in no browser's store. The certificate itself is checked by the other
    tests; this one checks that the page works over https."""

    def __init__(self) -> None:  # Chromium.__init__ with one flag more
        self.profile = tempfile.mkdtemp(prefix="e2e-chromium-")
        self.proc = subprocess.Popen([CHROMIUM, *CHROMIUM_FLAGS, "--ignore-certificate-errors",
                                      f"--user-data-dir={self.profile}", "about:blank"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        server.add_cleanup(id(self), self.stop)
        self.port = self._devtools_port(timeout=30)


# The page's own WebSocket to /ws, as a page script would open it: wss:// on an https page.
OPEN_PAGE_WEBSOCKET = """new Promise((resolve, reject) => {
  const socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`);
  socket.onmessage = (event) => { resolve(event.data); socket.close(); };
  socket.onerror = () => reject(new Error('the WebSocket failed'));
  setTimeout(() => reject(new Error('no message within 5 s')), 5000);
})"""


@unittest.skipUnless(OPENSSL and CHROMIUM, "openssl or chromium is not installed")
class DashboardOverHttps(unittest.TestCase):
    def test_the_dashboard_goes_live_over_https_and_its_page_may_open_wss(self):
        srv = HttpsServer("--sensor", "sim", "--interval", "0.2").start()
        try:
            browser = HttpsChromium()
            try:
                report = asyncio.run(asyncio.wait_for(self.drive(browser, srv.port), 60))
            finally:
                browser.stop()
        finally:
            self.assertEqual(srv.stop(), 0, srv.stderr()[-2000:])
        self.assertEqual(report["protocol"], "https:")
        self.assertNotEqual(report["first"], report["changed"], "the temperature shown changes live")
        self.assertIn("temperature_c", json.loads(report["websocket"]))
        self.assertEqual(report["problems"], [], "no console errors, CSP violations or failed loads")

    async def drive(self, browser: HttpsChromium, port: int) -> dict:
        async with websockets.connect(browser.page_websocket_url(), max_size=None, open_timeout=10,
                                      ping_interval=None) as ws:
            cdp = DevTools(ws)
            try:
                await cdp.open_desktop_page(f"https://localhost:{port}/", timeout=15)
                protocol = await cdp.evaluate("location.protocol")
                await cdp.poll(TEXT.format("status"), lambda v: v == "live", timeout=10)
                first = await cdp.poll(TEXT.format("temperature_c"), lambda v: bool(v), timeout=5)
                changed = await cdp.poll(TEXT.format("temperature_c"), lambda v: v != first, timeout=10)
                websocket = await cdp.evaluate(OPEN_PAGE_WEBSOCKET)
                return {"protocol": protocol, "first": first, "changed": changed, "websocket": websocket,
                        "problems": cdp.problems()}
            finally:
                await cdp.close()


class TlsMosquitto(Mosquitto):
    """The test's broker with a TLS listener only (the test certificate for localhost)."""

    def __init__(self) -> None:
        super().__init__()
        with open(self.config, "w") as f:
            f.write(f"listener {self.port} 127.0.0.1\ncafile {CERTS.path('ca.pem')}\n"
                    f"certfile {CERTS.path('server.pem')}\nkeyfile {CERTS.path('server.key')}\n"
                    "allow_anonymous true\npersistence false\n")
            # Started by root, mosquitto becomes the user "mosquitto", who cannot read our files.
            if os.geteuid() == 0:
                f.write("user root\n")

    def subscribe(self, topic: str, count: int, ca: str = "ca.pem", timeout: float = 10) -> subprocess.CompletedProcess:
        return subprocess.run([MOSQUITTO_SUB, "--cafile", CERTS.path(ca), "-h", "localhost", "-p", str(self.port),
                               "-t", topic, "-v", "-C", str(count), "-W", str(int(timeout))],
                              capture_output=True, text=True, timeout=timeout + 5)


@unittest.skipUnless(OPENSSL and HAVE_MOSQUITTO, SKIP_REASON)
class MqttOverTls(unittest.TestCase):
    def setUp(self) -> None:
        self.broker = TlsMosquitto().start()
        self.addCleanup(self.broker.close)

    def test_readings_are_published_over_tls_and_the_fleet_sees_them(self):
        url = f"mqtts://localhost:{self.broker.port}"
        with server.running_server("--sensor", "fixed:21.5", "--interval", "0.2", "--mqtt", url, "--fleet", url,
                                   "--mqtt-cafile", CERTS.path("ca.pem"), "--mqtt-topic", "sensors/tls-test") as srv:
            wait_until(lambda: srv.stdout().count(f"connected to {url}") == 2, 10,
                       message="the publisher and the fleet connected over TLS")
            fleet = wait_until(lambda: (get_json(srv.port, "/api/fleet").get("sensors/tls-test") or {}).get("reading"),
                               10, message="the fleet got the reading")
            self.assertEqual(fleet["temperature_c"], 21.5)
            got = self.broker.subscribe("sensors/#", 2)
            self.assertEqual(got.returncode, 0, got.stderr)
            lines = dict(line.split(" ", 1) for line in got.stdout.splitlines())
            self.assertEqual(json.loads(lines["sensors/tls-test/reading"])["temperature_c"], 21.5, got.stdout)
            self.assertEqual(lines["sensors/tls-test/status"], "online")
        # Without the CA, mosquitto_sub is refused: the broker really speaks TLS.
        self.assertNotEqual(self.broker.subscribe("sensors/#", 1, ca="other_ca.pem", timeout=3).returncode, 0)

    def test_a_broker_certificate_from_another_ca_is_refused_and_the_web_server_keeps_serving(self):
        with server.running_server("--mqtt", f"mqtts://localhost:{self.broker.port}",
                                   "--mqtt-cafile", CERTS.path("other_ca.pem"), "--mqtt-topic", "sensors/untrusted") as srv:
            wait_until(lambda: "not reachable" in srv.stderr(), 10, message="one line saying why")
            self.assertIn("certificate verify failed", srv.stderr())
            self.assertNotIn("connected to", srv.stdout())
            self.assertIn("temperature_c", get_json(srv.port, "/api/sensor"), "the web server serves meanwhile")
        self.assertNotIn("sensors/untrusted", self.broker.subscribe("sensors/#", 1, timeout=2).stdout)


if __name__ == "__main__":
    unittest.main()
