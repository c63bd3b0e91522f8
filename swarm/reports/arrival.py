"""The open model in reports: the rate asked for, the rate achieved, the iterations dropped.

In an arrival-rate run (``runner.arrival_plan`` set) iterations start on a schedule, and one
that finds no free user within ``--max-lateness`` is dropped. The response times of such a
run are measured from each iteration's *intended* start, so that a stalled target shows in the
percentiles (coordinated omission corrected); the service times, as the client timed each
request, are kept beside them (``stats.service``). Every report states the rates and the drops
from one :class:`ArrivalSummary`, and titles both kinds of percentiles so a reader knows which
is which. In the closed model there is no summary and the reports are exactly as before.

Pure: the summary is computed from the statistics and the plan, with time passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from swarm.stats.request_stats import RequestStats

if TYPE_CHECKING:
    from swarm.runners.schedule import ArrivalPlan

#: The title of the (corrected) response-time percentiles of an arrival-rate run.
CORRECTED_TITLE = (
    "Response time percentiles (approximated), from each iteration's intended start: "
    "corrected for coordinated omission"
)
#: The title of the service-time percentiles of an arrival-rate run.
SERVICE_TITLE = (
    "Service time percentiles (approximated), as the client timed each request: uncorrected"
)


@dataclass(frozen=True)
class ArrivalSummary:
    """What an arrival-rate run asked for and did; ``seconds`` is the run's duration."""

    #: The requested rate in words (``ArrivalPlan.describe()``): ``200/s``, or its stages.
    requested: str
    #: The highest rate the plan asks for (iterations/s); for a constant rate, that rate.
    peak_rate: float
    iterations: int
    dropped_iterations: int
    seconds: float
    max_users: int
    #: Seconds an iteration may wait for a free user before it is dropped.
    max_lateness: float

    @property
    def achieved_rate(self) -> float:
        """Iterations started per second of the run; 0 before any time has passed."""
        return self.iterations / self.seconds if self.seconds > 0 else 0.0

    @property
    def dropped_share(self) -> float:
        """Dropped iterations over the iterations that were due (started or dropped), 0..1."""
        due = self.iterations + self.dropped_iterations
        return self.dropped_iterations / due if due else 0.0

    def achieved_text(self) -> str:
        """``199.7/s (11,982 iterations)``."""
        return f"{self.achieved_rate:,.1f}/s ({self.iterations:,} iterations)"

    def dropped_text(self) -> str:
        """``0``, or ``12 (0.1% of those due)``."""
        if not self.dropped_iterations:
            return "0"
        return f"{self.dropped_iterations:,} ({share(self.dropped_share)} of those due)"

    def pool_text(self) -> str:
        """The pool: at most how many users, and how long an iteration may wait for one."""
        return (
            f"up to {self.max_users:,} users (--max-users); an iteration waits at most "
            f"{self.max_lateness:g}s for a free one (--max-lateness)"
        )

    def headline(self) -> str:
        """``Arrival rate: requested 200/s, achieved 199.7/s (11,982 iterations), dropped
        iterations: 0``."""
        return (
            f"Arrival rate: requested {self.requested}, achieved {self.achieved_text()}, "
            f"dropped iterations: {self.dropped_iterations:,}"
        )

    def drop_warning(self) -> str | None:
        """What dropped iterations mean and what to do; None when none was dropped."""
        if not self.dropped_iterations:
            return None
        return (
            f"WARNING: {self.dropped_iterations:,} iterations ({share(self.dropped_share)} of "
            f"those due) were dropped: when they were due, all {self.max_users:,} users "
            f"(--max-users) stayed busy for longer than --max-lateness ({self.max_lateness:g}s), "
            "so the target got less than the requested rate. Raise --max-users (or "
            "--max-lateness), or lower the rate."
        )

    def lines(self) -> list[str]:
        """The summary's lines: the headline, then the warning when iterations were dropped."""
        warning = self.drop_warning()
        return [self.headline(), warning] if warning else [self.headline()]

    def to_dict(self) -> dict[str, Any]:
        """The JSON report's ``arrival`` object (rates per second, times in seconds)."""
        return {
            "requested": self.requested,
            "requested_peak_rate": self.peak_rate,
            "iterations": self.iterations,
            "achieved_rate": round(self.achieved_rate, 3),
            "dropped_iterations": self.dropped_iterations,
            "dropped_share": round(self.dropped_share, 6),
            "duration_s": round(self.seconds, 3),
            "max_users": self.max_users,
            "max_lateness_s": self.max_lateness,
        }


def arrival_summary(
    stats: RequestStats, plan: ArrivalPlan | None, now: float | None = None
) -> ArrivalSummary | None:
    """The summary of ``stats`` under ``plan``; None in the closed model (no plan)."""
    if plan is None:
        return None
    return ArrivalSummary(
        requested=plan.describe(),
        peak_rate=plan.curve.peak_rate,
        iterations=stats.iterations,
        dropped_iterations=stats.dropped_iterations,
        seconds=run_seconds(stats, now),
        max_users=plan.max_users,
        max_lateness=plan.max_lateness,
    )


def run_seconds(stats: RequestStats, now: float | None = None) -> float:
    """Seconds from the start of ``stats`` to its last request, as ``total_rps`` counts them;
    before any request, to ``now`` (the stats' clock by default)."""
    end = stats.last_request_timestamp
    if end is None:
        end = stats.clock() if now is None else now
    return max(0.0, end - stats.start_time)


def rate_since(
    previous: tuple[float, int] | None, now: float, iterations: int, start: float
) -> float:
    """Iterations per second since the ``previous`` (time, iterations) point, or since
    ``start`` without one or when the count went down (the statistics were reset)."""
    since, before = (start, 0) if previous is None or iterations < previous[1] else previous
    return (iterations - before) / (now - since) if now > since else 0.0


def share(fraction: float) -> str:
    """``0.0123`` -> ``1.2%``; a share above 0 never reads ``0.0%``."""
    if 0 < fraction < 0.0005:
        return "<0.1%"
    return f"{fraction:.1%}"
