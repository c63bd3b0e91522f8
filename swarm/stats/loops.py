"""The two background loops of the statistics: the console printer and the history sampler.

These are the only parts of ``swarm.stats`` that use gevent. Each runs forever in its own
greenlet, spawned and killed by the runner; ``sleep`` can be replaced so tests can step
through the loop without waiting.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol

import gevent

from swarm.stats.request_stats import RequestStats
from swarm.stats.tables import print_stats

#: Seconds between two console tables while a test runs.
CONSOLE_STATS_INTERVAL_SEC = 2

#: Seconds between two points of the history (the charts over time).
HISTORY_STATS_INTERVAL_SEC = 1

# Runner states in which there is nothing to chart: before the first start, after a stop.
_IDLE_STATES = frozenset({"ready", "stopped"})


class _Runner(Protocol):
    stats: RequestStats
    user_count: int
    state: str


def stats_printer(
    stats: RequestStats, sleep: Callable[[float], Any] = gevent.sleep
) -> Callable[[], None]:
    """A function that logs the stats table every ``CONSOLE_STATS_INTERVAL_SEC``, forever."""

    def print_forever() -> None:
        while True:
            print_stats(stats)
            sleep(CONSOLE_STATS_INTERVAL_SEC)

    return print_forever


def stats_history(
    runner: _Runner,
    sleep: Callable[[float], Any] = gevent.sleep,
    clock: Callable[[], float] = time.time,
) -> None:
    """Every ``HISTORY_STATS_INTERVAL_SEC``, forever: add a history point while a test runs.

    Nothing is recorded while the runner is idle (ready or stopped), as in Locust.
    """
    while True:
        if runner.state not in _IDLE_STATES:
            runner.stats.record_history(clock(), runner.user_count)
        sleep(HISTORY_STATS_INTERVAL_SEC)
