#!/usr/bin/env bash
# bench/swarm_rps.sh CLASS SECONDS USERS -> prints swarm's steady-state requests/s (last line).
#
# Runs bench/benchfile.py headless against $BENCH_TARGET_URL (default: the shared harness's nginx,
# http://127.0.0.1:18089) with --reset-stats, so the ramp is excluded exactly as
# ../shared/bench/locust_rps.sh does for Locust, and reads the Aggregated Requests/s of --csv.
# Meant to be the "other command" of ../shared/bench/compare.sh:
#   ../shared/bench/compare.sh "bench/swarm_rps.sh HttpBench 20 50" http 20 50
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
class="${1:-HttpBench}"
seconds="${2:-20}"
users="${3:-50}"
swarm="${SWARM:-$here/../.venv/bin/swarm}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$swarm" -f "$here/benchfile.py" --headless -u "$users" -r "$users" -t "${seconds}s" \
  -H "${BENCH_TARGET_URL:-http://127.0.0.1:18089}" --reset-stats --only-summary \
  --csv "$out/run" --loglevel WARNING "$class" >"$out/stdout" 2>"$out/stderr" || {
  tail -n 20 "$out/stderr" >&2
  exit 1
}
awk -F, '$2 == "Aggregated" { print $10 }' "$out/run_stats.csv"
