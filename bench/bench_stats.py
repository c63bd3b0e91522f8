"""Samples per second through the request event into the statistics: swarm against Locust.

swarm: ``Events().request.fire(...)`` -> ``RequestStats.on_request``.
Locust (if ``/tmp/bench/locust-venv/bin/python`` exists; ``../shared/bench/setup.sh`` makes
it): ``Events().request.fire(...)`` -> a listener calling ``RequestStats.log_request`` (and
``log_error`` for failures), wired as Locust's runner wires it, in a subprocess of that venv.

Both sides fire the same sequence: 10 names, lognormal response times, 1% failures. Each side
is measured twice: through ``fire`` (the events and the stats), and calling its listener
directly with the same keyword arguments (the stats alone). The two
sides run alternately, ``--rounds`` fresh processes each (A B A B ...), and each side's best
round counts: the one least disturbed by whatever else the machine is doing. Time is the
process's CPU time, so waiting for a core that another process holds is not counted.

    .venv/bin/python bench/bench_stats.py [--samples 200000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

LOCUST_PYTHON = os.environ.get("LOCUST_PYTHON", "/tmp/bench/locust-venv/bin/python")

# Run in both interpreters: builds the inputs, then times `fire` over them. `{setup}` wires
# the stats listener; the rest is identical on both sides.
_WORKLOAD = """
import json, random, time
{setup}
rng = random.Random(42)
names = [f"/api/endpoint/{{i}}" for i in range(10)]
samples = [
    dict(
        request_type=rng.choice(("GET", "POST")),
        name=(name := rng.choice(names)),
        response_time=rng.lognormvariate(3.0, 1.0),
        response_length=rng.randrange(100, 5000),
        response=None,
        context={{}},
        exception=ValueError("boom") if rng.random() < 0.01 else None,
        start_time=0.0,
        url=name,
    )
    for _ in range({samples})
]

def rate(call):
    best = 0.0
    for _ in range(3):
        stats.reset_all()
        start = time.process_time()
        for kwargs in samples:
            call(**kwargs)
        best = max(best, len(samples) / (time.process_time() - start))
    return best

print(json.dumps({{"fire": rate(events.request.fire), "listener": rate(listener)}}))
"""

_SWARM_SETUP = """
from swarm.event import Events
from swarm.stats import RequestStats
events = Events()
stats = RequestStats()
listener = stats.on_request
events.request.add_listener(listener)
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

listener = on_request
events.request.add_listener(listener)
"""


def _run(python: str, setup: str, samples: int) -> dict[str, float]:
    """Samples per second (best of 3 passes) through ``fire`` and through the listener alone,
    measured in a fresh ``python`` process."""
    code = _WORKLOAD.format(setup=setup, samples=samples)
    env = {**os.environ, "SWARM_STRICT_EVENTS": "0"}
    done = subprocess.run(
        [python, "-c", code], capture_output=True, text=True, check=True, env=env, timeout=600
    )
    rates: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return rates


def _best(rates: dict[str, float], new: dict[str, float]) -> dict[str, float]:
    return {key: max(rates.get(key, 0.0), value) for key, value in new.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    started = time.perf_counter()
    with_locust = os.path.exists(LOCUST_PYTHON)
    swarm: dict[str, float] = {}
    locust: dict[str, float] = {}
    for _ in range(args.rounds):
        swarm = _best(swarm, _run(sys.executable, _SWARM_SETUP, args.samples))
        if with_locust:
            locust = _best(locust, _run(LOCUST_PYTHON, _LOCUST_SETUP, args.samples))
    if not with_locust:
        print(f"locust: {LOCUST_PYTHON} not found (run ../shared/bench/setup.sh); no comparison")
    for key, what in (("fire", "events.request.fire -> stats"), ("listener", "stats listener")):
        line = f"{what:30} swarm {swarm[key]:10,.0f}/s"
        if with_locust:
            line += f"  locust {locust[key]:10,.0f}/s  ratio {swarm[key] / locust[key]:.2f}"
        print(line)
    elapsed = time.perf_counter() - started
    print(f"({args.samples} samples x 3 passes x {args.rounds} rounds per side, {elapsed:.0f} s)")


if __name__ == "__main__":
    main()
