#!/usr/bin/env bash
# proxmox-mock end-to-end benchmarks (figures go to README "## Benchmarks" → "proxmox-mock"):
#  1. keep-alive throughput of GET /api2/json/nodes and /api2/json/cluster/resources (1,000
#     guests) against nginx serving the very same bytes, in the same run, with wrk;
#  2. start to first /health 200 with pve-latest.json loaded (median of 5);
#  3. resident memory with a 10,000-guest scenario after serving /cluster/resources.
# usage: bench/mock/run.sh BUILD_DIR [seconds per wrk run]   (BUILD_DIR: a release build)
set -euo pipefail
build=${1:?usage: bench/mock/run.sh BUILD_DIR [seconds]}
seconds=${2:-10}
root=$(cd "$(dirname "$0")/../.." && pwd)
mock="$build/apps/proxmox-mock/proxmox-mock"
[ -x "$mock" ] || cmake --build "$build" --target proxmox-mock -j2
for tool in wrk nginx curl; do command -v "$tool" >/dev/null || { echo "need $tool" >&2; exit 1; }; done

tmp=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# Starts the mock in the background; sets mock_pid and mock_port.
start_mock() {
  local ready="$tmp/ready-$RANDOM.json"
  "$mock" --listen 127.0.0.1:0 --ready-file "$ready" --no-auth --threads 2 --no-access-log \
    --log-level warn "$@" >"$tmp/mock.log" 2>&1 &
  mock_pid=$!
  pids+=("$mock_pid")
  for _ in $(seq 1 2000); do [ -s "$ready" ] && break; sleep 0.005; done
  mock_port=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["endpoints"][0]["port"])' "$ready")
}
stop_mock() { kill "$mock_pid"; wait "$mock_pid" 2>/dev/null || true; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rps() { awk '/Requests\/sec/ {print $2}'; }

echo "== throughput (wrk -t2 -c32 -d${seconds}s, keep-alive) =="
"$mock" scenario generate --clusters 1 --nodes 10 --guests 1000 --seed 1 >"$tmp/s1k.json"
start_mock --scenario "$tmp/s1k.json"
mkdir -p "$tmp/www/api2/json/cluster"
curl -sf "http://127.0.0.1:$mock_port/api2/json/nodes" >"$tmp/www/api2/json/nodes"
curl -sf "http://127.0.0.1:$mock_port/api2/json/cluster/resources" >"$tmp/www/api2/json/cluster/resources"
nginx_port=$(free_port)
mkdir -p "$tmp/nginx/logs"
# As root nginx would hand its workers to "nobody", who cannot read the private temp dir and
# would answer every request with a small 403.
user_line=""
[[ $(id -u) -eq 0 ]] && user_line="user $(id -un) $(id -gn);"
cat >"$tmp/nginx/nginx.conf" <<CONF
$user_line
worker_processes 2;
error_log $tmp/nginx/logs/error.log warn;
pid $tmp/nginx/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$nginx_port;
    root $tmp/www;
    default_type application/json;
  }
}
CONF
nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -g 'daemon off;' &
pids+=($!)
for _ in $(seq 1 200); do curl -sf -o /dev/null "http://127.0.0.1:$nginx_port/api2/json/nodes" && break; sleep 0.02; done
for path in /api2/json/nodes /api2/json/cluster/resources; do
  cmp -s "$tmp/www$path" <(curl -sf "http://127.0.0.1:$nginx_port$path") ||
    { echo "nginx does not serve the mock's bytes for $path" >&2; exit 1; }
done
# wrk counts error answers as requests too; a run with any is not a measurement.
measure() {
  local out
  out=$(wrk -t2 -c32 -d"${seconds}s" "$1")
  if grep -q 'Non-2xx' <<<"$out"; then echo "error answers from $1" >&2; exit 1; fi
  rps <<<"$out"
}
printf '| path | bytes | proxmox-mock req/s | nginx req/s | ratio |\n|---|---|---|---|---|\n'
for path in /api2/json/nodes /api2/json/cluster/resources; do
  bytes=$(wc -c <"$tmp/www$path")
  mock_rps=$(measure "http://127.0.0.1:$mock_port$path")
  nginx_rps=$(measure "http://127.0.0.1:$nginx_port$path")
  ratio=$(python3 -c "print(f'{float(\"$mock_rps\")/float(\"$nginx_rps\"):.2f}')")
  printf '| %s | %s | %s | %s | %s |\n' "$path" "$bytes" "$mock_rps" "$nginx_rps" "$ratio"
done
stop_mock

echo "== start to /health 200 (pve-latest.json) =="
# Timed from fork to the first 200 by one python process, so interpreter start-up is excluded.
python3 - "$mock" "$tmp" <<'PY'
import http.client, json, os, statistics, subprocess, sys, time
mock, tmp = sys.argv[1], sys.argv[2]
samples = []
for run in range(5):
    ready = os.path.join(tmp, "ready-start-%d.json" % run)
    started = time.monotonic()
    process = subprocess.Popen([mock, "--listen", "127.0.0.1:0", "--ready-file", ready,
                                "--no-access-log", "--log-level", "warn"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while not (os.path.exists(ready) and os.path.getsize(ready) > 0):
            time.sleep(0.0005)
        port = json.load(open(ready))["endpoints"][0]["port"]
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                connection.request("GET", "/health")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.0005)
        samples.append((time.monotonic() - started) * 1000)
    finally:
        process.terminate()
        process.wait()
print("start-to-health ms: %s (median %.0f)" % (" ".join("%.0f" % s for s in samples),
                                                 statistics.median(samples)))
PY

echo "== RSS with 10,000 guests =="
"$mock" scenario generate --clusters 1 --nodes 30 --guests 10000 --seed 1 >"$tmp/s10k.json"
start_mock --scenario "$tmp/s10k.json"
curl -sf "http://127.0.0.1:$mock_port/api2/json/cluster/resources" >/dev/null
curl -sf "http://127.0.0.1:$mock_port/api2/json/nodes" >/dev/null
rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$mock_pid/status")
echo "RSS after loading 10,000 guests and serving /cluster/resources: $((rss_kb / 1024)) MB"
stop_mock
