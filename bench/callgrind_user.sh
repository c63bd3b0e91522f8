#!/usr/bin/env bash
# Instructions per no-I/O sample, swarm vs Locust (valgrind's callgrind; see callgrind_user.py).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
LOCUST_PY=${LOCUST_PY:-/tmp/bench/locust-venv/bin/python}
N1=${N1:-10000}
N2=${N2:-30000}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
instructions() {  # python package samples -> instructions of the whole run
  SWARM_STRICT_EVENTS=0 valgrind --tool=callgrind --callgrind-out-file="$out/cg.$2.$3" \
    "$1" bench/callgrind_user.py "$2" "$3" 2>&1 | grep -o "Collected : [0-9]*" | grep -o "[0-9]*"
}
per_sample() {
  local a b
  a=$(instructions "$1" "$2" "$N1")
  b=$(instructions "$1" "$2" "$N2")
  echo $(((b - a) / (N2 - N1)))
}
swarm=$(per_sample .venv/bin/python swarm)
locust=$(per_sample "$LOCUST_PY" locust)
echo "instructions per no-I/O sample: swarm $swarm  locust $locust  ratio $(python3 -c "print(f'{$locust / $swarm:.2f}')")"
