"""An arrival-rate run made by hand, for the report tests of the open model (see conftest).

``/item`` takes 10 ms of service each time, but its response times, measured from each
iteration's intended start, grow from 11 to 110 ms as the iterations queue; ``/cart`` takes
50 ms of service and 200 ms from its intended start. 100 + 10 requests over exactly 10 s,
200 iterations started and 3 dropped.
"""

from __future__ import annotations

from fake_clock import FakeClock

from swarm.runners.schedule import ArrivalPlan, RateCurve
from swarm.stats import RequestStats

#: 20 iterations/s from a pool of at most 8 users, each waited for at most 0.5 s.
PLAN = ArrivalPlan(RateCurve(20.0), max_users=8, max_lateness=0.5)
ITERATIONS = 200
DROPPED = 3


def record_arrival_run(stats: RequestStats, clock: FakeClock) -> None:
    """Record the run described above into ``stats`` (which starts keeping service times)."""
    service = stats.keep_service_times()
    start = clock.now
    for i in range(100):
        clock.now = start + (i + 1) / 10
        stats.log_request("GET", "/item", 11.0 + i, 100)
        service.log_request("GET", "/item", 10.0, 100)
        if i % 10 == 0:
            stats.log_request("POST", "/cart", 200.0, 5)
            service.log_request("POST", "/cart", 50.0, 5)
    stats.iterations += ITERATIONS
    stats.dropped_iterations += DROPPED
