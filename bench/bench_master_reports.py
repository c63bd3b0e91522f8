"""Statistics reports made the real way, with each implementation's own statistics classes.

A real worker records requests into its ``RequestStats`` as they complete and, every 3 s,
ships what it gathered (swarm: ``take_report()``; Locust: ``serialize_stats()``,
``total.get_stripped_report()``, ``serialize_errors()``, then it forgets its errors).
``ReportSource`` does the same in real time for a simulator process: three ``RequestStats``
record samples continuously (lognormal response times over 20 endpoints, a few failures),
and each second the one whose 3 s are up hands over its report. Every simulated worker whose
turn comes in the next second sends that report, so a process making thousands of reports a
second builds one: the master sees fresh, realistic reports (real timestamps, per-second
counts, ~150 samples over 20 endpoints) at the cost of one.

The implementation's package is imported lazily: this module runs in swarm's virtual
environment or in Locust's, and both packages monkey-patch gevent when imported.
"""

from __future__ import annotations

import importlib
import math
import random
from typing import Any

ENDPOINTS = [(("GET", "POST")[i % 4 == 3], f"/api/v1/resource-{i:02d}") for i in range(20)]
#: Samples a worker records in one 3 s report interval.
SAMPLES_PER_REPORT = 150
REPORT_INTERVAL = 3.0
_SOURCES = 3  # one report a second, each covering REPORT_INTERVAL seconds
_FAILURE_RATE = 0.02
_ERRORS = ("HTTPError('500 Server Error')", "ConnectionResetError(104, 'Connection reset')")
# median ~60 ms, p99 ~ 0.6 s: a service under load
_LATENCY_MU = math.log(60.0)
_LATENCY_SIGMA = 1.0


def _swarm_stats() -> Any:
    stats_module = importlib.import_module("swarm.stats")
    # a worker never shows current percentiles: it keeps no snapshots for them
    return stats_module.RequestStats(use_response_times_cache=False)


def _swarm_report(stats: Any) -> dict[str, Any]:
    report: dict[str, Any] = stats.take_report()
    return report


def _locust_stats() -> Any:
    stats_module = importlib.import_module("locust.stats")
    # Locust's worker Environment makes its RequestStats with the default cache
    return stats_module.RequestStats()


def _locust_report(stats: Any) -> dict[str, Any]:
    # what locust.stats.setup_distributed_stats_event_listeners puts in a report
    report = {
        "stats": stats.serialize_stats(),
        "stats_total": stats.total.get_stripped_report(),
        "errors": stats.serialize_errors(),
    }
    stats.errors = {}
    return report


_MAKERS = {"swarm": (_swarm_stats, _swarm_report), "locust": (_locust_stats, _locust_report)}


class ReportSource:
    """Fresh worker reports of implementation ``impl`` ("swarm" or "locust").

    Call ``record()`` ``SAMPLES_PER_REPORT / REPORT_INTERVAL`` times a second and
    ``rotate()`` once a second; ``rotate`` returns the report of the stats whose interval
    just ended (the first ones cover less than the full interval).
    """

    def __init__(self, impl: str, seed: int) -> None:
        make_stats, self._take = _MAKERS[impl]
        self._rng = random.Random(seed)
        self._stats = [make_stats() for _ in range(_SOURCES)]
        self._turn = 0

    def record(self) -> None:
        """One completed request in each stats, as a worker's request event would log it."""
        rng = self._rng
        for stats in self._stats:
            method, name = ENDPOINTS[rng.randrange(len(ENDPOINTS))]
            response_time = rng.lognormvariate(_LATENCY_MU, _LATENCY_SIGMA)
            stats.log_request(method, name, response_time, rng.randrange(200, 8000))
            if rng.random() < _FAILURE_RATE:
                stats.log_error(method, name, _ERRORS[rng.randrange(len(_ERRORS))])

    def rotate(self) -> dict[str, Any]:
        """The report of the stats whose turn it is; they start afresh."""
        stats = self._stats[self._turn]
        self._turn = (self._turn + 1) % _SOURCES
        return self._take(stats)
