"""When the iterations of the open model are due: a rate in stages, as a pure schedule.

The arrival rate is piecewise linear in time: it starts at ``start_rate`` and each
``RateStage`` moves it linearly to the stage's ``rate`` over the stage's ``duration`` (a stage
whose rate equals the one before holds it). ``due(t)``, the number of iterations due by ``t``
seconds, is the integral of the rate; the k-th iteration of the whole run is due at
``due⁻¹(k)``, so the schedule never drifts, however late its reader is.

A process running a share of the rate (a worker of a distributed run) walks the same curve in
steps of ``1 / share``: its iterations are the whole run's scaled down, and ``resplit`` changes
its share from a moment on without losing or repeating any part of the curve. No clock is read
here: callers pass seconds since the start of the test.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from swarm.exceptions import SwarmError
from swarm.timespan import parse_timespan

_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0}
_Stage = TypeVar("_Stage")
# Steps of 1/share add up with rounding errors: a count this close to a whole one is that one.
_EPSILON = 1e-9
_RATE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(?:/\s*([smh]))?\s*$")


def parse_rate(text: str) -> float:
    """Iterations per second from ``200/s``, ``90/m``, ``3600/h`` or a bare ``200`` (per
    second). Raises ``ValueError`` saying what is expected."""
    match = _RATE.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a rate: expected e.g. 200/s, 90/m or 3600/h")
    return float(match.group(1)) / _UNITS[match.group(2) or "s"]


@dataclass(frozen=True)
class RateStage:
    """Over ``duration`` seconds, move the arrival rate linearly to ``rate`` iterations/s."""

    duration: float
    rate: float

    def __post_init__(self) -> None:
        finite = math.isfinite(self.duration) and math.isfinite(self.rate)
        if not finite or not self.duration > 0 or self.rate < 0:
            raise ValueError(
                f"a stage needs a duration above 0 and a finite rate of 0 or more, "
                f"not {self.duration}s at {self.rate}/s"
            )


def parse_stage_list(text: str, form: str, read: Callable[[list[str]], _Stage]) -> list[_Stage]:
    """Stages separated by commas, each of fields separated by colons as ``form`` says
    (``DURATION:RATE``): ``read`` makes one stage of its fields. Raises ``ValueError`` naming
    the stage that is wrong (``--stages`` and ``--arrival-stages`` both read this way)."""
    stages = []
    for number, part in enumerate(text.split(","), start=1):
        fields = part.strip().split(":")
        try:
            if len(fields) != form.count(":") + 1:
                raise ValueError(f"expected {form}")
            stages.append(read(fields))
        except (ValueError, SwarmError) as error:
            raise ValueError(f"stage {number} ({part.strip()!r}): {error}") from None
    return stages


def parse_rate_stages(text: str) -> list[RateStage]:
    """Stages from ``--arrival-stages``: ``DURATION:RATE`` separated by commas, e.g.
    ``30s:100/s,2m:100/s,30s:0``. Raises ``ValueError`` naming the stage that is wrong."""
    return parse_stage_list(
        text, "DURATION:RATE", lambda f: RateStage(parse_timespan(f[0]), parse_rate(f[1]))
    )


class RateCurve:
    """The whole run's arrival rate: ``start_rate``, then the stages.

    Without stages the rate stays ``start_rate`` for ever (the run ends by ``-t``, ``-i`` or a
    stop); with stages, it ends with the last one (``end``).
    """

    def __init__(self, start_rate: float, stages: Sequence[RateStage] = ()) -> None:
        if not math.isfinite(start_rate) or start_rate < 0:
            raise ValueError(f"the start rate must be finite and 0 or more, not {start_rate}")
        self.start_rate = float(start_rate)
        self.stages = tuple(stages)
        # (start time, start rate, end time, end rate, iterations due at the start)
        self._pieces: list[tuple[float, float, float, float, float]] = []
        t, rate, count = 0.0, self.start_rate, 0.0
        for stage in self.stages:
            end = t + stage.duration
            self._pieces.append((t, rate, end, stage.rate, count))
            count += (rate + stage.rate) / 2 * stage.duration
            t, rate = end, stage.rate
        #: Iterations the whole curve hands out (0 endless: see ``end``).
        self.total = count
        #: When the run ends (seconds), or None for a constant rate that never ends.
        self.end: float | None = t if self.stages else None
        if self.end is None and self.start_rate == 0:
            raise ValueError("an arrival rate of 0 without stages would never start anything")

    @property
    def peak_rate(self) -> float:
        """The highest rate the curve reaches (iterations/s)."""
        return max([self.start_rate, *(stage.rate for stage in self.stages)])

    def rate_at(self, t: float) -> float:
        """The rate ``t`` seconds into the run (0 after the end)."""
        if self.end is None:
            return self.start_rate
        for start, r0, end, r1, _ in self._pieces:
            if start <= t < end:
                return r0 + (r1 - r0) * (t - start) / (end - start)
        return 0.0

    def due(self, t: float) -> float:
        """Iterations due in the first ``t`` seconds: the rate's integral (not rounded)."""
        if t <= 0:
            return 0.0
        if self.end is None:
            return self.start_rate * t
        for start, r0, end, r1, count in self._pieces:
            if t < end:
                x = t - start
                return count + r0 * x + (r1 - r0) * x * x / (2 * (end - start))
        return self.total

    def time_of(self, count: float) -> float | None:
        """When ``due`` reaches ``count`` (the inverse of ``due``), or None if it never does."""
        if self.end is None:
            return max(count, 0.0) / self.start_rate
        if count <= 0:  # the first iteration: when the rate first rises above 0
            return next((start for start, r0, _, r1, _ in self._pieces if r0 or r1), None)
        for start, r0, end, r1, before in self._pieces:
            piece = (r0 + r1) / 2 * (end - start)
            if count <= before + piece and piece > 0:
                return start + _solve(count - before, r0, (r1 - r0) / (end - start))
        return None


def _solve(area: float, rate: float, slope: float) -> float:
    """The x at which a rate starting at ``rate`` and growing by ``slope``/s has integrated to
    ``area``: the root of slope/2·x² + rate·x = area, in the form that stays exact as the slope
    goes to 0 and for falling rates."""
    root = math.sqrt(max(rate * rate + 2 * slope * area, 0.0))
    return 2 * area / (rate + root) if rate + root > 0 else 0.0


def _check_share(share: float, phase: float) -> None:
    if not (math.isfinite(share) and 0 < share <= 1):
        raise ValueError(f"a share of the rate is in (0, 1], not {share}")
    if not (math.isfinite(phase) and 0 <= phase < 1):
        raise ValueError(f"a phase is in [0, 1), not {phase}")


class ArrivalSchedule:
    """The intended start times of one process's iterations, on a ``RateCurve``.

    ``share`` is the part of the whole rate this process runs (1 alone; a worker's fraction in
    a distributed run); ``phase`` in [0, 1) offsets its first iteration within one step, so
    that workers sharing a rate take turns rather than all starting together. ``start`` is when
    this process joins the run (a worker joining late). ``limit`` (``-i``) ends the *whole
    run's* schedule after that many iterations: this process hands out its share of the first
    ``limit`` iterations of the curve, so processes sharing a run stop at the same total
    without telling each other (exactly, unless their shares change on the way).
    """

    def __init__(
        self,
        curve: RateCurve,
        share: float = 1.0,
        phase: float = 0.0,
        limit: int | None = None,
        start: float = 0.0,
    ) -> None:
        _check_share(share, phase)
        if not (math.isfinite(start) and start >= 0):
            raise ValueError(f"a start into the run is 0 s or more, not {start}")
        self.curve = curve
        self.share = share
        self.limit = limit
        # The curve's count at which this process's next iteration is due.
        self._next = curve.due(start) + phase / share

    def next_time(self) -> float | None:
        """When the next iteration is due (seconds into the run), or None when there is none:
        the curve has ended, or ``limit`` iterations have been handed out."""
        if self.limit is not None and self._next > self.limit - 1 + _EPSILON:
            return None
        # Iteration k is due when k have been: a curve's last stage ends before the one that
        # would be due at its very end, so N iterations' worth of curve hands out N.
        if self.curve.end is not None and self._next > self.curve.total - 1 + _EPSILON:
            return None
        return self.curve.time_of(self._next)

    def take(self) -> float | None:
        """Hand out the next iteration: its intended start time, or None as ``next_time``."""
        due = self.next_time()
        if due is not None:
            self._next += 1 / self.share
        return due

    def take_due(self, now: float) -> list[float]:
        """Hand out every iteration due by ``now``, oldest first."""
        taken: list[float] = []
        while (due := self.next_time()) is not None and due <= now:
            taken.append(due)
            self._next += 1 / self.share
        return taken

    def resplit(self, now: float, share: float, phase: float | None = None) -> None:
        """From ``now`` on, run ``share`` of the rate: the part of the curve before ``now``
        stays as it was run, the rest is split anew (from ``phase`` within the next step, if
        given, else from where this process's step under way was)."""
        _check_share(share, 0.0 if phase is None else phase)
        reached = self.curve.due(now)
        if phase is not None:
            self._next = reached + phase / share
        else:
            left = max(self._next - reached, 0.0)  # of the step under way, in the curve's count
            self._next = reached + left * self.share / share
        self.share = share


#: Users in the pool of an arrival-rate run unless ``--max-users`` says otherwise.
DEFAULT_MAX_USERS = 100
#: Seconds an iteration may wait for a free user before it is dropped.
DEFAULT_MAX_LATENESS = 1.0


@dataclass(frozen=True)
class ArrivalPlan:
    """An open-model run: the rate curve and the pool of users that runs its iterations.

    ``max_users`` caps the pool; ``pre_allocated_users`` of them (all by default) are started
    before the first iteration, the rest only when the pool runs short. An iteration that finds
    no free user waits for one at most ``max_lateness`` seconds, then is dropped. ``iterations``
    ends the run after that many (``-i``).
    """

    curve: RateCurve
    max_users: int = DEFAULT_MAX_USERS
    pre_allocated_users: int | None = None
    max_lateness: float = DEFAULT_MAX_LATENESS
    iterations: int | None = None

    def __post_init__(self) -> None:
        if self.max_users < 1:
            raise ValueError(f"an arrival-rate run needs at least 1 user, not {self.max_users}")
        if self.pre_allocated_users is not None and not (
            0 <= self.pre_allocated_users <= self.max_users
        ):
            raise ValueError(
                f"pre-allocated users must be 0 to max users ({self.max_users}), "
                f"not {self.pre_allocated_users}"
            )
        if not (math.isfinite(self.max_lateness) and self.max_lateness >= 0):
            raise ValueError(f"the max lateness must be 0 or more, not {self.max_lateness}")
        if self.iterations is not None and self.iterations < 0:
            raise ValueError(f"iterations must be 0 or more, not {self.iterations}")

    def to_dict(self) -> dict[str, Any]:
        """The plan as plain data (a master sends it to its workers); ``from_dict`` reads it."""
        return {
            "start_rate": self.curve.start_rate,
            "stages": [[stage.duration, stage.rate] for stage in self.curve.stages],
            "max_users": self.max_users,
            "pre_allocated_users": self.pre_allocated_users,
            "max_lateness": self.max_lateness,
            "iterations": self.iterations,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ArrivalPlan:
        """The plan ``to_dict`` gave (a ValueError or TypeError for data that is not one)."""
        stages = [RateStage(float(d), float(r)) for d, r in data.get("stages") or ()]
        pre = data.get("pre_allocated_users")
        iterations = data.get("iterations")
        return cls(
            RateCurve(float(data["start_rate"]), stages),
            max_users=int(data["max_users"]),
            pre_allocated_users=None if pre is None else int(pre),
            max_lateness=float(data["max_lateness"]),
            iterations=None if iterations is None else int(iterations),
        )

    @property
    def initial_users(self) -> int:
        """Users started before the first iteration."""
        given = self.pre_allocated_users
        return self.max_users if given is None else given

    def describe(self) -> str:
        """The requested rate in a few words: ``200/s`` or ``0/s, then 3 stages over 40s``."""
        curve = self.curve
        if not curve.stages:
            return f"{_number(curve.start_rate)}/s"
        stages = len(curve.stages)
        return (
            f"{_number(curve.start_rate)}/s, then {stages} stage{'s' if stages > 1 else ''} "
            f"over {_number(curve.end or 0)}s up to {_number(curve.peak_rate)}/s"
        )


def _number(value: float) -> str:
    return f"{value:g}"


def arrival_plan_of(shape: object, iterations: int | None = None) -> ArrivalPlan | None:
    """The open-model plan a load shape asks for (an ``ArrivalRateShape`` has an
    ``arrival_plan()``), ended after ``iterations`` if given; None for a closed-model shape.
    The runners and the web UI tell the two kinds apart here, and only here."""
    arrival_plan = getattr(shape, "arrival_plan", None)
    return None if arrival_plan is None else arrival_plan(iterations)
