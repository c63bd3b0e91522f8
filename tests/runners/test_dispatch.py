"""Dispatch is pure: class totals, balance over workers, ramp order and pacing, without I/O."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import pytest

from swarm.exceptions import SwarmError
from swarm.runners.dispatch import (
    Dispatch,
    DispatchError,
    DispatchStep,
    UserClassSpec,
    UsersDispatcher,
    class_counts,
    order_workers,
    specs_from_classes,
)


def weighted(*weights: float) -> list[UserClassSpec]:
    return [UserClassSpec(f"C{i}", w) for i, w in enumerate(weights)]


def class_totals(dispatch: Dispatch) -> dict[str, int]:
    out: dict[str, int] = {}
    for per_class in dispatch.values():
        for name, count in per_class.items():
            out[name] = out.get(name, 0) + count
    return out


def user_total(dispatch: Dispatch) -> int:
    return sum(class_totals(dispatch).values())


def assert_balanced(dispatch: Dispatch) -> None:
    """Each class's per-worker counts, and the per-worker totals, differ by at most one."""
    per_worker = list(dispatch.values())
    for name in per_worker[0]:
        counts = [per_class[name] for per_class in per_worker]
        assert max(counts) - min(counts) <= 1, (name, counts)
    totals = [sum(per_class.values()) for per_class in per_worker]
    assert max(totals) - min(totals) <= 1, totals


def assert_follows_weights(counts: dict[str, int], specs: list[UserClassSpec]) -> None:
    """Weighted classes hold within 1 - 1/(2k - 2) of their share (Tijdeman's bound)."""
    fixed = sum(counts[s.name] for s in specs if s.fixed_count)
    active = [s for s in specs if not s.fixed_count and s.weight > 0]
    weight_sum = sum(Fraction(repr(s.weight)) for s in active)
    slack = Fraction(1, 2 * len(active) - 2) if len(active) > 1 else Fraction(1)
    users = sum(counts.values()) - fixed
    for spec in active:
        share = users * Fraction(repr(spec.weight)) / weight_sum
        assert abs(counts[spec.name] - share) <= 1 - slack, (spec, users, counts)


def ramp(dispatcher: UsersDispatcher, target: int, rate: float) -> list[DispatchStep]:
    dispatcher.new_dispatch(target, rate)
    return list(dispatcher)


def stopped(before: Dispatch, after: Dispatch) -> int:
    return sum(
        max(0, count - after[worker][name])
        for worker, per_class in before.items()
        for name, count in per_class.items()
    )


# --- class totals ----------------------------------------------------------------------


@pytest.mark.parametrize("weights", list(itertools.product([0, 1, 2, 3, 7], repeat=3)))
def test_class_counts_are_exact_and_within_a_user_of_the_weights(weights: tuple[int, ...]) -> None:
    specs = weighted(*weights)
    previous = dict.fromkeys([s.name for s in specs], 0)
    for total in range(60):
        counts = class_counts(specs, total)
        assert list(counts) == [s.name for s in specs]
        assert sum(counts.values()) == (total if any(weights) else 0)
        for spec in specs:
            share = Fraction(total * spec.weight, sum(weights) or 1)
            assert math.floor(share) <= counts[spec.name] <= math.ceil(share)
            # one more user never takes one away from another class (no Alabama paradox)
            assert counts[spec.name] >= previous[spec.name]
        assert_follows_weights(counts, specs)
        previous = counts


@pytest.mark.parametrize(
    "weights",
    [(1, 1), (1, 3), (2, 5), (1, 1, 1, 1), (5, 1, 1, 1, 1, 1), (1, 2, 3, 4, 5, 6, 7), (10, 3, 1)],
)
def test_every_prefix_of_the_spawn_order_stays_within_the_bound(weights: tuple[int, ...]) -> None:
    specs = weighted(*weights)
    for total in range(3 * sum(weights) + 5):
        assert_follows_weights(class_counts(specs, total), specs)


def test_two_classes_round_to_the_nearest_user() -> None:
    specs = weighted(5, 1)
    assert [class_counts(specs, n)["C1"] for n in range(1, 13)] == [
        0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 2
    ]  # fmt: skip


@pytest.mark.parametrize("weights", [(0.1, 0.2, 0.7), (1.5, 2.4), (0.25, 0.75), (1e-3, 2e-3)])
def test_fractional_weights_are_read_as_the_decimals_they_are(weights: tuple[float, ...]) -> None:
    specs = weighted(*weights)
    for total in range(50):
        counts = class_counts(specs, total)
        assert sum(counts.values()) == total
        assert_follows_weights(counts, specs)
    assert class_counts(weighted(0.1, 0.2), 3) == {"C0": 1, "C1": 2}


@pytest.mark.parametrize("fixed", list(itertools.product([0, 1, 2, 5], repeat=3)))
def test_fixed_counts_come_first_in_order_and_exactly(fixed: tuple[int, ...]) -> None:
    specs = [
        UserClassSpec("F0", 1, fixed[0]),
        UserClassSpec("W", 2),
        UserClassSpec("F1", 0, fixed[1]),
        UserClassSpec("F2", 9, fixed[2]),
        UserClassSpec("V", 1),
    ]
    fixed_names = [name for name, count in zip(["F0", "F1", "F2"], fixed, strict=True) if count]
    for total in range(20):
        counts = class_counts(specs, total)
        left = total
        for spec in specs:
            if spec.fixed_count:
                assert counts[spec.name] == min(spec.fixed_count, left)
                left -= counts[spec.name]
        # a class with a fixed count of 0 is weighted (F1, of weight 0, gets none)
        assert sum(n for name, n in counts.items() if name not in fixed_names) == left
        assert_follows_weights(counts, specs)


def test_fixed_only_classes_cap_the_users_and_weight_zero_gets_none() -> None:
    specs = [UserClassSpec("A", 0, 2), UserClassSpec("B", 1, 1), UserClassSpec("Z", 0)]
    assert class_counts(specs, 10) == {"A": 2, "B": 1, "Z": 0}
    assert class_counts(specs, 2) == {"A": 2, "B": 0, "Z": 0}
    assert class_counts([UserClassSpec("Z", 0)], 5) == {"Z": 0}


def test_a_target_below_the_number_of_fixed_classes_fills_them_in_order() -> None:
    specs = [UserClassSpec(name, 1, 1) for name in "ABCD"] + [UserClassSpec("W", 1)]
    assert class_counts(specs, 2) == {"A": 1, "B": 1, "C": 0, "D": 0, "W": 0}
    dispatcher = UsersDispatcher(["w1", "w2", "w3"], specs)
    (step,) = ramp(dispatcher, 2, 100)
    assert class_totals(step.users) == {"A": 1, "B": 1, "C": 0, "D": 0, "W": 0}
    assert_balanced(step.users)


# --- balance over workers and ramp order ------------------------------------------------

SPEC_SETS = [
    weighted(1),
    weighted(1, 1),
    weighted(3, 1),
    weighted(1, 2, 3),
    weighted(5, 1, 1, 2),
    weighted(1, 1, 1, 1, 1, 1),
    [UserClassSpec("Admin", 1, 1), *weighted(4, 1, 2)],
    [UserClassSpec("F", 0, 3), UserClassSpec("G", 0, 2), *weighted(1, 1, 1)],
]


@pytest.mark.parametrize("workers", [1, 2, 3, 4, 7])
@pytest.mark.parametrize("specs", SPEC_SETS)
def test_every_step_of_a_ramp_is_balanced_and_follows_the_weights(
    specs: list[UserClassSpec], workers: int
) -> None:
    dispatcher = UsersDispatcher([f"w{i}" for i in range(workers)], specs)
    steps = ramp(dispatcher, 6 * workers + 11, 1)
    for users, step in enumerate(steps, start=1):
        assert user_total(step.users) == users
        assert class_totals(step.users) == class_counts(specs, users)
        assert_follows_weights(class_totals(step.users), specs)
        assert_balanced(step.users)


@pytest.mark.parametrize("workers", [1, 2, 3, 5])
@pytest.mark.parametrize("specs", SPEC_SETS)
def test_ramp_up_only_starts_users_and_ramp_down_retraces_it(
    specs: list[UserClassSpec], workers: int
) -> None:
    dispatcher = UsersDispatcher([f"w{i}" for i in range(workers)], specs)
    up = [step.users for step in ramp(dispatcher, 40, 1)]
    for before, after in itertools.pairwise(up):
        assert stopped(before, after) == 0
    down = [step.users for step in ramp(dispatcher, 0, 1)]
    # The newest user goes first: going down passes through the same states, in reverse.
    assert down == [*up[-2::-1], {worker: dict.fromkeys(up[0][worker], 0) for worker in up[0]}]


def test_the_last_user_leaves_from_the_worker_that_got_it_last() -> None:
    dispatcher = UsersDispatcher(["w1", "w2", "w3"], weighted(1, 1))
    grown = ramp(dispatcher, 5, 1)
    shrunk = ramp(dispatcher, 4, 1)
    assert shrunk[-1].users == grown[-2].users


def test_a_large_dispatch_is_exact_and_balanced() -> None:
    specs = [UserClassSpec("Admin", 1, 3), *weighted(1, 2, 3, 4, 5)]
    workers = [f"host{i % 7}_{i:03d}" for i in range(120)]
    dispatcher = UsersDispatcher(workers, specs)
    final = ramp(dispatcher, 30_011, 5000)[-1].users
    assert class_totals(final) == class_counts(specs, 30_011)
    assert_balanced(final)


# --- pacing -----------------------------------------------------------------------------


@pytest.mark.parametrize("rate", [0.25, 0.5, 1, 3, 7.5, 10, 15, 99, 1000, 12_345.6])
@pytest.mark.parametrize(("start", "target"), [(0, 1), (0, 40), (0, 2500), (2500, 7), (13, 14)])
def test_steps_are_paced_by_the_spawn_rate(rate: float, start: int, target: int) -> None:
    dispatcher = UsersDispatcher(["w1", "w2"], weighted(2, 1))
    ramp(dispatcher, start, 1e9)
    steps = ramp(dispatcher, target, rate)
    per_step = max(1, math.ceil(rate / 10))
    assert steps[0].delay == 0
    assert all(step.delay == pytest.approx(per_step / rate) for step in steps[1:])
    assert all(step.delay >= 0.1 - 1e-9 for step in steps[1:])  # at most ten steps a second
    assert len(steps) == math.ceil(abs(target - start) / per_step)
    elapsed = 0.0
    for step in steps:
        elapsed += step.delay
        # after t seconds about rate * t users have changed: never more than one step ahead
        changed = abs(user_total(step.users) - start)
        assert rate * elapsed - 1e-6 <= changed <= rate * elapsed + per_step + 1e-6
    assert user_total(steps[-1].users) == target
    # the first step comes at once, so the last one is up to one interval early
    assert elapsed == pytest.approx(abs(target - start) / rate, abs=per_step / rate + 1e-6)


def test_a_slow_rate_starts_one_user_at_a_time() -> None:
    dispatcher = UsersDispatcher(["local"], weighted(1))
    steps = ramp(dispatcher, 3, 0.5)
    assert [(step.delay, step.users["local"]["C0"]) for step in steps] == [
        (0.0, 1),
        (2.0, 2),
        (2.0, 3),
    ]


# --- changes while running --------------------------------------------------------------


def test_changing_the_target_mid_ramp_goes_on_from_where_the_ramp_is() -> None:
    specs = weighted(3, 1)
    dispatcher = UsersDispatcher(["w1", "w2"], specs)
    dispatcher.new_dispatch(10, 1)
    first_two = [next(dispatcher), next(dispatcher)]
    assert user_total(first_two[-1].users) == 2
    lower = ramp(dispatcher, 4, 1)
    assert [user_total(step.users) for step in lower] == [3, 4]
    assert lower[0].delay == 0.0
    assert class_totals(lower[-1].users) == class_counts(specs, 4)
    dispatcher.new_dispatch(20, 2)
    next(dispatcher)
    higher = ramp(dispatcher, 1, 2)
    assert [user_total(step.users) for step in higher] == [4, 3, 2, 1]
    for step in higher:
        assert_balanced(step.users)


def test_after_the_first_step_a_ramp_up_never_stops_a_user() -> None:
    # Going beyond every earlier target places the new users first, which may move a few
    # running ones in the first step; never afterwards.
    dispatcher = UsersDispatcher([f"w{i}" for i in range(4)], weighted(1, 2, 3, 4))
    ramp(dispatcher, 30, 1000)
    steps = [step.users for step in ramp(dispatcher, 300, 1)]
    assert user_total(steps[0]) == 31
    for before, after in itertools.pairwise(steps):
        assert stopped(before, after) == 0


def test_workers_joining_and_leaving_rebalance_at_once_then_the_ramp_goes_on() -> None:
    specs = [UserClassSpec("Admin", 1, 1), *weighted(1, 1)]
    dispatcher = UsersDispatcher(["w1", "w2"], specs)
    dispatcher.new_dispatch(40, 5)
    before = [next(dispatcher) for _ in range(3)][-1].users
    assert user_total(before) == 3
    dispatcher.add_worker("w3")
    dispatcher.add_worker("w3")  # joining twice is joining once
    joined = next(dispatcher)
    assert joined.delay == 0.0
    assert set(joined.users) == {"w1", "w2", "w3"}
    assert class_totals(joined.users) == class_totals(before)
    assert_balanced(joined.users)
    dispatcher.remove_worker("w1")
    dispatcher.remove_worker("nobody")
    left = next(dispatcher)
    assert left.delay == 0.0
    assert set(left.users) == {"w2", "w3"}
    assert class_totals(left.users) == class_totals(before)
    assert_balanced(left.users)
    rest = list(dispatcher)
    assert [step.delay for step in rest] == [0.2] * len(rest)
    assert user_total(rest[0].users) == 4
    assert user_total(rest[-1].users) == 40
    for step in rest:
        assert set(step.users) == {"w2", "w3"}
        assert_balanced(step.users)


def test_a_finished_dispatch_rebalances_once_when_workers_change() -> None:
    dispatcher = UsersDispatcher(["w1", "w2"], weighted(1, 1))
    ramp(dispatcher, 12, 1000)
    assert not dispatcher.dispatch_in_progress
    dispatcher.add_worker("w3")
    assert dispatcher.dispatch_in_progress
    steps = list(dispatcher)
    assert len(steps) == 1
    assert all(sum(per_class.values()) == 4 for per_class in steps[0].users.values())
    assert dispatcher.current == steps[0].users
    assert list(dispatcher) == []


def test_new_user_classes_replace_the_running_ones_in_the_first_step() -> None:
    dispatcher = UsersDispatcher(["w1", "w2"], weighted(1, 1))
    ramp(dispatcher, 10, 1000)
    dispatcher.new_dispatch(13, 1, [UserClassSpec("New", 1)])
    first = next(dispatcher)
    assert first.delay == 0.0 and class_totals(first.users) == {"New": 11}
    assert [user_total(step.users) for step in dispatcher] == [12, 13]
    assert dispatcher.counts == {"New": 13}


# --- edges and errors -------------------------------------------------------------------


def test_zero_users_yields_one_empty_step() -> None:
    dispatcher = UsersDispatcher(["w1", "w2"], weighted(1, 1))
    steps = ramp(dispatcher, 0, 1)
    assert steps == [(0.0, {"w1": {"C0": 0, "C1": 0}, "w2": {"C0": 0, "C1": 0}})]
    assert dispatcher.user_count == 0 and not dispatcher.dispatch_in_progress


def test_an_unchanged_target_still_confirms_the_state_once() -> None:
    dispatcher = UsersDispatcher(["local"], weighted(1))
    ramp(dispatcher, 5, 100)
    assert ramp(dispatcher, 5, 100) == [(0.0, {"local": {"C0": 5}})]


def test_the_dispatcher_is_a_resumable_iterator() -> None:
    dispatcher = UsersDispatcher(["local"], weighted(1))
    assert iter(dispatcher) is dispatcher
    assert list(dispatcher) == []
    dispatcher.new_dispatch(2, 10)
    assert [user_total(step.users) for step in dispatcher] == [1, 2]
    with pytest.raises(StopIteration):
        next(dispatcher)


def test_no_workers_is_a_clear_error() -> None:
    dispatcher = UsersDispatcher([], weighted(1))
    assert dispatcher.current == {}
    with pytest.raises(DispatchError, match="no workers"):
        dispatcher.new_dispatch(1, 1)
    assert ramp(dispatcher, 0, 1) == [(0.0, {})]


def test_when_the_last_worker_leaves_the_dispatch_ends_empty() -> None:
    dispatcher = UsersDispatcher(["w1"], weighted(1))
    dispatcher.new_dispatch(10, 1)
    next(dispatcher)
    dispatcher.remove_worker("w1")
    assert list(dispatcher) == [(0.0, {})]
    assert dispatcher.user_count == 0 and dispatcher.target_user_count == 0
    dispatcher.add_worker("w2")
    assert [user_total(step.users) for step in ramp(dispatcher, 2, 100)] == [2]


def test_a_target_beyond_the_fixed_counts_is_capped() -> None:
    dispatcher = UsersDispatcher(["w1", "w2"], [UserClassSpec("Only", 0, 3)])
    assert dispatcher.max_user_count == 3
    steps = ramp(dispatcher, 10, 1)
    assert [user_total(step.users) for step in steps] == [1, 2, 3]
    assert dispatcher.target_user_count == 3


@pytest.mark.parametrize(
    ("target", "rate", "message"),
    [
        (-1, 1, "0 or more"),
        (1, 0, "above 0"),
        (1, -2, "above 0"),
        (1, math.inf, "above 0"),
        (1, math.nan, "above 0"),
    ],
)
def test_bad_targets_and_rates_are_refused(target: int, rate: float, message: str) -> None:
    dispatcher = UsersDispatcher(["local"], weighted(1))
    with pytest.raises(DispatchError, match=message):
        dispatcher.new_dispatch(target, rate)
    with pytest.raises(ValueError, match=message):  # a DispatchError is a ValueError ...
        dispatcher.new_dispatch(target, rate)
    with pytest.raises(SwarmError, match=message):  # ... and one of swarm's errors
        dispatcher.new_dispatch(target, rate)


NOT_A_NUMBER: Any = "3"
NOT_AN_INTEGER: Any = 1.5


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: UserClassSpec("A", -1), "weight"),
        (lambda: UserClassSpec("A", math.inf), "weight"),
        (lambda: UserClassSpec("A", NOT_A_NUMBER), "weight"),
        (lambda: UserClassSpec("A", True), "weight"),
        (lambda: UserClassSpec("A", 1, -1), "fixed_count"),
        (lambda: UserClassSpec("A", 1, NOT_AN_INTEGER), "fixed_count"),
        (lambda: UserClassSpec("", 1), "name"),
        (lambda: UsersDispatcher(["local"], []), "no user classes"),
        (lambda: class_counts(weighted(1, 1) * 2, 3), "unique"),
        (lambda: class_counts(weighted(1), -1), "0 or more"),
    ],
)
def test_bad_classes_are_refused(make: Callable[[], object], message: str) -> None:
    with pytest.raises(DispatchError, match=message):
        make()


def test_specs_from_user_classes_read_name_weight_and_fixed_count() -> None:
    class Shopper:
        weight = 3

    class Admin:
        weight = 1
        fixed_count = 1

    class Plain:
        pass

    assert specs_from_classes([Shopper, Admin, Plain]) == [
        UserClassSpec("Shopper", 3, 0),
        UserClassSpec("Admin", 1, 1),
        UserClassSpec("Plain", 1, 0),
    ]


def test_workers_are_ordered_by_host_first_so_few_users_spread_over_hosts() -> None:
    ids = ["b_2", "a_1", "a_2", "b_1", "a_3", "local"]
    assert order_workers(ids) == ["a_1", "b_1", "local", "a_2", "b_2", "a_3"]
    dispatcher = UsersDispatcher(ids, weighted(1))
    (step,) = ramp(dispatcher, 2, 100)
    assert {w for w, per_class in step.users.items() if per_class["C0"]} == {"a_1", "b_1"}


def test_the_same_calls_give_the_same_steps() -> None:
    def run() -> list[DispatchStep]:
        dispatcher = UsersDispatcher(["x_1", "y_1", "x_2"], weighted(1, 2, 4))
        steps = ramp(dispatcher, 50, 7)
        dispatcher.remove_worker("y_1")
        return steps + ramp(dispatcher, 20, 3)

    assert run() == run()
