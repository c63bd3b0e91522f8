"""Samples per second with a no-I/O user: task loop + request event + statistics, vs Locust.

Each side runs in its own process: an Environment with a local runner and 50 users whose only
task fires one request event (no network), back to back, for a few seconds of CPU time. The
figure is samples counted by the statistics per second of the process's CPU time. Locust runs
from its own virtual environment (``../shared/bench/setup.sh`` makes
``/tmp/bench/locust-venv``). The sides alternate, ``--rounds`` times each, best round counts.
On a shared machine whose speed drifts between rounds, the median of each round's own ratio
(the two sides measured back to back) is printed too: it is steadier than the best rounds.

    .venv/bin/python bench/bench_user.py [--seconds 5] [--users 50] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys

LOCUST_PYTHON = os.environ.get("LOCUST_PYTHON", "/tmp/bench/locust-venv/bin/python")

PROGRAM = """
import sys, time
PKG = sys.argv[1]
SECONDS, USERS = float(sys.argv[2]), int(sys.argv[3])
if PKG == "swarm":
    import swarm
    from swarm import User, constant, task
    from swarm.env import Environment
else:
    import locust
    from locust import User, constant, task
    from locust.env import Environment
import gevent


class NoIO(User):
    wait_time = constant(0)

    @task
    def sample(self):
        self.environment.events.request.fire(
            request_type="GET", name="/item", response_time=12.5, response_length=100,
            response=None, context={}, exception=None, start_time=0.0, url=None,
        )


env = Environment(user_classes=[NoIO], events=(swarm if PKG == "swarm" else locust).events)
runner = env.create_local_runner()
runner.start(USERS, spawn_rate=USERS * 100)
gevent.sleep(0.5)
env.stats.reset_all()
cpu0 = time.process_time()
gevent.sleep(SECONDS)
cpu = time.process_time() - cpu0
samples = env.stats.total.num_requests
runner.quit()
print(samples / cpu)
"""


def measure(python: str, package: str, seconds: float, users: int) -> float:
    out = subprocess.run(
        [python, "-c", PROGRAM, package, str(seconds), str(users)],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds * 10 + 60,
    )
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    have_locust = os.path.exists(LOCUST_PYTHON)
    swarm_best = locust_best = 0.0
    ratios = []
    for _ in range(args.rounds):
        swarm_rate = measure(sys.executable, "swarm", args.seconds, args.users)
        swarm_best = max(swarm_best, swarm_rate)
        if have_locust:
            locust_rate = measure(LOCUST_PYTHON, "locust", args.seconds, args.users)
            locust_best = max(locust_best, locust_rate)
            ratios.append(swarm_rate / locust_rate)
    line = f"no-I/O user, {args.users} users: swarm {swarm_best:,.0f} samples/s"
    if have_locust:
        line += f"  locust {locust_best:,.0f} samples/s  ratio {swarm_best / locust_best:.2f}"
        line += f"  (median of round ratios {statistics.median(ratios):.2f})"
    else:
        line += f"  (no Locust at {LOCUST_PYTHON}: run ../shared/bench/setup.sh)"
    print(line)


if __name__ == "__main__":
    main()
