#!/usr/bin/env bash
# bench/bench_memory.sh [USERS=5000] [HOLD_S=15] [SPAWN_RATE=500]
#
# Memory per user and throughput at many slow users: swarm's FastHttpUser against Locust 2.47's,
# in the same run, against the shared harness's nginx target (127.0.0.1:18089).
#
# 1. Memory: USERS users, each doing GET / then waiting 5 s (constant(5)). The RSS of the
#    generator's process tree is read at the end of a HOLD_S hold after the ramp, by the same
#    sampler for both tools (run_sampled of ../shared/bench/common.sh; Locust through
#    ../shared/bench/mem.sh). "Idle" is the same run with 1 user: same modules loaded, hub,
#    one client and one statistics entry, so (RSS(USERS) - RSS(1)) / (USERS - 1) is what one
#    more user costs, measured the same way for both tools.
# 2. Throughput: USERS users asking 1 req/s each (constant(1)): achieved req/s (reset when the
#    ramp ends, as both tools' --reset-stats do), the server's own count, p50/p99.
#
# Runs are interleaved swarm, Locust, swarm, Locust...; ROUNDS (default 1) repeats the whole set
# and the medians are printed. Both generators are pinned to LOAD_CPU, the target to TARGET_CPU.
# stdout: figures per tool and the ratios; the LAST line is the per-user memory ratio
# swarm/Locust (goal <= 0.5). stderr: one RESULT line per run (appended to $BENCH_RESULTS if set).
# Env: SWARM (the swarm executable), BENCH_HARNESS (../shared/bench), SKIP_LOCUST=1, ROUNDS,
#      and the harness's settings (BENCH_DIR, LOAD_CPU, TARGET_CPU, BENCH_QUIET_WAIT, ...).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
HARNESS="${BENCH_HARNESS:-$HERE/../../shared/bench}"
# shellcheck source=../../shared/bench/common.sh
source "$HARNESS/common.sh"

USERS="${1:-5000}"; HOLD="${2:-15}"; RATE="${3:-500}"
ROUNDS="${ROUNDS:-1}"
SWARM="${SWARM:-$HERE/../.venv/bin/swarm}"
SWARM_PY="$(dirname "$SWARM")/python"
[[ $USERS =~ ^[0-9]+$ && $USERS -ge 2 ]] || die "USERS must be an integer >= 2"
[[ $HOLD =~ ^[0-9]+$ && $HOLD -ge 3 ]] || die "HOLD_S must be >= 3"
[[ $RATE =~ ^[0-9]+$ && $RATE -ge 1 ]] || die "SPAWN_RATE must be a positive integer"
[[ -x $SWARM ]] || die "no swarm at $SWARM (set SWARM)"
WITH_LOCUST=1
if [[ ${SKIP_LOCUST:-0} == 1 || ! -x $LOCUST_VENV/bin/locust ]]; then WITH_LOCUST=0; fi

WORK=$(mktemp -d "$BENCH_DIR/swarm-mem.XXXXXX")
cleanup() {
  local rc=$?
  kill_tree "$RS_PID"
  rm -rf "$WORK"
  release_target
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ensure_target
# One socket per user: 5,000 users need more than the usual 1,024 files, and a headless swarm
# does not raise its own limit (Locust does, to 10,000).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if (($(ulimit -n) < USERS + 200)); then die "open-file limit $(ulimit -n) < $((USERS + 200)) needed"; fi

record() {  # RESULT line -> stderr and $BENCH_RESULTS
  echo "$1" >&2
  if [[ -n ${BENCH_RESULTS:-} ]]; then echo "$(date -Is) $1" >>"$BENCH_RESULTS"; fi
}

field() {  # field KEY LINE -> the value of KEY=... in a RESULT line, or NA
  local v
  v=$(sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $2")
  echo "${v:-NA}"
}

# swarm_run USERS WAIT_S -> sets LINE to the RESULT line. Same schedule as mem.sh: ramp at RATE,
# window from 2 s after the ramp to the end of the hold, RSS at the window's last snapshot.
swarm_run() {
  local users=$1 wait_s=$2 ramp dur stats client
  # The fast client is being replaced: every RESULT line names the class that ran.
  client=$("$SWARM_PY" -c 'from swarm.contrib.fasthttp import FastHttpUser as u; print(f"{u.__module__}.{u.__qualname__}")')
  if [[ " ${SW_CLIENTS[*]} " != *" $client "* ]]; then SW_CLIENTS+=("$client"); fi
  ramp=$(((users + RATE - 1) / RATE))
  dur=$((ramp + HOLD + 3))
  wait_quiet
  BENCH_WAIT="$wait_s" BENCH_PATH="${BENCH_PATH:-/}" run_sampled "$WORK/out" "$WORK/err" \
    $((ramp + 3)) $((ramp + HOLD + 1)) $((dur + 60)) \
    "${LOAD_PREFIX[@]}" "$SWARM" -f "$HERE/benchfile.py" --headless --only-summary \
    --loglevel WARNING -H "$TARGET_URL" -u "$users" -r "$RATE" -t "${dur}s" --stop-timeout 2 \
    --reset-stats --csv "$WORK/run" FastBench
  if ((RS_RC != 0 && RS_RC != 1)); then tail -n 20 "$WORK/err" >&2; die "swarm exited with $RS_RC"; fi
  [[ -s $WORK/run_stats.csv ]] || { tail -n 20 "$WORK/err" >&2; die "swarm wrote no stats csv"; }
  stats=$("$SWARM_PY" - "$WORK/run_stats.csv" <<'PY'
import csv, sys
row = [r for r in csv.DictReader(open(sys.argv[1])) if r["Name"] == "Aggregated"][-1]
print("rps=%.1f fails=%s p50_ms=%s p99_ms=%s" % (
    float(row["Requests/s"]), row["Failure Count"], row["50%"], row["99%"]))
PY
)
  LINE="RESULT tool=swarm-fast-mem users=$users wait_s=$wait_s client=$client rss_mb=$RS_RSS_MB $stats $(rs_summary)"
  record "$LINE"
}

# locust_run USERS WAIT_S -> sets LINE to mem.sh's RESULT line
locust_run() {
  local users=$1 wait_s=$2 rc=0
  BENCH_RESULTS="" "$HARNESS/mem.sh" fast "$users" "$wait_s" "$HOLD" "$RATE" \
    >"$WORK/l.out" 2>"$WORK/l.err" || rc=$?
  if ((rc != 0)); then tail -n 20 "$WORK/l.err" >&2; die "mem.sh exited with $rc"; fi
  LINE=$(grep '^RESULT ' "$WORK/l.err" | tail -n 1)
  record "$LINE"
}

# Runs are called directly, not in $(...), so that RS_PID stays visible to the cleanup trap.
LINE=""
SW_CLIENTS=()
sw_idle=(); sw_full=(); sw_rps=(); sw_srv=(); sw_p50=(); sw_p99=()
lo_idle=(); lo_full=(); lo_rps=(); lo_srv=(); lo_p50=(); lo_p99=()
one_set() {  # appends one run of each kind to the per-tool arrays above
  swarm_run 1 5; sw_idle+=("$(field rss_mb "$LINE")")
  if ((WITH_LOCUST)); then locust_run 1 5; lo_idle+=("$(field rss_mb "$LINE")"); fi
  swarm_run "$USERS" 5; sw_full+=("$(field rss_mb "$LINE")")
  if ((WITH_LOCUST)); then locust_run "$USERS" 5; lo_full+=("$(field rss_mb "$LINE")"); fi
  swarm_run "$USERS" 1
  sw_rps+=("$(field rps "$LINE")"); sw_srv+=("$(field server_rps "$LINE")")
  sw_p50+=("$(field p50_ms "$LINE")"); sw_p99+=("$(field p99_ms "$LINE")")
  if ((WITH_LOCUST)); then
    locust_run "$USERS" 1
    lo_rps+=("$(field rps "$LINE")"); lo_srv+=("$(field server_rps "$LINE")")
    lo_p50+=("$(field p50_ms "$LINE")"); lo_p99+=("$(field p99_ms "$LINE")")
  fi
}

for ((round = 1; round <= ROUNDS; round++)); do
  log "round $round of $ROUNDS: swarm and Locust, idle, $USERS users x constant(5), $USERS users x constant(1)"
  one_set
done

per_user_kib() {  # IDLE_MB FULL_MB -> KiB per added user
  awk -v i="$1" -v f="$2" -v n="$USERS" 'BEGIN{ printf "%.1f", (f - i) * 1024 / (n - 1) }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.2f\n", a / b; else print "NA" }'; }

report_memory() {  # TOOL IDLE_MB FULL_MB -> prints a line, sets PER_USER
  PER_USER=$(per_user_kib "$2" "$3")
  printf '  %-6s: idle %s MiB, %s users %s MiB -> %s MiB added, %s KiB per user\n' \
    "$1" "$2" "$USERS" "$3" "$(awk -v i="$2" -v f="$3" 'BEGIN{ print f - i }')" "$PER_USER"
}

report_rate() {  # TOOL RPS SERVER_RPS P50 P99
  printf '  %-6s: %s req/s (server counted %s), p50 %s ms, p99 %s ms\n' "$1" "$2" "$3" "$4" "$5"
}

if ((${#SW_CLIENTS[@]} > 1)); then echo "WARNING: swarm's FastHttpUser changed during the run"; fi
echo "swarm's FastHttpUser: ${SW_CLIENTS[*]}"
echo "memory: $USERS users x GET / every 5 s, FastHttpUser, RSS after a ${HOLD} s hold; idle = the same run with 1 user (medians of $ROUNDS)"
report_memory swarm "$(median "${sw_idle[@]}")" "$(median "${sw_full[@]}")"
sw_per_user=$PER_USER
if ((WITH_LOCUST)); then
  report_memory locust "$(median "${lo_idle[@]}")" "$(median "${lo_full[@]}")"
  lo_per_user=$PER_USER
fi
echo "throughput: $USERS users x 1 req/s (constant(1)), FastHttpUser (medians of $ROUNDS; goal swarm >= 4,900 req/s at 5,000 users)"
sw_rate=$(median "${sw_rps[@]}")
report_rate swarm "$sw_rate" "$(median "${sw_srv[@]}")" "$(median "${sw_p50[@]}")" "$(median "${sw_p99[@]}")"
if ((WITH_LOCUST)); then
  lo_rate=$(median "${lo_rps[@]}")
  report_rate locust "$lo_rate" "$(median "${lo_srv[@]}")" "$(median "${lo_p50[@]}")" "$(median "${lo_p99[@]}")"
  echo "  ratio swarm/locust req/s: $(ratio "$sw_rate" "$lo_rate")"
  echo "ratio swarm/locust memory per user (goal <= 0.5):"
  ratio "$sw_per_user" "$lo_per_user"
else
  echo "(no Locust compared: SKIP_LOCUST=1 or no $LOCUST_VENV/bin/locust; run $HARNESS/setup.sh)"
fi
