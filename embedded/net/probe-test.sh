#!/usr/bin/env bash
# Boots net_probe (net_probe_main.cpp) under QEMU's mps2-an385 with user networking, forwards a
# free host port to the board's port 80, and checks the network end to end from the host:
#   - DHCP: the board prints "DHCP ip 10.0.2.15 ..." (slirp's first lease)
#   - 200 sequential requests, each a new connection with the exact short answer
#   - 64 KiB answers, zero-copy (/big) and copied (/bigcopy), byte for byte
#   - 8 concurrent 64 KiB answers (all the connections the board serves at once)
#   - /quit: the board prints its counters and exits with status 0
# QEMU is stopped by its PID if anything hangs; the whole run is bounded.
#
#   embedded/net/probe-test.sh [path/to/net_probe.elf]    # default: embedded/build-mps2-an385
#   PROBE_TIMEOUT=120 REQUESTS=200 embedded/net/probe-test.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
elf="${1:-$here/../build-mps2-an385/net_probe.elf}"
PROBE_TIMEOUT="${PROBE_TIMEOUT:-120}"
REQUESTS="${REQUESTS:-200}"
[ -f "$elf" ] || { echo "probe-test.sh: no $elf (build embedded/ for mps2-an385 first)" >&2; exit 2; }
for tool in qemu-system-arm curl python3; do
    command -v "$tool" >/dev/null || { echo "probe-test.sh: needs $tool" >&2; exit 2; }
done

log="${elf%.elf}.probe.log"
work="$(mktemp -d)"
qemu_pid=""
cleanup() {
    if [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2>/dev/null; then
        kill "$qemu_pid" 2>/dev/null || true
        sleep 0.5
        kill -9 "$qemu_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

fail() {
    echo "probe-test.sh: FAIL: $*" >&2
    echo "---- board console ($log) ----" >&2
    tail -20 "$log" >&2 || true
    exit 1
}

# A free port below 32768 (Linux hands out the ports above to outgoing connections).
free_port() {
    python3 - <<'EOF'
import random, socket
for _ in range(100):
    port = random.randint(20000, 32000)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    print(port)
    break
EOF
}

deadline=$((SECONDS + PROBE_TIMEOUT))
started=0
for attempt in 1 2 3; do  # another process may take the port between the check and QEMU's bind
    port="$(free_port)"
    qemu-system-arm -M mps2-an385 -cpu cortex-m3 -nographic -semihosting-config enable=on,target=native \
        -nic "user,hostfwd=tcp:127.0.0.1:$port-:80" -kernel "$elf" </dev/null >"$log" 2>&1 &
    qemu_pid=$!
    while [ $SECONDS -lt $((deadline)) ]; do
        grep -q "^DHCP ip " "$log" && grep -q "listening on port 80" "$log" && { started=1; break; }
        kill -0 "$qemu_pid" 2>/dev/null || break
        sleep 0.2
    done
    [ "$started" -eq 1 ] && break
    grep -q "Could not set up host forwarding rule" "$log" || break
    wait "$qemu_pid" 2>/dev/null || true
    qemu_pid=""
done
[ "$started" -eq 1 ] || fail "no DHCP address and listener"
dhcp_line="$(grep "^DHCP ip " "$log")"
echo "  $dhcp_line (host port $port)"
case "$dhcp_line" in
    "DHCP ip 10.0.2.15 netmask 255.255.255.0 gateway 10.0.2.2 dns 10.0.2.3") ;;
    *) fail "unexpected DHCP facts: $dhcp_line" ;;
esac

url="http://127.0.0.1:$port"
get() {  # path output-file
    local remaining=$((deadline - SECONDS))
    [ "$remaining" -gt 0 ] || fail "out of time (PROBE_TIMEOUT=${PROBE_TIMEOUT}s)"
    [ "$remaining" -gt 20 ] && remaining=20
    curl -sS --max-time "$remaining" -o "$2" "$url$1"
}

# The expected bodies.
printf 'hello from lwIP\n' >"$work/hello"
python3 -c 'import sys; sys.stdout.buffer.write(b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+\n" * 1024)' >"$work/big"

t0=$(date +%s.%N)
for i in $(seq 1 "$REQUESTS"); do
    get / "$work/answer" || fail "request $i of $REQUESTS: curl failed"
    cmp -s "$work/answer" "$work/hello" || fail "request $i of $REQUESTS: wrong answer"
done
t1=$(date +%s.%N)
echo "  $REQUESTS sequential requests: ok ($(python3 -c "print(f'{($t1 - $t0) * 1000 / $REQUESTS:.1f}')") ms each)"

for page in big bigcopy; do
    t0=$(date +%s.%N)
    get "/$page" "$work/answer" || fail "/$page: curl failed"
    t1=$(date +%s.%N)
    cmp -s "$work/answer" "$work/big" || fail "/$page: body differs from the pattern ($(wc -c <"$work/answer") bytes)"
    echo "  /$page 64 KiB: ok ($(python3 -c "print(f'{65536 / 1024 / ($t1 - $t0):.0f}')") KiB/s)"
done

pids=()
for i in 1 2 3 4 5 6 7 8; do
    page=big
    [ $((i % 2)) -eq 0 ] && page=bigcopy
    get "/$page" "$work/concurrent$i" &
    pids+=($!)
done
for i in 1 2 3 4 5 6 7 8; do
    wait "${pids[$((i - 1))]}" || fail "concurrent request $i: curl failed"
    cmp -s "$work/concurrent$i" "$work/big" || fail "concurrent request $i: body differs"
done
echo "  8 concurrent 64 KiB answers: ok"

get /quit "$work/answer" || fail "/quit: curl failed"
while kill -0 "$qemu_pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
if kill -0 "$qemu_pid" 2>/dev/null; then fail "the board did not exit after /quit"; fi
status=0
wait "$qemu_pid" || status=$?
qemu_pid=""
stats="$(grep "^STATS " "$log" || true)"
echo "  ${stats:-no STATS line}"
[ "$status" -eq 0 ] || fail "net_probe exited with status $status"
echo "probe-test.sh: ok"
