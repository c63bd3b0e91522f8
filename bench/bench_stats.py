"""Samples per second through the request event into the statistics: swarm against Locust.

swarm: ``Events().request.fire(...)`` -> ``RequestStats.on_request``.
Locust (if ``/tmp/bench/locust-venv/bin/python`` exists; ``../shared/bench/setup.sh`` makes
it): ``Events().request.fire(...)`` -> a listener calling ``RequestStats.log_request`` (and
``log_error`` for failures), wired as Locust's runner wires it, in a subprocess of that venv.

Both sides fire the same sequence: 10 names, lognormal response times, 1% failures. The two
sides run alternately, ``--rounds`` fresh processes each (A B A B ...), and each side's best
round counts: the one least disturbed by whatever else the machine is doing. Time is the
process's CPU time, so waiting for a core that another process holds is not counted.

    .venv/bin/python bench/bench_stats.py [--samples 300000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

LOCUST_PYTHON = os.environ.get("LOCUST_PYTHON", "/tmp/bench/locust-venv/bin/python")

# Run in both interpreters: builds the inputs, then times `fire` over them. `{setup}` wires
# the stats listener; the rest is identical on both sides.
_WORKLOAD = """
import random, sys, time
{setup}
rng = random.Random(42)
names = [f"/api/endpoint/{{i}}" for i in range(10)]
samples = [
    (
        rng.choice(("GET", "POST")),
        rng.choice(names),
        rng.lognormvariate(3.0, 1.0),
        rng.randrange(100, 5000),
        ValueError("boom") if rng.random() < 0.01 else None,
    )
    for _ in range({samples})
]
best = 0.0
for _ in range(3):
    stats.reset_all()
    fire = events.request.fire
    start = time.process_time()
    for method, name, response_time, length, exception in samples:
        fire(
            request_type=method,
            name=name,
            response_time=response_time,
            response_length=length,
            response=None,
            context={{}},
            exception=exception,
            start_time=0.0,
            url=name,
        )
    best = max(best, len(samples) / (time.process_time() - start))
print(best)
"""

_SWARM_SETUP = """
from swarm.event import Events
from swarm.stats import RequestStats
events = Events()
stats = RequestStats()
events.request.add_listener(stats.on_request)
"""

_LOCUST_SETUP = """
from locust.event import Events
from locust.stats import RequestStats
events = Events()
stats = RequestStats()

def on_request(request_type, name, response_time, response_length, exception=None, **_kwargs):
    stats.log_request(request_type, name, response_time, response_length)
    if exception:
        stats.log_error(request_type, name, exception)

events.request.add_listener(on_request)
"""


def _run(python: str, setup: str, samples: int) -> float:
    """Samples per second (best of 3 passes) measured in a fresh ``python`` process."""
    code = _WORKLOAD.format(setup=setup, samples=samples)
    env = {**os.environ, "SWARM_STRICT_EVENTS": "0"}
    done = subprocess.run(
        [python, "-c", code], capture_output=True, text=True, check=True, env=env, timeout=600
    )
    return float(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    started = time.perf_counter()
    with_locust = os.path.exists(LOCUST_PYTHON)
    swarm_rate = locust_rate = 0.0
    for _ in range(args.rounds):
        swarm_rate = max(swarm_rate, _run(sys.executable, _SWARM_SETUP, args.samples))
        if with_locust:
            locust_rate = max(locust_rate, _run(LOCUST_PYTHON, _LOCUST_SETUP, args.samples))
    print(f"swarm  events.request.fire -> RequestStats.on_request:  {swarm_rate:12,.0f} samples/s")
    if not with_locust:
        print(f"locust: {LOCUST_PYTHON} not found (run ../shared/bench/setup.sh); no comparison")
        return
    print(f"locust events.request.fire -> RequestStats.log_request: {locust_rate:12,.0f} samples/s")
    print(f"ratio swarm/locust: {swarm_rate / locust_rate:.2f}")
    elapsed = time.perf_counter() - started
    print(f"({args.samples} samples x 3 passes x {args.rounds} rounds per side, {elapsed:.0f} s)")


if __name__ == "__main__":
    main()
