#!/usr/bin/env bash
# Start-up of proxmox-mock: time from fork to the first 200 from GET /health, RUNS times
# (default 7), min/median/max in milliseconds. Figures go to the README's "## Benchmarks".
# usage: bench/startup/run.sh BUILD_DIR [RUNS] [-- extra proxmox-mock arguments]
#   BUILD_DIR: a release build (cmake --preset release; target proxmox-mock)
#   e.g. bench/startup/run.sh build/release 7 -- --service pbs
# The port is chosen free beforehand and polled with connect() every 0.2 ms, so neither the
# ready file nor a python interpreter's start-up is inside the figure.
set -euo pipefail
build=${1:?usage: bench/startup/run.sh BUILD_DIR [RUNS] [-- extra mock arguments]}
shift
runs=7
if [ $# -gt 0 ] && [ "$1" != "--" ]; then runs=$1; shift; fi
if [ "${1:-}" = "--" ]; then shift; fi
mock="$build/apps/proxmox-mock/proxmox-mock"
[ -x "$mock" ] || { echo "no $mock (build the proxmox-mock target)" >&2; exit 1; }

python3 - "$mock" "$runs" "$@" <<'PY'
import socket, statistics, subprocess, sys, time

mock, runs, extra = sys.argv[1], int(sys.argv[2]), sys.argv[3:]

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

def health_ok(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return s.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False

samples = []
for run in range(runs):
    port = free_port()
    started = time.monotonic()
    process = subprocess.Popen([mock, "--listen", "127.0.0.1:%d" % port, "--no-access-log",
                                "--log-level", "warn", *extra],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while not health_ok(port):
            if process.poll() is not None:
                sys.exit("proxmox-mock exited with %d: %s" % (process.returncode,
                                                               process.stderr.read().decode()))
            if time.monotonic() - started > 30:
                sys.exit("no /health answer within 30 s")
            time.sleep(0.0002)
        samples.append((time.monotonic() - started) * 1000)
    finally:
        process.terminate()
        process.wait()
print("proxmox-mock start to first /health 200, %d runs, ms: %s" %
      (runs, " ".join("%.1f" % s for s in samples)))
print("min %.1f  median %.1f  max %.1f" % (min(samples), statistics.median(samples),
                                           max(samples)))
PY
