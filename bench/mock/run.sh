#!/usr/bin/env bash
# proxmox-mock end-to-end benchmarks (figures go to README "## Benchmarks" → "proxmox-mock"):
#  1. keep-alive throughput of GET /api2/json/nodes, /api2/json/version and
#     /api2/json/cluster/resources (1,000 guests) against nginx serving the very same bytes, with
#     as many workers as the mock has I/O threads, in the same run, with wrk; RUNS rounds
#     (default 3), mock and nginx alternating, each round's figures and the medians;
#  1b. the same paths against upstream's proxmox-sdk mock (pinned, from PyPI, cached venv),
#     same data and wrk, as a ratio;
#  2. start to first /health 200 with pve-latest.json loaded (bench/startup/run.sh, 7 runs);
#  3. resident memory with a 10,000-guest scenario after serving /cluster/resources.
# usage: bench/mock/run.sh BUILD_DIR [seconds per wrk run] [RUNS] [THREADS]
#   BUILD_DIR: a release build; THREADS: mock --threads and nginx worker_processes (default 2)
set -euo pipefail
build=${1:?usage: bench/mock/run.sh BUILD_DIR [seconds] [runs] [threads]}
seconds=${2:-10}
runs=${3:-3}
threads=${4:-2}
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
  "$mock" --listen 127.0.0.1:0 --ready-file "$ready" --no-auth --threads "$threads" --no-access-log \
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
paths=(/api2/json/nodes /api2/json/version /api2/json/cluster/resources)
mkdir -p "$tmp/www/api2/json/cluster"
for path in "${paths[@]}"; do curl -sf "http://127.0.0.1:$mock_port$path" >"$tmp/www$path"; done
nginx_port=$(free_port)
mkdir -p "$tmp/nginx/logs"
# As root nginx would hand its workers to "nobody", who cannot read the private temp dir and
# would answer every request with a small 403.
user_line=""
[[ $(id -u) -eq 0 ]] && user_line="user $(id -un) $(id -gn);"
cat >"$tmp/nginx/nginx.conf" <<CONF
$user_line
worker_processes $threads;
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
nginx_pid=$!
pids+=("$nginx_pid")
for _ in $(seq 1 200); do curl -sf -o /dev/null "http://127.0.0.1:$nginx_port/api2/json/nodes" && break; sleep 0.02; done
for path in "${paths[@]}"; do
  cmp -s "$tmp/www$path" <(curl -sf "http://127.0.0.1:$nginx_port$path") ||
    { echo "nginx does not serve the mock's bytes for $path" >&2; exit 1; }
done
# CPU seconds (user + system) of processes (all their threads), from /proc. A process gone
# meanwhile counts nothing (uvicorn's supervisor replaces a worker that misses its health check
# under load), so the cores column can only understate such a server.
cpu_seconds() {
  local total=0 pid ticks
  for pid in "$@"; do
    ticks=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null) || ticks=0
    total=$((total + ${ticks:-0}))
  done
  python3 -c "print($total / $(getconf CLK_TCK))"
}
# wrk counts error answers as requests too; a run with any is not a measurement.
# Prints "req/s cores": throughput and the CPU the server processes used per wall second.
measure() {
  local url=$1 out before after
  shift
  before=$(cpu_seconds "$@")
  out=$(wrk -t2 -c32 -d"${seconds}s" "$url")
  after=$(cpu_seconds "$@")
  if grep -q 'Non-2xx' <<<"$out"; then echo "error answers from $url" >&2; exit 1; fi
  echo "$(rps <<<"$out") $(python3 -c "print(f'{($after - $before) / $seconds:.2f}')")"
}
# One table: proxmox-mock against another server on the same paths, RUNS alternating rounds
# each, then each path's medians. usage: compare NAME PORT PARENT_PID (the other's workers are
# PARENT_PID's children, looked up every round: the cores column)
compare() {
  local name=$1 port=$2 parent=$3 path round bytes mock_rps mock_cores other_rps other_cores
  printf '| path | bytes (mock / %s) | round | proxmox-mock req/s (cores) | %s req/s (cores) | ratio |\n' \
    "$name" "$name"
  printf '|---|---|---|---|---|---|\n'
  for path in "${paths[@]}"; do
    bytes="$(wc -c <"$tmp/www$path") / $(curl -sf "http://127.0.0.1:$port$path" | wc -c)"
    local mock_all=() other_all=()
    for round in $(seq 1 "$runs"); do
      read -r mock_rps mock_cores < <(measure "http://127.0.0.1:$mock_port$path" "$mock_pid")
      # shellcheck disable=SC2086 # one pid per word
      read -r other_rps other_cores < <(measure "http://127.0.0.1:$port$path" $(pgrep -P "$parent"))
      mock_all+=("$mock_rps")
      other_all+=("$other_rps")
      printf '| %s | %s | %s | %s (%s) | %s (%s) | %s |\n' "$path" "$bytes" "$round" "$mock_rps" \
        "$mock_cores" "$other_rps" "$other_cores" \
        "$(python3 -c "print(f'{$mock_rps / $other_rps:.2f}')")"
    done
    python3 - "$path" "${#mock_all[@]}" "${mock_all[@]}" "${other_all[@]}" <<'PY'
import statistics, sys
path, n = sys.argv[1], int(sys.argv[2])
mock = [float(x) for x in sys.argv[3:3 + n]]
other = [float(x) for x in sys.argv[3 + n:]]
m, o = statistics.median(mock), statistics.median(other)
print(f"| {path} | | median | {m:,.0f} | {o:,.0f} | **{m / o:.2f} ×** |")
PY
  done
}
echo "mock --threads $threads, nginx worker_processes $threads, $runs rounds"
compare nginx "$nginx_port" "$nginx_pid"

echo "== upstream proxmox-sdk mock (bench/mock/requirements-upstream.txt), same data =="
# The same three paths, loaded with the very data proxmox-mock serves (proxmox-sdk's custom mock
# data, keyed by path), served by uvicorn with as many worker processes as the mock has threads,
# measured by the same wrk. Upstream answers the bare `data` value without Proxmox's
# {"data": ...} envelope (and adds a null for every schema field an entry lacks): the bytes
# column says what each one sent.
if upstream_python=$("$root/bench/mock/upstream-venv"); then
  python3 - "$tmp" "${paths[@]}" <<'PY'
import json, sys
tmp, paths = sys.argv[1], sys.argv[2:]
data = {path: json.load(open(f"{tmp}/www{path}"))["data"] for path in paths}
json.dump(data, open(f"{tmp}/upstream-data.json", "w"))
PY
  upstream_port=$(free_port)
  (cd "$tmp" && PROXMOX_MOCK_DATA_PATH="$tmp/upstream-data.json" \
    PROXMOX_MOCK_STATE_PATH="$tmp/upstream-state.db" exec "$upstream_python" -m uvicorn \
    proxmox_sdk.mock_main:app --host 127.0.0.1 --port "$upstream_port" --workers "$threads" \
    --log-level warning --no-access-log >"$tmp/upstream.log" 2>&1) &
  upstream_pid=$!
  pids+=("$upstream_pid")
  for _ in $(seq 1 600); do
    curl -sf -o /dev/null "http://127.0.0.1:$upstream_port/api2/json/version" && break
    sleep 0.1
  done
  for path in "${paths[@]}"; do
    curl -sf -o /dev/null "http://127.0.0.1:$upstream_port$path" ||
      { echo "the upstream mock does not answer $path: $(tail -3 "$tmp/upstream.log")" >&2; exit 1; }
  done
  compare proxmox-sdk "$upstream_port" "$upstream_pid"
  kill "$upstream_pid" 2>/dev/null || true
  wait "$upstream_pid" 2>/dev/null || true
else
  echo "skipped: the upstream mock's venv is not available (see the message above)"
fi
stop_mock

echo "== start to /health 200 (pve-latest.json) =="
"$root/bench/startup/run.sh" "$build" 7

echo "== RSS with 10,000 guests =="
"$mock" scenario generate --clusters 1 --nodes 30 --guests 10000 --seed 1 >"$tmp/s10k.json"
start_mock --scenario "$tmp/s10k.json"
curl -sf "http://127.0.0.1:$mock_port/api2/json/cluster/resources" >/dev/null
curl -sf "http://127.0.0.1:$mock_port/api2/json/nodes" >/dev/null
rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$mock_pid/status")
echo "RSS after loading 10,000 guests and serving /cluster/resources: $((rss_kb / 1024)) MB"
stop_mock
