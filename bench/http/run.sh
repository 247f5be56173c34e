#!/usr/bin/env bash
# Compares the HTTP core with nginx on loopback: both serve the same 1024-byte JSON body with
# keep-alive, wrk loads each in turn in the same run. Builds nothing.
#   bench/http/run.sh [build-dir (default build/release)] [wrk args (default -t2 -c32 -d5s)]
# nginx runs with worker_processes 1; our server with --threads 2 (override: PBX_BENCH_THREADS).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build/release}
shift || true
wrk_args=("$@")
[[ ${#wrk_args[@]} -gt 0 ]] || wrk_args=(-t2 -c32 -d5s)
server_bin=$build/bench/http/http_bench_server
[[ -x $server_bin ]] || { echo "missing $server_bin (build the release preset first)" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk not installed" >&2; exit 1; }
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)

tmp=$(mktemp -d)
pids=()
cleanup() {
  [[ -n ${PBX_BENCH_DEBUG:-} ]] && cat "$tmp"/logs/*.log >&2
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

mkdir -p "$tmp/www"
# The same 1024 bytes our bench server sends.
/usr/bin/python3 -c 'import sys; p="{\"data\":\""; s="\"}"; sys.stdout.write(p + "x"*(1024-len(p)-len(s)) + s)' \
  > "$tmp/www/bench"
nginx_port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$tmp/logs" "$tmp/body"
# As root nginx would hand its worker to "nobody", who cannot read the private temp dir.
user_line=""
[[ $(id -u) -eq 0 ]] && user_line="user $(id -un) $(id -gn);"
cat > "$tmp/nginx.conf" <<CONF
$user_line
worker_processes 1;
pid $tmp/nginx.pid;
error_log $tmp/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $tmp/body;
  proxy_temp_path $tmp/body;
  fastcgi_temp_path $tmp/body;
  uwsgi_temp_path $tmp/body;
  scgi_temp_path $tmp/body;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  server {
    listen 127.0.0.1:$nginx_port;
    root $tmp/www;
    default_type application/json;
  }
}
CONF
"$nginx_bin" -p "$tmp" -c "$tmp/nginx.conf" -g "daemon off;" 2>"$tmp/logs/stderr.log" &
pids+=($!)

"$server_bin" --listen 127.0.0.1:0 --threads "${PBX_BENCH_THREADS:-2}" --log-level warn \
  --no-access-log --ready-file "$tmp/ready.json" >"$tmp/server.out" 2>&1 &
pids+=($!)

for _ in $(seq 100); do
  [[ -s $tmp/ready.json ]] && curl -sf -o /dev/null "http://127.0.0.1:$nginx_port/bench" && break
  sleep 0.1
done
our_url=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["endpoints"][0]["url"])' "$tmp/ready.json")
nginx_url="http://127.0.0.1:$nginx_port"
cmp -s <(curl -sf "$our_url/bench") <(curl -sf "$nginx_url/bench") || {
  echo "the two servers do not send the same body" >&2; exit 1; }

rate() {  # wrk's Requests/sec figure
  wrk "${wrk_args[@]}" "$1/bench" | tee -a "$tmp/wrk.log" | awk '/Requests\/sec/ {print $2}'
}
echo "wrk ${wrk_args[*]} (1024-byte body, keep-alive, loopback)"
ours=$(rate "$our_url")
theirs=$(rate "$nginx_url")
echo "proxbox http core: $ours req/s"
echo "nginx (1 worker):  $theirs req/s"
/usr/bin/python3 -c "import sys; print(f'ratio: {float(sys.argv[1])/float(sys.argv[2]):.2f} x nginx')" "$ours" "$theirs"
