"""The no-I/O user of bench_user.py, counted in CPU instructions instead of seconds.

    bench/callgrind_user.sh       # swarm and Locust, instructions per sample

This machine is shared and noisy, so timed ratios wander by ±15% from run to run; valgrind's
callgrind counts the instructions a run executes, which do not depend on the neighbours. Two
runs of N1 and N2 samples are counted and the difference divided by N2 - N1, so start-up and
ramp-up cancel out. Run with the implementation's own interpreter:
``python bench/callgrind_user.py swarm|locust SAMPLES [USERS]``.
"""

from __future__ import annotations

import importlib
import os
import sys

PKG = sys.argv[1]
SAMPLES = int(sys.argv[2])
USERS = int(sys.argv[3]) if len(sys.argv) > 3 else 50

pkg = importlib.import_module(PKG)  # swarm or locust: patches gevent first
Environment = importlib.import_module(f"{PKG}.env").Environment

from gevent.event import Event  # noqa: E402 -- after the package patched gevent

done = Event()
count = [0]


class NoIO(pkg.User):  # type: ignore[misc,name-defined]  # the package is chosen at run time
    wait_time = pkg.constant(0)

    @pkg.task
    def sample(self) -> None:
        self.environment.events.request.fire(
            request_type="GET",
            name="/item",
            response_time=12.5,
            response_length=100,
            response=None,
            context={},
            exception=None,
            start_time=0.0,
            url=None,
        )
        count[0] += 1
        if count[0] == SAMPLES:
            done.set()


env = Environment(user_classes=[NoIO], events=pkg.events)
runner = env.create_local_runner()
runner.start(USERS, spawn_rate=USERS * 100)
done.wait()
print(env.stats.total.num_requests)
os._exit(0)  # the count is taken: no need to stop the users
