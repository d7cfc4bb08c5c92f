#!/usr/bin/env python3
"""HTTPS benchmark: sensor-server (mbedTLS) against nginx (OpenSSL), same certificate, same body.

    bench/tls/run.py --sensor-server build/apps/sensor-server/sensor-server

One run, on 127.0.0.1:
  - openssl makes an ECDSA P-256 certificate and key in a temporary directory;
  - the servers take turns, never two at once: sensor-server (`--sensor fixed:21.5 --tls-cert
    --tls-key`), nginx (one worker, `ssl_protocols TLSv1.2 TLSv1.3`, serving a static file with
    the bytes of sensor-server's /api/sensor body) and, unless --no-matched, nginx limited to
    the TLS version, cipher suite and key-exchange group sensor-server negotiated, so that the
    cryptography is the same on both sides. Each server is pinned to CPU 0 (taskset -c 0), wrk
    to CPU 1, as bench/http/run.py does;
  - keep-alive: `wrk -t1 -c50 -d10s https://...`, requests/s and the server's CPU time per
    request (utime+stime from /proc/PID/stat before and after, nginx: master + worker);
  - handshakes: the same with `-H "Connection: close"`, so every request is a new TCP
    connection and a full TLS handshake (neither server resumes sessions: sensor-server runs with
    `--tls-ticket-lifetime 0`; nginx is configured with `ssl_session_cache off;
    ssl_session_tickets off;`, and `openssl s_client -reconnect` checks both);
  - resumed handshakes: the same again with session tickets on in both servers (sensor-server's
    default; nginx `ssl_session_tickets on;`, still without a session cache): wrk keeps the
    session of a closed connection and offers it on the next, as a returning browser does;
  - --reps repetitions (servers interleaved within a repetition, each started afresh), medians.

It prints (and with --out writes) a markdown table with the ratios ours/nginx and the goals:
CPU per keep-alive request <= 1.0x nginx's, handshakes per second >= 0.8x nginx's. It is a
measurement, not a test: it exits 0 whether the goals are met or not (non-zero only when it
could not measure). Every process it starts is stopped by its PID; the temporary directory is
removed on exit.
"""
from __future__ import annotations

import argparse
import datetime
import importlib.util
import os
import platform
import re
import resource
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

# The process, CPU-time and wrk-parsing helpers of the plain-HTTP benchmark, so that both
# start, pin, measure and stop servers the same way.
_spec = importlib.util.spec_from_file_location("http_bench", os.path.join(REPO, "bench", "http", "run.py"))
hb = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(hb)

SERVER_CPU = hb.SERVER_CPU  # "0"
LOAD_CPU = hb.LOAD_CPU  # "1"
GOAL_CPU_KEEPALIVE = 1.0  # ours / nginx, at most
GOAL_HANDSHAKES = 0.8  # ours / nginx, at least
PARTS = ("keepalive", "handshake", "resumed")  # wrk runs per server and repetition
CLIENT_ENV: dict | None = None  # wrk's and s_client's environment (OPENSSL_CONF with --client-groups)

NGINX_CONF = """\
daemon off;
master_process on;
worker_processes 1;
user root;
pid @PREFIX@/nginx.pid;
error_log @PREFIX@/error.log warn;
events {
    use epoll;
    worker_connections 4096;
}
http {
    access_log off;
    server_tokens off;
    types { }
    default_type application/json;
    etag off;
    sendfile off;
    tcp_nopush off;
    tcp_nodelay on;
    open_file_cache max=16 inactive=60s;
    open_file_cache_valid 3600s;
    keepalive_requests 1000000000;
    keepalive_timeout 75s;
    client_body_temp_path @PREFIX@/client_body;
    proxy_temp_path @PREFIX@/proxy;
    fastcgi_temp_path @PREFIX@/fastcgi;
    uwsgi_temp_path @PREFIX@/uwsgi;
    scgi_temp_path @PREFIX@/scgi;

    ssl_certificate @CERT@;
    ssl_certificate_key @KEY@;
    ssl_protocols @PROTOCOLS@;
@CIPHERS@
    ssl_session_cache off;
    ssl_session_tickets @TICKETS@;

    server {
        listen 127.0.0.1:@PORT@ ssl backlog=4096;
        root @ROOT@;
        location = /api/sensor { }
    }
}
"""


def log(*a) -> None:
    print(*a, file=sys.stderr, flush=True)


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# --------------------------------------------------------------------------- TLS bits

def make_certificate(tmp: str) -> tuple[str, str]:
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    return cert, key


def https_get(port: int, timeout: float = 2.0) -> bytes:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with urllib.request.urlopen(f"https://127.0.0.1:{port}/api/sensor", context=ctx, timeout=timeout) as r:
        if r.status != 200:
            raise RuntimeError(f"status {r.status}")
        return r.read()


def wait_https(port: int, proc: subprocess.Popen, timeout: float) -> bytes:
    deadline = time.time() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {proc.returncode} before answering")
        try:
            return https_get(port)
        except OSError:
            pass
        if time.time() > deadline:
            raise RuntimeError(f"server on port {port} did not answer HTTPS within {timeout:.0f} s")
        time.sleep(0.1)


def negotiated(port: int) -> dict:
    """What an OpenSSL client with default settings (wrk's) gets: `openssl s_client -brief`, and
    whether `-reconnect` resumes the session."""
    info = {"protocol": "?", "cipher": "?", "group": "?", "resumed": "?"}
    r = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-brief"],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=20, env=CLIENT_ENV)
    text = r.stdout + r.stderr
    for key, label in (("protocol", "Protocol version"), ("cipher", "Ciphersuite"),
                       ("group", "(?:Server|Peer) Temp Key"), ("signature", "Signature type")):
        m = re.search(r"^%s:\s*(.+)$" % label, text, re.M)
        if m:
            info[key] = m.group(1).strip()
    r = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-reconnect"],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30, env=CLIENT_ENV)
    text = r.stdout + r.stderr
    reused, new = len(re.findall(r"^Reused,", text, re.M)), len(re.findall(r"^New,", text, re.M))
    info["resumed"] = f"{reused} of {reused + new}"
    return info


def openssl_group(temp_key: str) -> str:
    """'X25519, 253 bits' -> 'X25519'; 'ECDH, prime256v1, 256 bits' -> 'prime256v1'."""
    parts = [p.strip() for p in temp_key.split(",")]
    if parts and parts[0] == "ECDH" and len(parts) > 1:
        return parts[1]
    return parts[0] if parts else ""


# --------------------------------------------------------------------------- servers

class Server:
    def __init__(self, name: str, label: str, args, tmp: str, cert: str, key: str):
        self.name, self.label, self.args, self.tmp = name, label, args, tmp
        self.cert, self.key = cert, key
        self.body_file = os.path.join(tmp, "body.json")
        self.protocols = "TLSv1.2 TLSv1.3"
        self.ciphers = ""  # an nginx ssl_ciphers value (TLS 1.2), "" for the default
        self.group = ""  # an nginx ssl_ecdh_curve value, "" for the default
        self.tickets = False  # session tickets: a closed connection's client may resume
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.pids: list[int] = []
        self.tls: dict = {}
        self.body = b""

    def cmd(self, port: int) -> list[str]:
        if self.name == "sensor":
            return [self.args.sensor_server, "--port", str(port), "--sensor", "fixed:21.5",
                    "--tls-cert", self.cert, "--tls-key", self.key] + ([] if self.tickets else ["--tls-ticket-lifetime", "0"])
        prefix = os.path.join(self.tmp, f"{self.name}-{port}")
        root = os.path.join(prefix, "root")
        os.makedirs(os.path.join(root, "api"), exist_ok=True)
        shutil.copyfile(self.body_file, os.path.join(root, "api", "sensor"))
        extra = ""
        if self.ciphers:
            extra += f"    ssl_ciphers {self.ciphers};\n"
        if self.group:
            extra += f"    ssl_ecdh_curve {self.group};\n"
        conf = (NGINX_CONF.replace("@PORT@", str(port)).replace("@ROOT@", root).replace("@PREFIX@", prefix)
                .replace("@CERT@", self.cert).replace("@KEY@", self.key)
                .replace("@PROTOCOLS@", self.protocols).replace("@CIPHERS@\n", extra)
                .replace("@TICKETS@", "on" if self.tickets else "off"))
        conf_path = os.path.join(prefix, "nginx.conf")
        with open(conf_path, "w") as f:
            f.write(conf)
        return [self.args.nginx, "-p", prefix + "/", "-e", os.path.join(prefix, "error.log"), "-c", conf_path]

    def start(self) -> None:
        port = hb.free_port(self.args.port_base)
        self.port = port
        self.proc = hb.start(self.cmd(port), os.path.join(self.tmp, f"{self.name}.log"))
        self.body = wait_https(port, self.proc, timeout=30)
        self.pids = [self.proc.pid]
        if self.name != "sensor":  # measure the worker too; the master only waits
            deadline = time.time() + 5
            while not hb.children(self.proc.pid) and time.time() < deadline:
                time.sleep(0.05)
            kids = hb.children(self.proc.pid)
            hb.EXTRA_PIDS[self.proc.pid] = kids
            self.pids += kids

    def stop(self) -> None:
        if self.proc is not None:
            hb.stop(self.proc)
            self.proc = None
            hb.USED_PORTS.discard(self.port)


# --------------------------------------------------------------------------- wrk

def run_wrk(srv: Server, conns: int, duration: float, close: bool) -> dict:
    cmd = ["taskset", "-c", LOAD_CPU, "wrk", "-t1", f"-c{conns}", f"-d{duration:g}s", "--timeout", "10s"]
    if close:
        cmd += ["-H", "Connection: close"]
    cmd.append(f"https://127.0.0.1:{srv.port}/api/sensor")
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0, b0, w0 = hb.cpu_ticks(srv.pids), hb.busy_ticks(), time.time()
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60, preexec_fn=hb.raise_nofile,
                         env=CLIENT_ENV)
    t1, b1, w1 = hb.cpu_ticks(srv.pids), hb.busy_ticks(), time.time()
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if res.returncode != 0:
        raise RuntimeError(f"wrk failed ({res.returncode}): {res.stderr.strip()} {res.stdout.strip()}")
    r = hb.parse_wrk(res.stdout)
    cpu_s = (t1 - t0) / hb.CLK_TCK
    r["server_cpu_s"] = cpu_s
    r["cpu_us"] = cpu_s * 1e6 / r["requests"] if r["requests"] else float("nan")
    r["server_util"] = cpu_s / (w1 - w0)
    r["wrk_util"] = ((ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)) / (w1 - w0)
    r["machine_util"] = (b1 - b0) / hb.CLK_TCK / (w1 - w0)  # CPUs busy in all, of os.cpu_count()
    return r


def measure(srv: Server, args, results: dict) -> None:
    srv.start()
    try:
        if not srv.tls:
            srv.tls = negotiated(srv.port)
            log(f"  {srv.label}: {srv.tls}")
        if args.warmup > 0:
            run_wrk(srv, args.connections, args.warmup, close=False)
        for part, close in (("keepalive", False), ("handshake", True)):
            record(srv, part, run_wrk(srv, args.connections, args.duration, close), results)
    finally:
        srv.stop()
    srv.tickets = True
    srv.start()
    try:
        if "resumed_with_tickets" not in srv.tls:
            srv.tls["resumed_with_tickets"] = negotiated(srv.port)["resumed"]
        record(srv, "resumed", run_wrk(srv, args.connections, args.duration, close=True), results)
    finally:
        srv.stop()
        srv.tickets = False


def record(srv: Server, part: str, r: dict, results: dict) -> None:
    results[part][srv.name].append(r)
    log(f"  {srv.label} {part}: {r['rps']:,.0f}/s, {r['cpu_us']:.1f} µs CPU each, "
        f"server {r['server_util']:.2f} CPU, wrk {r['wrk_util']:.2f}, machine {r['machine_util']:.2f} CPUs, "
        f"errors {r['errors'] + r['non2xx']}")


# --------------------------------------------------------------------------- report

def fmt(v: float, digits: int = 0) -> str:
    return "–" if v != v else f"{v:,.{digits}f}"


def ratio(a: float, b: float) -> float:
    return a / b if b == b and b and a == a else float("nan")


def report(args, servers: list[Server], results: dict, load_start: str, load_end: str) -> str:
    med = {part: {s.name: {k: hb.med([r[k] for r in results[part][s.name]])
                           for k in ("rps", "cpu_us", "server_util", "wrk_util", "machine_util")}
                  for s in servers} for part in PARTS}
    errors = {s.name: sum(r["errors"] + r["non2xx"] for p in PARTS for r in results[p][s.name])
              for s in servers}
    L = ["# HTTPS: sensor-server against nginx", ""]
    L.append("Generated by `bench/tls/run.py " + " ".join(sys.argv[1:]) + "`.")
    L.append("")
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    L += [f"- date: {datetime.datetime.now().isoformat(timespec='seconds')}; {os.cpu_count()} CPUs ({cpu}), "
          f"Linux {platform.release()}; servers on CPU {SERVER_CPU} one at a time, wrk on CPU {LOAD_CPU}",
          f"- load average at start: {load_start}; at end: {load_end}",
          f"- {hb.sh(['wrk', '-v'])}; {hb.sh([args.nginx, '-v'])}; {hb.sh(['openssl', 'version'])}",
          f"- `wrk -t1 -c{args.connections} -d{args.duration:g}s`, {args.reps} runs per figure, medians; "
          f"handshakes: the same with `-H 'Connection: close'` (a new connection and a full handshake per request); "
          "resumed: the same with session tickets on in both servers (wrk offers the last session again)",
          f"- certificate: ECDSA P-256, self-signed (openssl); body: {len(servers[0].body)} bytes for every server",
          "- CPU µs/req: the server's utime+stime (/proc/PID/stat; nginx: master + worker) over the run ÷ requests; "
          "srv CPU, wrk CPU: that process's CPU time ÷ wall time (1.00 = its core saturated); machine CPUs: "
          f"CPUs busy in all (of {os.cpu_count()}, /proc/stat), other work on the machine included",
          ""]
    L.append("Negotiated with an OpenSSL client (`openssl s_client -brief`, the library wrk uses, "
             + (f"offering only the groups {args.client_groups}):" if args.client_groups else "default settings):"))
    L.append("")
    L.append("| server | protocol | cipher suite | key exchange | session resumed (`-reconnect`), tickets off / on |")
    L.append("|---|---|---|---|---|")
    for s in servers:
        t = s.tls
        L.append(f"| {s.label} | {t.get('protocol')} | {t.get('cipher')} | {t.get('group')} "
                 f"| {t.get('resumed')} / {t.get('resumed_with_tickets', '?')} |")
    L.append("")
    L.append("| server | keep-alive req/s | CPU µs/req | handshakes/s | CPU µs/handshake | resumed/s "
             "| CPU µs/resumed | srv CPU (ka / hs / res) | wrk CPU (ka / hs / res) | machine CPUs (ka / hs / res) | errors |")
    L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for s in servers:
        k, h, r = med["keepalive"][s.name], med["handshake"][s.name], med["resumed"][s.name]
        L.append(f"| {s.label} | {fmt(k['rps'])} | {fmt(k['cpu_us'], 2)} | {fmt(h['rps'])} | {fmt(h['cpu_us'], 1)} "
                 f"| {fmt(r['rps'])} | {fmt(r['cpu_us'], 1)} "
                 + "".join(f"| {k[u]:.2f} / {h[u]:.2f} / {r[u]:.2f} " for u in ("server_util", "wrk_util", "machine_util"))
                 + f"| {errors[s.name]} |")
    L.append("")
    ours = "sensor"
    L.append("| ours / … | keep-alive req/s | CPU per keep-alive request | handshakes/s | CPU per handshake "
             "| resumed/s | CPU per resumed |")
    L.append("|---|---:|---:|---:|---:|---:|---:|")
    for s in servers[1:]:
        L.append(f"| {s.label} " + "".join(
            f"| {ratio(med[part][ours][k], med[part][s.name][k]):.2f}× "
            for part in ("keepalive", "handshake", "resumed") for k in ("rps", "cpu_us")) + "|")
    L.append("")
    cpu_r = ratio(med["keepalive"][ours]["cpu_us"], med["keepalive"]["nginx"]["cpu_us"])
    hs_r = ratio(med["handshake"][ours]["rps"], med["handshake"]["nginx"]["rps"])
    L.append("| goal (against nginx, TLS 1.2 + 1.3) | result | |")
    L.append("|---|---:|---|")
    def verdict(v: float, met: bool) -> str:
        return "not measured (no successful requests)" if v != v or v == 0 else ("met" if met else "missed")

    L.append(f"| CPU per keep-alive request ≤ {GOAL_CPU_KEEPALIVE:.1f}× nginx's | {cpu_r:.2f}× | "
             f"{verdict(cpu_r, cpu_r <= GOAL_CPU_KEEPALIVE)} |")
    L.append(f"| handshakes/s ≥ {GOAL_HANDSHAKES:.1f}× nginx's | {hs_r:.2f}× | "
             f"{verdict(hs_r, hs_r >= GOAL_HANDSHAKES)} |")
    bad = [s.label for s in servers if errors[s.name]]
    if bad:
        L.append("")
        L.append(f"**Socket errors or non-2xx responses** from {', '.join(bad)}: see the runs below.")
    L.append("")
    L.append("<details><summary>Every run</summary>")
    L.append("")
    L.append("| part | server | run | requests | req/s | CPU s | CPU µs/req | srv CPU | machine CPUs | errors |")
    L.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for part in PARTS:
        for s in servers:
            for i, r in enumerate(results[part][s.name]):
                L.append(f"| {part} | {s.name} | {i + 1} | {r['requests']} | {r['rps']:.0f} | {r['server_cpu_s']:.2f} "
                         f"| {r['cpu_us']:.2f} | {r['server_util']:.2f} | {r['machine_util']:.2f} "
                         f"| {r['error_text'] or r['errors']}{' non2xx ' + str(r['non2xx']) if r['non2xx'] else ''} |")
    L.append("")
    L.append("</details>")
    L.append("")
    return "\n".join(L)


# --------------------------------------------------------------------------- main

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sensor-server", metavar="PATH", required=True, help="a sensor-server built with mbedTLS")
    ap.add_argument("--nginx", default=shutil.which("nginx") or "/usr/sbin/nginx")
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--duration", type=int, default=10, help="seconds per wrk run (wrk takes whole seconds)")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1, help="seconds of keep-alive wrk after each start (0: none)")
    ap.add_argument("--no-matched", action="store_true",
                    help="leave out nginx limited to sensor-server's protocol, cipher suite and group")
    ap.add_argument("--client-groups", metavar="LIST",
                    help="key-exchange groups the clients (wrk, s_client) offer, OpenSSL's Groups syntax "
                         "(e.g. X25519 or P-256), through an OPENSSL_CONF file; default: OpenSSL's own list")
    ap.add_argument("--port-base", type=int, default=18443)
    ap.add_argument("--out", help="also write the markdown report to this file")
    args = ap.parse_args()
    args.sensor_server = os.path.abspath(args.sensor_server)
    for tool in ("wrk", "taskset", "openssl", args.nginx, args.sensor_server):
        if not shutil.which(tool):
            ap.error(f"{tool} not found")
    load_start = loadavg()
    log(f"load average at start: {load_start}")

    def on_term(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_term)
    hb.raise_nofile()
    tmp = tempfile.mkdtemp(prefix="tls-bench-")
    try:
        cert, key = make_certificate(tmp)
        if args.client_groups:
            global CLIENT_ENV
            conf = os.path.join(tmp, "openssl-client.cnf")
            with open(conf, "w") as f:
                f.write("openssl_conf = openssl_init\n[openssl_init]\nssl_conf = ssl_sect\n[ssl_sect]\n"
                        "system_default = client_sect\n[client_sect]\nGroups = " + args.client_groups + "\n")
            CLIENT_ENV = dict(os.environ, OPENSSL_CONF=conf)
        sensor = Server("sensor", "sensor-server (mbedTLS)", args, tmp, cert, key)
        # sensor-server's own body is the static file nginx serves (same bytes, same size).
        try:
            sensor.start()
        except RuntimeError:
            with open(os.path.join(tmp, "sensor.log"), errors="replace") as f:
                text = f.read()
            if "built without TLS" in text:
                log("skipped: this sensor-server was built without TLS (mbedTLS not found at build time)")
                return 0
            log(text[-2000:])
            raise
        try:
            with open(sensor.body_file, "wb") as f:
                f.write(sensor.body)
            sensor.tls = negotiated(sensor.port)
            log(f"  {sensor.label}: {sensor.tls}")
        finally:
            sensor.stop()
        nginx = Server("nginx", "nginx (TLS 1.2 + 1.3)", args, tmp, cert, key)
        servers = [sensor, nginx]
        if not args.no_matched:
            matched = Server("nginx-matched", "nginx (sensor-server's protocol, suite and group)", args, tmp, cert, key)
            proto = {"TLSv1.2": "TLSv1.2", "TLSv1.3": "TLSv1.3"}.get(sensor.tls["protocol"])
            if proto:
                matched.protocols = proto
                if proto == "TLSv1.2" and sensor.tls["cipher"] != "?":
                    matched.ciphers = sensor.tls["cipher"]
                matched.group = openssl_group(sensor.tls["group"])
                servers.append(matched)
            else:
                log(f"no matched nginx: sensor-server's protocol is {sensor.tls['protocol']}")
        results = {part: {s.name: [] for s in servers} for part in PARTS}
        for rep in range(args.reps):
            log(f"run {rep + 1} of {args.reps} (load average {loadavg()})")
            for s in servers:
                measure(s, args, results)
        for s in servers:
            if len(s.body) != len(sensor.body):
                log(f"warning: {s.label} served {len(s.body)} bytes, sensor-server {len(sensor.body)}")
        load_end = loadavg()
        log(f"load average at end: {load_end}")
        text = report(args, servers, results, load_start, load_end)
        print(text)
        if args.out:
            with open(args.out, "w") as f:
                f.write(text + "\n")
        return 0
    except KeyboardInterrupt as e:
        log(f"interrupted: {e}")
        return 130
    finally:
        hb.cleanup()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
