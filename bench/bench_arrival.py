"""How exactly a requested rate is kept: swarm's open model against Locust's constant_throughput.

For each rate R (iterations/s) it runs, one after the other on the pinned load CPU, against the
shared harness's nginx target (../shared/bench/target.sh start):

- swarm: ``--arrival-rate R/s`` with a pool of ``--max-users`` users (FastBench of benchfile.py,
  one GET per iteration), for SECONDS; the achieved rate is iterations / run time, from the JSON
  report's ``arrival`` object, and the drops with it;
- Locust 2.47: R users with ``wait_time = constant_throughput(1)`` (one task per user per
  second: Locust's way to ask for R/s), ``--reset-stats`` so the ramp is not counted; the
  achieved rate is the Aggregated Requests/s of its CSV.

It prints one row per rate: requested, each tool's achieved rate and its error against the
request, and swarm's median scheduling lag (corrected minus service p50: how late iterations
start on average). Run:

    ../shared/bench/target.sh start
    .venv/bin/python bench/bench_arrival.py [SECONDS=20] [RATES=100,1000,3000]
    ../shared/bench/target.sh stop

Knobs: LOCUST_VENV (default /tmp/bench/locust-venv), LOAD_CPU (1), BENCH_TARGET_URL.
Every run is bounded by its own -t and a hard timeout.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SWARM = HERE.parent / ".venv" / "bin" / "swarm"
LOCUST = Path(os.environ.get("LOCUST_VENV", "/tmp/bench/locust-venv")) / "bin" / "locust"
TARGET = os.environ.get("BENCH_TARGET_URL", "http://127.0.0.1:18089")
PIN = ["taskset", "-c", os.environ.get("LOAD_CPU", "1")]
LOCUSTFILE = """
from locust import FastHttpUser, constant_throughput, task


class Paced(FastHttpUser):
    wait_time = constant_throughput(1)

    @task
    def get(self):
        self.client.get("/")
"""


def run_swarm(rate: int, seconds: int, scratch: Path) -> dict[str, float]:
    report = scratch / f"swarm-{rate}"
    command = [
        *PIN, str(SWARM), "-f", str(HERE / "benchfile.py"), "FastBench", "--headless",
        "-H", TARGET, "--arrival-rate", f"{rate}/s", "--max-users", str(max(50, rate // 10)),
        "-t", f"{seconds}s", "--json-file", str(report), "--only-summary",
        "--loglevel", "WARNING",
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, timeout=seconds + 60)
    rows = json.loads(report.with_suffix(".json").read_text())
    row = rows[0]
    arrival = row["arrival"]
    lag = row["percentiles"]["0.5"] - row["service_time_percentiles"]["0.5"]
    return {
        "achieved": float(arrival["achieved_rate"]),
        "dropped": float(arrival["dropped_iterations"]),
        "lag_ms": lag,
    }


def run_locust(rate: int, seconds: int, scratch: Path) -> float:
    locustfile = scratch / "paced.py"
    locustfile.write_text(LOCUSTFILE)
    prefix = scratch / f"locust-{rate}"
    command = [
        *PIN, str(LOCUST), "-f", str(locustfile), "--headless", "-H", TARGET,
        "-u", str(rate), "-r", str(rate), "-t", f"{seconds + 1}s", "--reset-stats",
        "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING",
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, timeout=seconds + 60)
    with open(f"{prefix}_stats.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["Name"] == "Aggregated":
                return float(row["Requests/s"])
    raise RuntimeError("no Aggregated row in Locust's CSV")


def main() -> None:
    seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    rates = [int(r) for r in (sys.argv[2] if len(sys.argv) > 2 else "100,1000,3000").split(",")]
    print(f"{seconds} s per run against {TARGET}; error = achieved / requested - 1")
    print("requested  swarm achieved (error, dropped, lag p50)   Locust achieved (error)")
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        for rate in rates:
            swarm = run_swarm(rate, seconds, scratch)
            locust = run_locust(rate, seconds, scratch)
            print(
                f"{rate:>7}/s  {swarm['achieved']:>9.1f}/s ({swarm['achieved'] / rate - 1:+.2%}, "
                f"{swarm['dropped']:.0f} dropped, {swarm['lag_ms']:.2f} ms)"
                f"   {locust:>9.1f}/s ({locust / rate - 1:+.2%})",
                flush=True,
            )


if __name__ == "__main__":
    main()
