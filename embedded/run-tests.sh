#!/usr/bin/env bash
# Builds the core for each emulated board, in both profiles (with exceptions, and -fno-exceptions:
# include/asyncio/core/config.hpp), and runs the programs under QEMU:
#   core_test  the core's behaviours on the board's real timer (fails on any failed check); without
#              exceptions, the profile's own tests (tests/core/noexceptions/core_noexc_test.cpp)
#   blink      two tasks blinking at different rates (checks its own timing)
#   capacity   fills RAM with sleeping tasks until memory runs out, cleanly
#   net_probe  (mps2-an385, exceptions profile) lwIP on the emulated LAN9118 with QEMU's user
#              networking: DHCP, then HTTP requests from the host (net/probe-test.sh)
#   sensor_server (mps2-an385, exceptions profile) the web server on the board, tested from the
#              host with curl, Python, websockets and Chromium (tests/device/run_device_tests.py)
# then prints the flash/RAM sizes (arm-none-eabi-size) and "N passed, M failed".
#
#   embedded/run-tests.sh                           # every board, both profiles
#   BOARDS="microbit" embedded/run-tests.sh         # one board
#   PROFILES="noexceptions" embedded/run-tests.sh   # one profile
#   JOBS=4 QEMU_TIMEOUT=60 embedded/run-tests.sh
#
#   NET_PROBE=0 embedded/run-tests.sh               # skip the network tests (probe, sensor-server)
#
# Needs: gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib
# qemu-system-arm cmake (Debian 12); the network probe also curl and python3, and the first
# configure for mps2-an385 fetches lwIP from Debian's archive (scripts/fetch-lwip.sh). Build trees: embedded/build-<board>[-noexc].
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BOARDS="${BOARDS:-mps2-an385 mps2-an386 microbit}"
PROGRAMS="${PROGRAMS:-core_test blink capacity}"
QEMU_TIMEOUT="${QEMU_TIMEOUT:-60}"
JOBS="${JOBS:-$(nproc 2>/dev/null || echo 2)}"
NET_PROBE="${NET_PROBE:-1}"

missing=()
for tool in arm-none-eabi-g++ arm-none-eabi-size qemu-system-arm cmake; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "run-tests.sh: missing ${missing[*]}" >&2
    echo "  apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib qemu-system-arm cmake" >&2
    exit 2
fi

profiles="${PROFILES:-exceptions noexceptions}"

passed=0
failed=0
failures=()
sizes=()

run_program() {  # board build_dir program
    local board="$1" build="$2" program="$3"
    local elf="$build/$program.elf" log="$build/$program.log"
    local status=0
    # shellcheck disable=SC2046  # the machine options are words
    timeout --kill-after=5 "$QEMU_TIMEOUT" qemu-system-arm $(cat "$build/qemu-machine.txt") -nographic \
        -semihosting-config enable=on,target=native -kernel "$elf" </dev/null >"$log" 2>&1 || status=$?
    local verdict="ok"
    if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
        verdict="TIMEOUT after ${QEMU_TIMEOUT}s"
    elif [ "$status" -ne 0 ]; then
        verdict="exit status $status"
    elif [ "$program" = "core_test" ] && ! grep -qE "^[0-9]+ passed, 0 failed" "$log"; then
        verdict="no '0 failed' summary"
    fi
    if [ "$verdict" = "ok" ]; then
        passed=$((passed + 1))
        local summary=""
        [ "$program" = "core_test" ] && summary=" ($(grep -E "^[0-9]+ passed" "$log"))"
        echo "[  OK  ] $board/$program$summary"
    else
        failed=$((failed + 1))
        failures+=("$board/$program: $verdict (log: $log)")
        echo "[ FAIL ] $board/$program: $verdict"
        sed 's/^/    | /' "$log" | tail -40
    fi
    grep -h "^MEASURE" "$log" | sed "s|^|    $board/$program |" || true
}

# A board program tested from the host over QEMU's network (the program's own script boots it):
# one pass or failure, its log beside the program, and its size in the table.
run_host_test() {  # board build program command...
    local board="$1" build="$2" program="$3"
    shift 3
    local elf="$build/$program.elf" log="$build/$program.test.log"
    if [ ! -f "$elf" ]; then
        failed=$((failed + 1))
        failures+=("$board/$program: not built")
        echo "[ FAIL ] $board/$program: not built"
        return
    fi
    if "$@" >"$log" 2>&1; then
        passed=$((passed + 1))
        local summary
        summary="$(grep -E '^[0-9]+ passed' "$log" | tail -1 || true)"
        echo "[  OK  ] $board/$program${summary:+ ($summary)}"
        grep -E "^(MEASURE|DHCP|MEMORY|    )" "$log" | sed 's/^/    /' | tail -12 || true
    else
        failed=$((failed + 1))
        failures+=("$board/$program: failed (log: $log)")
        echo "[ FAIL ] $board/$program"
        sed 's/^/    | /' "$log" | tail -40
    fi
    read -r text data bss _ < <(arm-none-eabi-size "$elf" | tail -1)
    sizes+=("$(printf '%-11s %-13s %-10s %8s %6s %6s' "$board" "exceptions" "$(basename "$program")" "$text" "$data" "$bss")")
}

for profile in $profiles; do
    for board in $BOARDS; do
        build="$here/build-$board"
        flags=(-DASYNCIO_EXCEPTIONS=ON)
        if [ "$profile" = "noexceptions" ]; then
            build="$here/build-$board-noexc"
            flags=(-DASYNCIO_EXCEPTIONS=OFF)
        fi
        echo "=== $board ($profile): $build"
        mkdir -p "$build"
        if ! cmake -S "$here" -B "$build" -DCMAKE_TOOLCHAIN_FILE="$here/cmake/arm-none-eabi.cmake" \
                -DASYNCIO_BOARD="$board" "${flags[@]}" >"$build/configure.log" 2>&1 \
            || ! cmake --build "$build" -j "$JOBS" >"$build/build.log" 2>&1; then
            failed=$((failed + 1))
            failures+=("$board ($profile): build failed (log: $build/build.log)")
            echo "[ FAIL ] $board ($profile): build failed"
            grep -hE "error|Error" "$build/configure.log" "$build/build.log" | head -30 | sed 's/^/    | /' || true
            continue
        fi
        for program in $PROGRAMS; do
            [ -f "$build/$program.elf" ] || continue
            run_program "$board" "$build" "$program"
            read -r text data bss _ < <(arm-none-eabi-size "$build/$program.elf" | tail -1)
            sizes+=("$(printf '%-11s %-13s %-10s %8s %6s %6s' "$board" "$profile" "$program" "$text" "$data" "$bss")")
        done
        if [ "$NET_PROBE" = "1" ] && [ "$board" = "mps2-an385" ] && [ "$profile" = "exceptions" ]; then
            run_host_test "$board" "$build" net_probe "$here/net/probe-test.sh" "$build/net_probe.elf"
            run_host_test "$board" "$build" device/sensor_server \
                /usr/bin/python3 "$here/../tests/device/run_device_tests.py" "$build/device/sensor_server.elf"
        fi
    done
done

echo
echo "Footprint (bytes; flash = text + data, static RAM = data + bss; heap and stack come on top):"
printf '%-11s %-13s %-10s %8s %6s %6s\n' board profile program text data bss
printf '%s\n' "${sizes[@]}"
echo
if [ ${#failures[@]} -gt 0 ]; then
    echo "Failures:"
    printf '  %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
