#!/usr/bin/env bash
# CTest sync_bench_netbox_target: sync_bench's --netbox-url/--netbox-token are checked before
# anything starts or is written. A malformed URL or token is a usage error (exit 2) naming the
# flag; a NetBox that refuses the token or cannot be reached ends it with exit 1 and a message
# saying so, with no write in that NetBox; a good URL and token sync a tiny estate into it.
# usage: test-netbox-target.sh BUILD_DIR
set -uo pipefail
build=${1:?usage: test-netbox-target.sh BUILD_DIR}
bench="$build/bench/sync/sync_bench"
emulator="$build/apps/netbox-emulator/netbox-emulator"
token=0123456789abcdef0123456789abcdef01234567
wrong=fedcba9876543210fedcba9876543210fedcba98
tmp=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# expect STATUS TEXT ARGS...: sync_bench ARGS exits STATUS, stderr holds TEXT, stdout is empty.
expect() {
  local want=$1 text=$2 status
  shift 2
  "$bench" --build-dir "$build" "$@" >"$tmp/out" 2>"$tmp/err"
  status=$?
  [ "$status" -eq "$want" ] || fail "sync_bench $* exited $status, want $want: $(cat "$tmp/err")"
  grep -qF -- "$text" "$tmp/err" || fail "sync_bench $*: stderr lacks '$text': $(cat "$tmp/err")"
  [ ! -s "$tmp/out" ] || fail "sync_bench $* printed a report"
}

expect 2 "not an absolute URL" --netbox-url "netbox.example.com" --netbox-token "$token"
expect 2 "scheme 'ftp' is not http or https" --netbox-url "ftp://127.0.0.1/" --netbox-token "$token"
expect 2 "no host" --netbox-url "http://:8000" --netbox-token "$token"
expect 2 "path '/dcim/'" --netbox-url "http://127.0.0.1:8000/dcim/" --netbox-token "$token"
expect 2 "a query or fragment" --netbox-url "http://127.0.0.1:8000/?x=1" --netbox-token "$token"
expect 2 "user information" --netbox-url "http://admin@127.0.0.1:8000" --netbox-token "$token"
expect 2 "--netbox-token: a v2 token needs" --netbox-url "http://127.0.0.1:8000" \
  --netbox-token nbt_abcdefabcdef
expect 2 "--netbox-token: contains a space" --netbox-url "http://127.0.0.1:8000" \
  --netbox-token "abc def"
expect 2 "--netbox-url requires --netbox-token" --netbox-url "http://127.0.0.1:8000"
expect 2 "--netbox-token requires --netbox-url" --netbox-token "$token"
expect 2 "--request-timeout" --request-timeout 0

"$emulator" --listen 127.0.0.1:0 --ready-file "$tmp/ready.json" --token "$token" \
  --no-access-log --log-level warn >"$tmp/emulator.log" 2>&1 &
pid=$!
for _ in $(seq 600); do [ -s "$tmp/ready.json" ] && break; sleep 0.1; done
url=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["endpoints"][0]["url"])' \
  "$tmp/ready.json") || { echo "netbox-emulator did not start" >&2; exit 1; }
writes() {
  curl -sf -H "Authorization: Token $token" "$url/api/__emulator__/stats/" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["writes"])'
}

expect 1 "NetBox at $url refuses the token (403" --netbox-url "$url" --netbox-token "$wrong" \
  --guests 3 --nodes 1 --clusters 1
grep -q "nothing was started or written" "$tmp/err" || fail "refusal does not say nothing was written"
grep -q "^initial" "$tmp/err" && fail "a phase ran with a refused token"
[ "$(writes)" = 0 ] || fail "the emulator saw writes after a refused token"

# A good URL and token: the sync writes into that NetBox and the report says so.
"$bench" --build-dir "$build" --netbox-url "$url/api/" --netbox-token "$token" --guests 3 \
  --nodes 1 --clusters 1 >"$tmp/out" 2>"$tmp/err" || fail "a tiny sync into $url failed: $(cat "$tmp/err")"
python3 - "$tmp/out" <<'PY' || fail "report of the tiny sync: $(cat "$tmp/out")"
import json, sys
report = json.load(open(sys.argv[1]))
assert report["netbox"]["target"] == "url", report["netbox"]
initial, unchanged, changed = report["phases"]
assert initial["netbox_writes"] > 0 and initial["objects_written"] > 0, initial
assert unchanged["netbox_writes"] == 0, unchanged
assert changed["netbox_writes"] == 1, changed
assert "netbox_requests_by_route" not in initial, "emulator statistics asked of a NetBox by URL"
PY
[ "$(writes)" -gt 0 ] || fail "the emulator saw no writes from the tiny sync"

# Nothing listens there any more.
kill "$pid" && wait "$pid" 2>/dev/null
pid=""
expect 1 "cannot reach NetBox at $url" --netbox-url "$url" --netbox-token "$token"

[ "$failures" -eq 0 ] && echo "sync_bench --netbox-url/--netbox-token: all checks passed"
exit $((failures > 0))
