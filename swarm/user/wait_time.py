"""Wait times: how long a user (or task set) pauses after each task.

Each function here returns a *wait time function*: it takes the instance it is set on (a User or
a TaskSet, passed as ``self`` because it is assigned as a class attribute) and returns a number
of seconds::

    class Shopper(User):
        wait_time = between(1, 5)

The waiting itself is done by the task loop through ``gevent.sleep``, so it is cooperative and
a user stopped while waiting stops at once.

``constant_pacing`` and ``constant_throughput`` keep state on the instance and read the time
from :data:`clock`, which tests replace to control time.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

#: A wait time function: called with the User or TaskSet instance, returns seconds to wait.
WaitTime = Callable[[Any], float]

#: The clock pacing reads (seconds, monotonic). Tests replace it with a fake one.
clock: Callable[[], float] = time.monotonic

#: Set by the task loops (to ``clock()``) when their first task is about to start, so that the
#: first pacing wait is measured from the start of that first task.
STARTED_AT = "_swarm_started_at"

# Where pacing keeps, on the instance, the planned start of the task that has just run.
_PLANNED_START = "_swarm_planned_start"


def between(min_wait: float, max_wait: float, *, rng: random.Random | None = None) -> WaitTime:
    """Wait a uniformly random time between ``min_wait`` and ``max_wait`` seconds.

    ``rng`` (swarm's addition) draws the numbers; by default the ``random`` module does.
    """
    draw = rng.random if rng is not None else random.random
    return lambda instance: min_wait + draw() * (max_wait - min_wait)


def constant(seconds: float) -> WaitTime:
    """Always wait ``seconds``; ``constant(0)`` (the default of every User) never waits."""
    return lambda instance: seconds


def constant_pacing(seconds: float) -> WaitTime:
    """Start a task every ``seconds``, whatever the tasks take.

    The wait is ``seconds`` minus the time since the start of the previous task, and never
    negative: a task that takes 2 s under ``constant_pacing(10)`` is followed by an 8 s wait, one
    that takes 12 s by none. The time is measured from when the previous task was *planned* to
    start, so a sleep that overshoots a little is made up for at the next wait instead of
    drifting. The first wait is measured from when the instance's task loop began (after
    ``on_start``), or from the call itself when there is no loop (a wait time called by hand).
    """

    def wait(instance: Any) -> float:
        now = clock()
        planned = getattr(instance, _PLANNED_START, None)
        if planned is None:
            planned = float(getattr(instance, STARTED_AT, now))
        delay = max(0.0, seconds - (now - planned))
        setattr(instance, _PLANNED_START, now + delay)
        return delay

    return wait


def constant_throughput(task_runs_per_second: float) -> WaitTime:
    """Run ``task_runs_per_second`` tasks per second per user: ``constant_pacing(1 / n)``.

    A ValueError for a rate that is not positive. A task making several requests makes more
    requests per second than this.
    """
    if task_runs_per_second <= 0:
        raise ValueError(
            f"constant_throughput() needs a positive rate, got {task_runs_per_second!r}"
        )
    return constant_pacing(1 / task_runs_per_second)


def poisson(rate: float, *, rng: random.Random | None = None) -> WaitTime:
    """Wait an exponentially distributed time with mean ``1 / rate`` seconds.

    For tasks that are short next to the waits, each user then starts tasks as a Poisson process
    of ``rate`` tasks per second: the intervals are independent and memoryless, so bursts and lulls
    happen as they do with real, independent visitors (unlike ``constant_throughput``, whose
    intervals are all equal). The mean time between two task starts is ``1 / rate`` plus the
    mean task duration. A ValueError for a rate that is not positive.
    ``rng`` draws the numbers; by default the ``random`` module does.
    """
    if rate <= 0:
        raise ValueError(f"poisson() needs a positive rate, got {rate!r}")
    draw = rng.expovariate if rng is not None else random.expovariate
    return lambda instance: draw(rate)
