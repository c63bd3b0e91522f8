"""Dispatch is pure: exhaustive checks of totals, balance, pacing and ramp order, no I/O."""

from __future__ import annotations

import itertools
import math

import pytest

from swarm.exceptions import SwarmError
from swarm.runners.dispatch import (
    UserClassSpec,
    UsersDispatcher,
    class_counts,
    interleave,
    specs_from_classes,
    step_plan,
    users_on_worker,
)


def ramp(dispatcher: UsersDispatcher) -> list[tuple[float, dict[str, dict[str, int]]]]:
    return list(dispatcher)


def totals(dispatch: dict[str, dict[str, int]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for per_class in dispatch.values():
        for name, n in per_class.items():
            out[name] = out.get(name, 0) + n
    return out


@pytest.mark.parametrize("weights", list(itertools.product([0, 1, 2, 3, 5], repeat=3)))
def test_class_counts_add_up_and_follow_the_weights(weights: tuple[int, int, int]) -> None:
    specs = [UserClassSpec(f"C{i}", w) for i, w in enumerate(weights)]
    weight_sum = sum(weights)
    for total in range(40):
        counts = class_counts(specs, total)
        if weight_sum == 0:
            assert sum(counts.values()) == 0
            continue
        assert sum(counts.values()) == total
        for spec in specs:
            share = total * spec.weight / weight_sum
            assert math.floor(share) <= counts[spec.name] <= math.ceil(share)


@pytest.mark.parametrize("fixed", list(itertools.product([1, 2, 5], repeat=2)))
def test_fixed_counts_come_first_and_exactly(fixed: tuple[int, int]) -> None:
    specs = [
        UserClassSpec("F1", 1, fixed[0]),
        UserClassSpec("F2", 1, fixed[1]),
        UserClassSpec("W", 1),
    ]
    for total in range(12):
        counts = class_counts(specs, total)
        assert counts["F1"] == min(fixed[0], total)
        assert counts["F2"] == min(fixed[1], total - counts["F1"])
        assert counts["W"] == total - counts["F1"] - counts["F2"]


def test_every_prefix_of_the_ramp_order_follows_the_amounts() -> None:
    for amounts in itertools.product(range(7), repeat=3):
        named = {f"C{i}": n for i, n in enumerate(amounts)}
        order = list(interleave(named))
        total = sum(amounts)
        assert sorted(order) == sorted(n for n, a in named.items() for _ in range(a))
        seen = dict.fromkeys(named, 0)
        for k, name in enumerate(order, start=1):
            seen[name] += 1
            for other, amount in named.items():
                assert abs(seen[other] - k * amount / total) < 1


@pytest.mark.parametrize("workers", [1, 2, 3, 7])
def test_a_class_is_spread_evenly_over_workers(workers: int) -> None:
    for count in range(30):
        for offset in range(workers):
            per_worker = [users_on_worker(count, offset, w, workers) for w in range(workers)]
            assert sum(per_worker) == count
            assert max(per_worker) - min(per_worker) <= 1


def test_ramp_is_paced_by_the_spawn_rate() -> None:
    dispatcher = UsersDispatcher(["local"], [UserClassSpec("A")])
    dispatcher.new_dispatch(3, 0.5)
    steps = ramp(dispatcher)
    assert [delay for delay, _ in steps] == [0.0, 2.0, 2.0]
    assert [d["local"]["A"] for _, d in steps] == [1, 2, 3]


def test_fast_ramps_batch_users_at_most_ten_steps_per_second() -> None:
    dispatcher = UsersDispatcher(["local"], [UserClassSpec("A")])
    dispatcher.new_dispatch(1000, 500)
    steps = ramp(dispatcher)
    assert all(delay in (0.0, 0.1) for delay, _ in steps)
    assert len(steps) == 20  # 50 users per step
    assert sum(delay for delay, _ in steps) == pytest.approx(1000 / 500 - 0.1)
    assert steps[-1][1]["local"]["A"] == 1000


@pytest.mark.parametrize(("amount", "rate"), [(10, 0.25), (7, 3.0), (100, 33.0), (5000, 2500.0)])
def test_step_plan_keeps_the_average_rate(amount: int, rate: float) -> None:
    interval, per_step = step_plan(amount, rate)
    steps = math.ceil(amount / per_step)
    assert interval >= 0.1 - 1e-9
    assert per_step / interval == pytest.approx(rate)
    assert steps >= 1


def test_ramp_down_removes_the_newest_users_of_each_class() -> None:
    workers = ["w1", "w2", "w3"]
    dispatcher = UsersDispatcher(workers, [UserClassSpec("A")])
    dispatcher.new_dispatch(5, 100)
    grown = ramp(dispatcher)[-1][1]
    dispatcher.new_dispatch(4, 100)
    shrunk = ramp(dispatcher)[-1][1]
    changed = [w for w in workers if grown[w]["A"] != shrunk[w]["A"]]
    assert len(changed) == 1
    # the fifth user went to the worker that now has one user less
    dispatcher2 = UsersDispatcher(workers, [UserClassSpec("A")])
    dispatcher2.new_dispatch(4, 100)
    assert ramp(dispatcher2)[-1][1] == shrunk


def test_changing_the_target_mid_ramp_continues_from_where_the_ramp_is() -> None:
    specs = [UserClassSpec("A", 3), UserClassSpec("B", 1)]
    dispatcher = UsersDispatcher(["local"], specs)
    dispatcher.new_dispatch(10, 1)
    first_two = [next(dispatcher) for _ in range(2)]
    assert sum(totals(first_two[-1][1]).values()) == 2
    dispatcher.new_dispatch(4, 1)
    steps = ramp(dispatcher)
    assert sum(totals(steps[0][1]).values()) == 3  # one more, not a restart
    assert totals(steps[-1][1]) == {"A": 3, "B": 1}


def test_ramp_down_to_zero_and_zero_users() -> None:
    dispatcher = UsersDispatcher(["local"], [UserClassSpec("A"), UserClassSpec("B")])
    dispatcher.new_dispatch(0, 1)
    assert ramp(dispatcher) == []
    dispatcher.new_dispatch(6, 100)
    ramp(dispatcher)
    dispatcher.new_dispatch(0, 100)
    assert totals(ramp(dispatcher)[-1][1]) == {"A": 0, "B": 0}


def test_adding_and_removing_workers_rebalances_at_once() -> None:
    specs = [UserClassSpec("A", 1), UserClassSpec("B", 1)]
    dispatcher = UsersDispatcher(["w1", "w2"], specs)
    dispatcher.new_dispatch(12, 1000)
    ramp(dispatcher)
    dispatcher.add_worker("w3")
    delay, dispatch = next(dispatcher)
    assert delay == 0.0
    assert set(dispatch) == {"w1", "w2", "w3"}
    assert totals(dispatch) == {"A": 6, "B": 6}
    assert all(sum(per.values()) == 4 for per in dispatch.values())
    dispatcher.remove_worker("w1")
    delay, dispatch = next(dispatcher)
    assert delay == 0.0 and set(dispatch) == {"w2", "w3"}
    assert totals(dispatch) == {"A": 6, "B": 6}
    assert ramp(dispatcher) == []


def test_large_dispatch_stays_balanced() -> None:
    specs = [UserClassSpec(f"C{i}", i + 1) for i in range(4)]
    workers = [f"w{i:03d}" for i in range(500)]
    dispatcher = UsersDispatcher(workers, specs)
    dispatcher.new_dispatch(100_000, 5000)
    final = ramp(dispatcher)[-1][1]
    assert sum(sum(per.values()) for per in final.values()) == 100_000
    for spec in specs:
        per_worker = [final[w][spec.name] for w in workers]
        assert max(per_worker) - min(per_worker) <= 1
    worker_totals = [sum(final[w].values()) for w in workers]
    assert max(worker_totals) - min(worker_totals) <= len(specs)


def test_bad_input_is_refused_clearly() -> None:
    with pytest.raises(SwarmError, match="no user classes"):
        UsersDispatcher(["local"], [])
    dispatcher = UsersDispatcher([], [UserClassSpec("A")])
    dispatcher.new_dispatch(1, 1)
    with pytest.raises(SwarmError, match="no workers"):
        next(dispatcher)
    with pytest.raises(SwarmError, match="0 or more"):
        dispatcher.new_dispatch(-1, 1)
    with pytest.raises(SwarmError, match="above 0"):
        dispatcher.new_dispatch(1, 0)


def test_specs_from_user_classes() -> None:
    class Shopper:
        weight = 3
        fixed_count = 0

    class Admin:
        weight = 1
        fixed_count = 1

    assert specs_from_classes([Shopper, Admin]) == [
        UserClassSpec("Shopper", 3.0, 0),
        UserClassSpec("Admin", 1.0, 1),
    ]
