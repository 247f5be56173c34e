#!/usr/bin/env bash
# netbox-emulator benchmark (figures go to README "## Benchmarks" → "netbox-emulator"):
# bulk-create 10,000 VMs in lists of 500 over HTTP (keep-alive), then list them back in pages
# of 1,000. Runs against a fresh emulator with a file database (WAL), as in production.
# Then "list 50k rows: offset pages vs keyset" (PAGING_VMS rows, default 50000, 0 skips it):
# the same VMs listed by limit/offset and by id__gt, filtered by cluster_id and by tag.
# Prints the driver's JSON lines (wall-clock figures) and the emulator's CPU seconds.
# usage: bench/netbox/run.sh BUILD_DIR [--netbox-version X]   (BUILD_DIR: a release build)
set -euo pipefail
build=${1:?usage: bench/netbox/run.sh BUILD_DIR [emulator flags...]}
shift
emulator="$build/apps/netbox-emulator/netbox-emulator"
bench="$build/bench/netbox/netbox_bench"
[ -x "$emulator" ] && [ -x "$bench" ] || cmake --build "$build" --target netbox-emulator netbox_bench -j2

tmp=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

"$emulator" --listen 127.0.0.1:0 --ready-file "$tmp/ready.json" --db "$tmp/netbox.sqlite" \
  --threads 2 --no-access-log --log-level warn "$@" >"$tmp/emulator.log" 2>&1 &
pid=$!
for _ in $(seq 100); do [ -s "$tmp/ready.json" ] && break; sleep 0.1; done
url=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["endpoints"][0]["url"])' "$tmp/ready.json")
"$bench" --url "$url" --paging-vms "${PAGING_VMS:-50000}"
# The emulator's own CPU time for the whole run (creation + listing): on a shared machine this
# is the steadier figure, wall-clock time depends on what else runs.
ticks=$(getconf CLK_TCK)
read -r utime stime < <(awk '{print $14, $15}' "/proc/$pid/stat")
echo "{\"emulator_cpu_seconds\": $(echo "scale=2; ($utime + $stime) / $ticks" | bc)}"
