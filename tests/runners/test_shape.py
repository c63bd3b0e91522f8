"""Load shapes: tick() drives the local runner, a ramp never delays the next tick, None ends."""

from __future__ import annotations

from typing import Any

import pytest
from gevent.event import Event

from swarm.env import Environment
from swarm.user import User, constant, task
from swarm.user.shape import LoadTestShape

LIMIT_S = 10  # a safety net for joins: a broken runner fails the test instead of hanging it

gate = Event()


class Idler(User):
    wait_time = constant(0)

    @task
    def idle(self) -> None:
        gate.wait()


class Scripted(LoadTestShape):
    """Answers its ticks from a list; records what the runner ran at each tick."""

    def __init__(self, answers: list[Any]) -> None:
        super().__init__()
        self.answers = list(answers)
        self.seen: list[int] = []

    def tick(self) -> Any:
        self.seen.append(self.get_current_user_count())
        return self.answers.pop(0)


def run(shape: Scripted) -> Environment:
    env = Environment(user_classes=[Idler], shape_class=shape)
    runner = env.create_local_runner()
    runner.shape_tick_interval = 0.0  # the next tick as soon as the hub comes back
    runner.start_shape()
    runner.greenlet.join(timeout=LIMIT_S)
    assert len(runner.greenlet) == 0, "the shape's None should have ended the runner"
    return env


def test_a_shape_runs_until_its_tick_returns_none() -> None:
    shape = Scripted([(2, 1000), (2, 1000), (0, 1000), None])
    env = run(shape)
    assert shape.answers == []  # every tick was asked for
    assert shape.runner is env.runner
    assert env.runner is not None and env.runner.user_count == 0


def test_a_slow_ramp_does_not_hold_back_the_next_tick() -> None:
    # A ramp of 100 users at 1 user/s would take 100 s; the ticks after it come at once.
    shape = Scripted([(100, 1), (100, 1), (3, 1000), None])
    run(shape)
    assert shape.answers == []
    assert max(shape.seen) < 100


def test_without_a_shape_start_shape_says_what_is_missing() -> None:
    runner = Environment(user_classes=[Idler]).create_local_runner()
    with pytest.raises(ValueError, match="shape_class"):
        runner.start_shape()
    runner.quit()


def test_run_time_and_user_count_come_from_the_runner() -> None:
    shape = Scripted([])
    assert shape.get_current_user_count() == 0  # no runner yet
    assert shape.get_run_time() >= 0
    assert LoadTestShape.abstract is True
    assert Scripted.abstract is False


class Other(Idler):
    pass


def test_start_with_user_classes_moves_the_running_users_over_to_them() -> None:
    runner = Environment(user_classes=[Idler]).create_local_runner()
    runner.start(2, 1000, wait=True)
    assert runner.user_classes_count == {"Idler": 2}
    runner.start(2, 1000, wait=True, user_classes=[Other])
    assert runner.user_classes_count == {"Other": 2}
    runner.quit()


def test_a_ticks_user_classes_are_the_ones_spawned() -> None:
    spawned = Event()
    counts: list[dict[str, int]] = []

    class Switching(LoadTestShape):
        ticks = 0

        def tick(self) -> Any:
            self.ticks += 1
            if self.ticks == 1:
                return (2, 1000, [Other])
            spawned.wait(timeout=LIMIT_S)  # the first answer's ramp has run
            return None

    env = Environment(user_classes=[Idler], shape_class=Switching())

    def on_spawned(user_count: int) -> None:
        assert env.runner is not None
        counts.append(env.runner.user_classes_count)
        spawned.set()

    env.events.spawning_complete.add_listener(on_spawned)
    runner = env.create_local_runner()
    runner.shape_tick_interval = 0.0
    runner.start_shape()
    runner.greenlet.join(timeout=LIMIT_S)
    assert counts == [{"Other": 2}]
