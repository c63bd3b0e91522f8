"""The open model's schedule: rates, stages, and how processes share one curve."""

from __future__ import annotations

import itertools
from typing import Any

import msgpack
import pytest

from swarm.runners.schedule import (
    ArrivalPlan,
    ArrivalSchedule,
    RateCurve,
    RateStage,
    parse_rate,
    parse_rate_stages,
)


@pytest.mark.parametrize(
    ("text", "per_second"),
    [("200/s", 200.0), ("200", 200.0), ("90/m", 1.5), ("3600/h", 1.0), (" 2.5 / s ", 2.5)],
)
def test_rates_read_per_second_minute_or_hour(text: str, per_second: float) -> None:
    assert parse_rate(text) == per_second


@pytest.mark.parametrize("text", ["", "fast", "-5/s", "10/d", "1e3/s"])
def test_a_wrong_rate_says_what_a_rate_looks_like(text: str) -> None:
    with pytest.raises(ValueError, match="200/s"):
        parse_rate(text)


def test_stages_read_duration_and_rate() -> None:
    assert parse_rate_stages("30s:100/s, 2m:6000/m,10s:0") == [
        RateStage(30, 100),
        RateStage(120, 100),
        RateStage(10, 0),
    ]


@pytest.mark.parametrize(
    ("text", "named"),
    [("30s:100,1m", "stage 2 ('1m')"), ("30s:100,0s:5", "stage 2"), ("x:5", "stage 1")],
)
def test_a_wrong_stage_is_named(text: str, named: str) -> None:
    with pytest.raises(ValueError, match=named.replace("(", r"\(").replace(")", r"\)")):
        parse_rate_stages(text)


def test_a_constant_rate_starts_its_iterations_evenly_from_zero() -> None:
    schedule = ArrivalSchedule(RateCurve(200))
    times = schedule.take_due(10.0)
    assert len(times) == 2001  # 0, 0.005, ..., 10.0
    assert times[:3] == pytest.approx([0.0, 0.005, 0.01])
    assert schedule.next_time() == pytest.approx(10.005)


def test_a_constant_rate_never_ends_but_a_limit_ends_it() -> None:
    assert RateCurve(5).end is None
    schedule = ArrivalSchedule(RateCurve(5), limit=3)
    assert schedule.take_due(100) == pytest.approx([0.0, 0.2, 0.4])
    assert schedule.next_time() is None


def test_a_ramp_starts_the_area_under_it() -> None:
    curve = RateCurve(0, [RateStage(10, 100)])
    assert curve.due(10) == pytest.approx(500)
    assert curve.rate_at(5) == pytest.approx(50)
    times = ArrivalSchedule(curve).take_due(10)
    # iteration k is due when k iterations are: 100/20 * t^2 = k
    assert len(times) == 500  # 0, ..., 499: the area under the ramp, none at its very end
    assert times[100] == pytest.approx((100 / 5) ** 0.5)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert all(later < earlier for earlier, later in itertools.pairwise(gaps))


def test_stages_hold_ramp_down_and_end() -> None:
    curve = RateCurve(0, [RateStage(10, 100), RateStage(20, 100), RateStage(10, 0)])
    assert curve.end == 40
    assert curve.peak_rate == 100
    assert curve.due(40) == pytest.approx(500 + 2000 + 500)
    schedule = ArrivalSchedule(curve)
    times = schedule.take_due(1000)
    assert len(times) == 3000
    assert all(0 <= t <= 40 for t in times)
    assert schedule.next_time() is None
    assert schedule.take() is None


def test_a_stage_at_rate_zero_starts_nothing_until_the_next() -> None:
    curve = RateCurve(0, [RateStage(5, 0), RateStage(5, 10)])
    times = ArrivalSchedule(curve).take_due(10)
    assert times[0] == pytest.approx(5.0)
    assert len(times) == 25  # 5 s onwards: the area under the second stage


def test_nothing_at_all_is_refused() -> None:
    with pytest.raises(ValueError, match="never start"):
        RateCurve(0)
    with pytest.raises(ValueError, match="duration above 0"):
        RateStage(0, 5)


def test_shares_of_a_rate_together_run_the_whole_schedule() -> None:
    curve = RateCurve(0, [RateStage(10, 60), RateStage(10, 60)])
    whole = ArrivalSchedule(curve).take_due(20)
    parts = [ArrivalSchedule(curve, share=1 / 3, phase=i / 3).take_due(20) for i in range(3)]
    assert sorted(t for part in parts for t in part) == pytest.approx(whole)
    assert [len(part) for part in parts] == [300, 300, 300]


def test_a_resplit_keeps_the_run_s_total() -> None:
    curve = RateCurve(100)
    first = ArrivalSchedule(curve)
    before = first.take_due(5.0)
    # a second process joins at 5 s: each runs half from then on, taking turns
    first.resplit(5.0, 0.5)
    second = ArrivalSchedule(curve, share=0.5, phase=0.5, start=5.0)
    after = first.take_due(10.0) + second.take_due(10.0)
    assert len(before) + len(after) == pytest.approx(curve.due(10.0), abs=2)
    assert all(5.0 <= t <= 10.0 for t in after)
    assert max(b - a for a, b in zip(sorted(after), sorted(after)[1:], strict=False)) <= 0.011


def test_a_limit_ends_the_whole_run_at_the_same_total_across_shares() -> None:
    curve = RateCurve(100)
    parts = [ArrivalSchedule(curve, share=1 / 3, phase=i / 3, limit=100) for i in range(3)]
    counts = [len(part.take_due(1000)) for part in parts]
    assert sum(counts) == 100
    assert sorted(counts) == [33, 33, 34]


def test_a_plan_travels_as_plain_data() -> None:
    plan = ArrivalPlan(
        RateCurve(5, [RateStage(10, 50)]), max_users=7, pre_allocated_users=2, iterations=9
    )
    again = ArrivalPlan.from_dict(msgpack.unpackb(msgpack.packb(plan.to_dict())))
    assert again.to_dict() == plan.to_dict()
    assert again.curve.due(10) == plan.curve.due(10)
    assert plan.describe() == "5/s, then 1 stage over 10s up to 50/s"
    assert ArrivalPlan(RateCurve(200)).describe() == "200/s"


@pytest.mark.parametrize(
    "make",
    [
        lambda: RateCurve(float("nan")),
        lambda: RateCurve(float("inf")),
        lambda: RateStage(float("nan"), 5),
        lambda: RateStage(5, float("nan")),
        lambda: ArrivalSchedule(RateCurve(5), phase=float("nan")),
        lambda: ArrivalSchedule(RateCurve(5), phase=1.0),
        lambda: ArrivalSchedule(RateCurve(5), start=float("inf")),
        lambda: ArrivalSchedule(RateCurve(5), share=float("nan")),
        lambda: ArrivalPlan(RateCurve(5), max_lateness=float("nan")),
    ],
)
def test_numbers_that_would_stall_a_schedule_are_refused(make: Any) -> None:
    with pytest.raises(ValueError):
        make()
