#!/usr/bin/env bash
# proxbox-api's sync into a real NetBox beside netbox-emulator, from one run (issue #11 item 4;
# figures go to README "## Benchmarks" → "proxbox-api sync"): starts a real NetBox VERSION with
# scripts/netbox-real (a fresh copy of its migrated template), then runs sync_bench twice on the
# same generated estate (GUESTS guests, seed 1, each run its own proxmox-mock): once into an
# emulator it starts (the same version when the emulator has it, else its newest), once into the
# real NetBox (--netbox-url/--netbox-token). Stops NetBox (its copy dropped, no process left) and
# prints one table: initial full sync, unchanged re-sync, one changed IP — wall time, NetBox
# requests, write requests and objects written per target, with the load average around it.
#
# usage: bench/sync/real-netbox.sh BUILD_DIR [VERSION (4.4)] [GUESTS (1000)] [sync_bench flags...]
#   BUILD_DIR: a release build preferably (the dev build's ASan makes the sync side slower).
#   Exit 3 with scripts/netbox-real's "requires ..." line when PostgreSQL, Redis or a suitable
#   Python is missing. The reports stay in $PBX_BENCH_OUT (default: a temporary folder, removed).
set -euo pipefail
build=${1:?usage: bench/sync/real-netbox.sh BUILD_DIR [VERSION] [GUESTS] [sync_bench flags...]}
version=${2:-4.4}
guests=${3:-1000}
shift $(($# < 3 ? $# : 3))
root=$(cd "$(dirname "$0")/../.." && pwd)
bench="$build/bench/sync/sync_bench"
for program in "$bench" "$build/apps/proxmox-mock/proxmox-mock" \
  "$build/apps/netbox-emulator/netbox-emulator"; do
  [ -x "$program" ] || { echo "real-netbox.sh: $program is not built" >&2; exit 1; }
done
"$root/scripts/netbox-real" "$version" check >/dev/null || exit $?

tmp=$(mktemp -d)
out=${PBX_BENCH_OUT:-$tmp}
mkdir -p "$out"
netbox_pid=""
stop_netbox() {
  # serve stops gunicorn and drops its database copy on SIGTERM.
  if [ -n "$netbox_pid" ]; then
    kill -TERM "$netbox_pid" 2>/dev/null || true
    wait "$netbox_pid" 2>/dev/null || true
    netbox_pid=""
  fi
}
cleanup() {
  stop_netbox
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "starting real NetBox $version (scripts/netbox-real; the first install takes minutes)" >&2
"$root/scripts/netbox-real" "$version" serve --ready-file "$tmp/netbox.json" \
  >"$out/netbox-$version.log" 2>&1 &
netbox_pid=$!
until [ -s "$tmp/netbox.json" ]; do
  kill -0 "$netbox_pid" 2>/dev/null ||
    { echo "real NetBox $version did not start; $out/netbox-$version.log:" >&2;
      tail -20 "$out/netbox-$version.log" >&2; exit 1; }
  sleep 0.5
done
read -r url token < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]));
print(r["endpoints"][0]["url"], r["token"])' "$tmp/netbox.json")
# The emulator as the same version when it emulates it, else its newest.
emulator_version=$(python3 -c 'import json,sys; v=[x["version"] for x in json.load(open(sys.argv[1]))["versions"]];
print(sys.argv[2] if sys.argv[2] in v else v[-1])' "$root/data/netbox-versions.json" "$version")

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo "sync_bench into netbox-emulator $emulator_version ($guests guests)" >&2
"$bench" --build-dir "$build" --guests "$guests" --emulator-version "$emulator_version" "$@" \
  >"$out/emulator.json"
load_middle=$(cut -d' ' -f1-3 /proc/loadavg)
echo "sync_bench into real NetBox $version at $url ($guests guests)" >&2
# A bulk write of 500 objects took real NetBox over 300 s on a loaded machine.
"$bench" --build-dir "$build" --guests "$guests" --netbox-url "$url" --netbox-token "$token" \
  --request-timeout 1800 "$@" >"$out/real.json"
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
stop_netbox

echo "$(date -u '+%Y-%m-%d %H:%M UTC'), build $build ($(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' \
  "$build/CMakeCache.txt")), $(nproc) cores, load average before / between / after:" \
  "$load_before / $load_middle / $load_after"
python3 - "$out/emulator.json" "$out/real.json" <<'PY'
import json, sys
emulator, real = (json.load(open(path)) for path in sys.argv[1:3])
def label(report):
    netbox = report["netbox"]
    kind = "netbox-emulator" if netbox["target"] == "emulator" else "real NetBox"
    plugin = "" if netbox["proxbox_plugin"] else ", no plugin"
    return f"{kind} {netbox['version']}{plugin}"
def cell(phase):
    sent = phase["netbox_requests"]
    requests = f"{phase['netbox_requests_total']:,} ({sent['get']} GET"
    for method in ("post", "patch", "delete"):
        if sent[method]:
            requests += f", {sent[method]} {method.upper()}"
    count = phase["error_count"]
    errors = f", **{count} error{'s' if count != 1 else ''}**" if count else ""
    return (f"{phase['seconds']:.1f} s | {requests}) | {phase['netbox_writes']:,} | "
            f"{phase['objects_written']:,}{errors}")
names = {"initial": "initial full sync", "unchanged": "unchanged re-sync",
         "one_guest_changed": "one changed IP"}
scenario = emulator["scenario"]
print(f"{scenario['guests']:,} guests ({scenario['clusters']} clusters, {scenario['nodes']} nodes,"
      f" {scenario['nics_per_guest']} NICs, {scenario['disks_per_guest']} disks,"
      f" {scenario['snapshots_per_guest']} snapshots, {scenario['backups_per_guest']} backups"
      f" each), scope {emulator['scope']}, read cache {'on' if emulator['read_cache'] else 'off'}")
print(f"E: {label(emulator)}; R: {label(real)}")
print()
columns = ["time", "NetBox requests", "write requests", "objects written"]
print("| phase | " + " | ".join(f"{c} (E)" for c in columns) + " | "
      + " | ".join(f"{c} (R)" for c in columns) + " | time R / E |")
print("|---|" + "---|" * 9)
for mine, theirs in zip(emulator["phases"], real["phases"]):
    ratio = theirs["seconds"] / mine["seconds"] if mine["seconds"] else float("nan")
    print(f"| {names.get(mine['phase'], mine['phase'])} | {cell(mine)} | {cell(theirs)} | "
          f"{ratio:.1f} × |")
PY
