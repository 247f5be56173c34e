#!/usr/bin/env bash
# Times the full E2E matrix (63 cells on push) on this machine with the binaries of a build dir
# (release preset recommended) and keeps the summary: wall time, failures, slowest cells.
#   bench/e2e/run.sh [build/release] [extra run-matrix args, e.g. --jobs 2]
set -euo pipefail
build=${1:-build/release}
shift || true
out="$build/bench-e2e"
mkdir -p "$out"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg), cores: $(nproc)" | tee "$out/summary.txt"
/usr/bin/time -v "$build/apps/proxbox-e2e/proxbox-e2e" run-matrix --bin-dir "$build" \
  --output-dir "$out/junit" "$@" 2>"$out/time.txt" | tee -a "$out/summary.txt"
grep -E "Elapsed|Maximum resident" "$out/time.txt" | tee -a "$out/summary.txt"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/summary.txt"
