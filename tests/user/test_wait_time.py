"""Wait time functions; pacing is driven by a fake clock."""

from __future__ import annotations

import random
from types import SimpleNamespace

import pytest

from swarm.exceptions import StopUser
from swarm.user import (
    TaskSet,
    User,
    between,
    constant,
    constant_pacing,
    constant_throughput,
    poisson,
    task,
)
from swarm.user import wait_time as wait_time_module


def test_the_submodule_is_reachable_both_ways():
    from swarm.user import wait_time
    from swarm.user.wait_time import between as imported

    assert wait_time is wait_time_module
    assert imported is between


def test_constant():
    assert constant(3)(None) == 3
    assert constant(0)(None) == 0


def test_between_stays_within_its_bounds():
    wait = between(1.5, 2.5)
    samples = [wait(None) for _ in range(2000)]
    assert all(1.5 <= s <= 2.5 for s in samples)
    # Not a constant: the draws spread over the interval.
    assert max(samples) - min(samples) > 0.5


def test_between_with_a_seeded_rng_is_reproducible():
    first = [between(0, 10, rng=random.Random(5))(None) for _ in range(3)]
    again = [between(0, 10, rng=random.Random(5))(None) for _ in range(3)]
    assert first == again


def test_poisson_waits_have_mean_one_over_rate():
    wait = poisson(4, rng=random.Random(11))
    samples = [wait(None) for _ in range(100_000)]
    assert min(samples) >= 0
    mean = sum(samples) / len(samples)
    # Expected 0.25 s; the standard deviation of the mean is about 0.0008 s.
    assert 0.245 < mean < 0.255
    # Exponential: about 1/e of the waits are longer than the mean.
    longer = sum(s > 0.25 for s in samples) / len(samples)
    assert 0.36 < longer < 0.376


@pytest.mark.parametrize("factory", [poisson, constant_throughput])
@pytest.mark.parametrize("rate", [0, -1])
def test_rates_must_be_positive(factory, rate):
    with pytest.raises(ValueError, match="positive"):
        factory(rate)


def test_pacing_subtracts_the_time_the_task_took(clock):
    wait = constant_pacing(10)
    user = SimpleNamespace()
    setattr(user, wait_time_module.STARTED_AT, clock())
    clock.advance(2)  # the first task takes 2 s
    assert wait(user) == 8
    clock.advance(8 + 3)  # the wait, then a 3 s task
    assert wait(user) == 7


def test_pacing_never_waits_a_negative_time(clock):
    wait = constant_pacing(10)
    user = SimpleNamespace()
    setattr(user, wait_time_module.STARTED_AT, clock())
    clock.advance(12)
    assert wait(user) == 0
    clock.advance(4)  # the next task started at once and took 4 s
    assert wait(user) == 6


def test_pacing_makes_up_for_a_sleep_that_overshoots(clock):
    wait = constant_pacing(10)
    user = SimpleNamespace()
    setattr(user, wait_time_module.STARTED_AT, clock())
    clock.advance(2)
    assert wait(user) == 8  # the next task is due at +10
    clock.advance(8.5 + 2)  # woke 0.5 s late, then a 2 s task
    assert wait(user) == 7.5  # due at +20, on the original grid


def test_pacing_called_without_a_loop_waits_a_full_period(clock):
    assert constant_pacing(5)(SimpleNamespace()) == 5


def test_pacing_keeps_state_per_instance(clock):
    wait = constant_pacing(10)
    first, second = SimpleNamespace(), SimpleNamespace()
    assert wait(first) == 10
    clock.advance(4)
    assert wait(second) == 10
    clock.advance(10)  # first: its wait ended at +10 and its task took 4 s
    assert wait(first) == 6


def test_constant_throughput_is_pacing_at_one_over_the_rate(clock):
    wait = constant_throughput(0.5)
    user = SimpleNamespace()
    setattr(user, wait_time_module.STARTED_AT, clock())
    clock.advance(0.5)
    assert wait(user) == 1.5


def test_pacing_in_the_task_loop_starts_tasks_on_a_fixed_grid(environment, clock, sleeps):
    starts = []
    durations = iter([1, 3, 0.5, 12, 2])

    class Paced(User):
        wait_time = constant_pacing(5)

        @task
        def work(self):
            starts.append(clock())
            if len(starts) == 6:
                raise StopUser
            clock.advance(next(durations))

    Paced(environment).run()
    origin = starts[0]
    assert [s - origin for s in starts] == [0, 5, 10, 15, 27, 32]
    assert sleeps == [4, 2, 4.5, 0, 3]


def test_a_taskset_with_its_own_pacing_keeps_its_own_state(environment, clock, sleeps):
    class Inner(TaskSet):
        wait_time = constant_pacing(3)

        @task
        def work(self):
            clock.advance(1)
            if len(sleeps) == 2:
                raise StopUser

    class MyUser(User):
        wait_time = constant(100)
        tasks = [Inner]

    MyUser(environment).run()
    assert sleeps == [2, 2]
