"""swarm's own cost per request in CPU microseconds, without any I/O: swarm against Locust.

Each round starts one fresh process per side (swarm here, Locust 2.47 from its own virtual
environment, ``../shared/bench/setup.sh`` makes ``/tmp/bench/locust-venv``), alternately. In that
process, with an Environment and a local runner wired as a run wires them:

1. event + stats: the main greenlet fires the request event ``--samples`` times, with the
   arguments an HTTP client passes, into the statistics;
2. task loop + event + stats: ``--users`` users whose only task fires that same event, back to
   back (``constant(0)``), for ``--seconds`` (wall time): what a request costs swarm on top of
   the client's own work (the FastHttpUser goal is under 5 us).

The figure is the process's CPU time (``time.process_time``) divided by the samples the
statistics counted, so time spent waiting for a core another process holds is not counted.
The task loop's share is the difference of the two. Each side's best round is printed, the
median round in brackets, and the ratios swarm/Locust (lower is cheaper): of the best rounds,
and the median of each round's own ratio, steadier on a machine whose speed drifts.

    .venv/bin/python bench/bench_overhead.py [--seconds 3] [--samples 300000] [--users 50]
                                             [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys

LOCUST_PYTHON = os.environ.get("LOCUST_PYTHON", "/tmp/bench/locust-venv/bin/python")

# Runs in both interpreters; only the imports differ. Prints {"event": us, "loop": us}.
PROGRAM = """
import json, sys, time
PKG = sys.argv[1]
SECONDS, SAMPLES, USERS = float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
if PKG == "swarm":
    import swarm as package
    from swarm import User, constant, task
    from swarm.env import Environment
else:
    import locust as package
    from locust import User, constant, task
    from locust.env import Environment
import gevent


def fire_one(events):
    events.request.fire(
        request_type="GET", name="/item", response_time=12.5, response_length=100,
        response=None, context={}, exception=None, start_time=0.0, url=None,
    )


class NoIO(User):
    wait_time = constant(0)

    @task
    def sample(self):
        fire_one(self.environment.events)


env = Environment(user_classes=[NoIO], events=package.events)
runner = env.create_local_runner()

env.stats.reset_all()
cpu0 = time.process_time()
for _ in range(SAMPLES):
    fire_one(env.events)
event_cpu = time.process_time() - cpu0
if env.stats.total.num_requests != SAMPLES:
    sys.exit(f"the statistics counted {env.stats.total.num_requests} of {SAMPLES} fires")

runner.start(USERS, spawn_rate=USERS * 100)
gevent.sleep(0.5)
env.stats.reset_all()
cpu0 = time.process_time()
gevent.sleep(SECONDS)
loop_cpu = time.process_time() - cpu0
loop_samples = env.stats.total.num_requests
runner.quit()
print(json.dumps({"event": event_cpu * 1e6 / SAMPLES, "loop": loop_cpu * 1e6 / loop_samples}))
"""

PARTS = (
    ("loop", "task loop + event + stats"),
    ("event", "event + stats"),
    ("task", "task loop alone (difference)"),
)


def measure(python: str, package: str, args: argparse.Namespace) -> dict[str, float]:
    """CPU microseconds per request of one fresh process: ``event``, ``loop`` and ``task``."""
    command = [
        python,
        "-c",
        PROGRAM,
        package,
        str(args.seconds),
        str(args.samples),
        str(args.users),
    ]
    # The strict argument check of swarm's own test suite is not part of a run's cost.
    env = {**os.environ, "SWARM_STRICT_EVENTS": "0"}
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        check=True,
        env=env,
        timeout=args.seconds * 10 + 120,
    )
    costs: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    costs["task"] = costs["loop"] - costs["event"]
    return costs


def summary(rounds: list[dict[str, float]], part: str) -> tuple[float, float]:
    """(best, median) of one part over the rounds; best is the cheapest.

    The task loop's are those of the whole minus those of the event: the cheapest of the
    rounds' own differences would pair a quick loop with a slowed-down event.
    """
    if part == "task":
        loop, event = summary(rounds, "loop"), summary(rounds, "event")
        return loop[0] - event[0], loop[1] - event[1]
    values = [costs[part] for costs in rounds]
    return min(values), statistics.median(values)


def print_table(
    args: argparse.Namespace, swarm: list[dict[str, float]], locust: list[dict[str, float]]
) -> None:
    """One line per part: swarm's figures, Locust's, and the ratios when Locust ran."""
    print(
        f"swarm's own cost per request, no I/O, users={args.users}, CPU us per request, "
        f"best [median] of {args.rounds} rounds (goal: task loop + event + stats < 5 us)"
    )
    for part, label in PARTS:
        best, median = summary(swarm, part)
        line = f"  {label:29} swarm {best:6.2f} [{median:6.2f}] us"
        if locust:
            l_best, l_median = summary(locust, part)
            ratios = [s[part] / lo[part] for s, lo in zip(swarm, locust, strict=True)]
            line += f"  locust {l_best:6.2f} [{l_median:6.2f}] us  ratio {best / l_best:.2f}"
            line += f" (median of round ratios {statistics.median(ratios):.2f})"
        print(line)
    if not locust:
        print(f"  (no Locust at {LOCUST_PYTHON}: run ../shared/bench/setup.sh)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="CPU seconds of the users")
    parser.add_argument("--samples", type=int, default=300_000, help="fires of the event alone")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    have_locust = os.path.exists(LOCUST_PYTHON)
    swarm: list[dict[str, float]] = []
    locust: list[dict[str, float]] = []
    for _ in range(args.rounds):
        swarm.append(measure(sys.executable, "swarm", args))
        if have_locust:
            locust.append(measure(LOCUST_PYTHON, "locust", args))
    print_table(args, swarm, locust)


if __name__ == "__main__":
    main()
