"""Ready-made load shapes: stages, steps and a spike (closed model: a number of users), and
an arrival rate (open model: iterations per second). Subclass one in a userfile and set its
attributes (or build one with arguments from code)::

    from swarm.shapes import ArrivalRateShape, RateStage, Stage, StagesShape

    class Ramp(StagesShape):
        stages = [Stage(60, 10, 10), Stage(120, 50, 5), Stage(60, 0, 50)]

    class Orders(ArrivalRateShape):
        stages = [RateStage(60, 200), RateStage(300, 200), RateStage(60, 0)]
        max_users = 300

Each closed-model shape's ``users_at(seconds)`` says what it asks for that far into the test
(pure, no clock), and ``tick()`` asks it for the shape's run time; None means the test is over.
An ``ArrivalRateShape`` has no tick(): the runner follows its ``arrival_plan()``
(swarm.runners.arrival).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import ClassVar

from swarm.runners.schedule import (
    DEFAULT_MAX_LATENESS,
    DEFAULT_MAX_USERS,
    ArrivalPlan,
    RateCurve,
    RateStage,
    parse_stage_list,
)
from swarm.timespan import parse_timespan
from swarm.user.shape import LoadTestShape

Target = tuple[int, float]


@dataclass(frozen=True)
class Stage:
    """``duration`` seconds at ``users`` users, reached at ``spawn_rate`` users/s."""

    duration: float
    users: int
    spawn_rate: float


def parse_stages(text: str) -> list[Stage]:
    """Stages from ``--stages``: ``DURATION:USERS:RATE`` separated by commas, e.g.
    ``1m:10:5,5m:100:10,30s:0:50``. Raises ``ValueError`` naming the stage that is wrong."""
    return parse_stage_list(text, "DURATION:USERS:RATE", _stage)


def _stage(fields: list[str]) -> Stage:
    duration, users, rate = parse_timespan(fields[0]), int(fields[1]), float(fields[2])
    if duration <= 0 or users < 0 or not rate > 0:
        raise ValueError("the duration and rate must be above 0, users 0 or more")
    return Stage(duration, users, rate)


class _PureShape(LoadTestShape):
    abstract = True

    def users_at(self, seconds: float) -> Target | None:
        raise NotImplementedError

    def tick(self) -> Target | None:
        return self.users_at(self.get_run_time())


class StagesShape(_PureShape):
    """One stage after another (k6's ``stages``); the test ends after the last."""

    abstract = True
    stages: ClassVar[Sequence[Stage | tuple[float, int, float]]] = ()

    def __init__(self, stages: Sequence[Stage | tuple[float, int, float]] | None = None) -> None:
        super().__init__()
        given = type(self).stages if stages is None else stages
        self.plan = [s if isinstance(s, Stage) else Stage(*s) for s in given]
        if not self.plan:
            raise ValueError(f"{type(self).__name__} has no stages")

    def users_at(self, seconds: float) -> Target | None:
        end = 0.0
        for stage in self.plan:
            end += stage.duration
            if seconds < end:
                return (stage.users, stage.spawn_rate)
        return None


class StepLoadShape(_PureShape):
    """``step_users`` more users every ``step_duration`` seconds, ``steps`` times, then ends."""

    abstract = True
    step_users: ClassVar[int] = 10
    step_duration: ClassVar[float] = 30.0
    steps: ClassVar[int] = 5
    spawn_rate: ClassVar[float] = 10.0

    def users_at(self, seconds: float) -> Target | None:
        step = int(seconds // self.step_duration) + 1
        if step > self.steps:
            return None
        return (step * self.step_users, self.spawn_rate)


class SpikeShape(_PureShape):
    """``base_users`` throughout, ``spike_users`` from ``spike_at`` for ``spike_duration``
    seconds (reached at ``spike_rate``), over ``duration`` seconds in all."""

    abstract = True
    base_users: ClassVar[int] = 10
    spike_users: ClassVar[int] = 100
    spike_at: ClassVar[float] = 60.0
    spike_duration: ClassVar[float] = 30.0
    duration: ClassVar[float] = 180.0
    spawn_rate: ClassVar[float] = 10.0
    spike_rate: ClassVar[float] = 100.0

    def users_at(self, seconds: float) -> Target | None:
        if seconds >= self.duration:
            return None
        if self.spike_at <= seconds < self.spike_at + self.spike_duration:
            return (self.spike_users, self.spike_rate)
        return (self.base_users, self.spike_rate if seconds >= self.spike_at else self.spawn_rate)


class ArrivalRateShape(LoadTestShape):
    """The open model: iterations start at a rate, whatever the target does.

    The rate starts at ``start_rate`` (iterations/s) and each ``RateStage(duration, rate)``
    moves it linearly to its rate (a stage at the rate before holds it); with stages the test
    ends after the last, without them it runs at ``start_rate`` until stopped. Iterations are
    run by a pool of up to ``max_users`` users (``pre_allocated_users`` of them, all by
    default, started before the first); one that waits longer than ``max_lateness`` seconds for
    a free user is dropped. See docs/load-models.md.
    """

    abstract = True
    start_rate: ClassVar[float] = 0.0
    stages: ClassVar[Sequence[RateStage | tuple[float, float]]] = ()
    max_users: ClassVar[int] = DEFAULT_MAX_USERS
    pre_allocated_users: ClassVar[int | None] = None
    max_lateness: ClassVar[float] = DEFAULT_MAX_LATENESS

    def __init__(
        self,
        start_rate: float | None = None,
        stages: Sequence[RateStage | tuple[float, float]] | None = None,
        max_users: int | None = None,
        pre_allocated_users: int | None = None,
        max_lateness: float | None = None,
    ) -> None:
        super().__init__()
        cls = type(self)
        given = cls.stages if stages is None else stages
        #: The open-model run this shape asks for (``arrival_plan`` adds ``-i``).
        self.plan = ArrivalPlan(
            RateCurve(
                cls.start_rate if start_rate is None else start_rate,
                [s if isinstance(s, RateStage) else RateStage(*s) for s in given],
            ),
            max_users=cls.max_users if max_users is None else max_users,
            pre_allocated_users=(
                cls.pre_allocated_users if pre_allocated_users is None else pre_allocated_users
            ),
            max_lateness=cls.max_lateness if max_lateness is None else max_lateness,
        )

    def arrival_plan(self, iterations: int | None = None) -> ArrivalPlan:
        """The run this shape asks for, ended after ``iterations`` if given (``-i``)."""
        return replace(self.plan, iterations=iterations)

    def tick(self) -> None:
        """Not used: an arrival rate is not a number of users (runners follow
        ``arrival_plan()``)."""
        return


__all__ = [
    "ArrivalRateShape",
    "RateStage",
    "SpikeShape",
    "Stage",
    "StagesShape",
    "StepLoadShape",
    "parse_stages",
]
