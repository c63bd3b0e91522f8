"""Load shapes: tick() drives the local runner or a master, a ramp never delays the next tick, a
tick's user classes replace the running ones at once, None ends."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import gevent
import pytest
from cluster_users import Browser, Shopper
from cluster_users import gate as shop_gate
from fake_clock import FakeClock
from gevent.event import Event

from swarm.env import Environment
from swarm.rpc.memory import MemoryNetwork
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


# -- on a master: the workers run the classes a tick names ------------------------------------

SHOP_CLASSES = {"Shopper": Shopper, "Browser": Browser}


class ClassSwitching(LoadTestShape):
    """Shopper users, then the same number of Browser users, then the end; each answer once
    the master has reported the last one's users spawned."""

    def __init__(self, spawned: Event) -> None:
        super().__init__()
        self.spawned = spawned
        self.answers: list[Any] = [
            (4, 1000, [Shopper]),
            # A rate so slow that only moving the running users over at once ends in time.
            (4, 0.001, [Browser]),
            None,
        ]

    def tick(self) -> Any:
        if len(self.answers) < 3:
            assert self.spawned.wait(timeout=LIMIT_S), "the last answer was never spawned"
            self.spawned.clear()
        return self.answers.pop(0)


@pytest.fixture
def cluster_gate() -> Iterator[None]:
    shop_gate.clear()
    yield
    shop_gate.set()


def test_a_master_moves_its_workers_users_over_to_a_ticks_classes(
    clock: FakeClock, cluster_gate: None
) -> None:
    spawned = Event()
    network = MemoryNetwork()
    master_env = Environment(user_classes=[Shopper, Browser], shape_class=ClassSwitching(spawned))
    master = master_env.create_master_runner(transport=network.server, clock=clock)
    worker_envs = [
        Environment(user_classes=[Shopper, Browser]),
        # Browser is in its userfile but not among the classes it runs: it is asked for by name.
        Environment(user_classes=[Shopper], available_user_classes=dict(SHOP_CLASSES)),
    ]
    workers = [
        env.create_worker_runner(transport=network.client(f"host{i}_w"), clock=clock)
        for i, env in enumerate(worker_envs)
    ]
    seen: list[list[dict[str, int]]] = []

    def on_spawned(user_count: int) -> None:
        seen.append([worker.user_classes_count for worker in workers])
        spawned.set()

    master_env.events.spawning_complete.add_listener(on_spawned)
    try:
        with gevent.Timeout(LIMIT_S):
            for worker in workers:
                worker.wait_for_master()
        master.shape_tick_interval = 0.0
        master.start_shape()
        master.greenlet.join(timeout=LIMIT_S)
        assert len(master.greenlet) == 0, "the shape's None should have ended the master"
    finally:
        for worker in workers:
            worker.user_greenlets.kill(block=True)
            worker.greenlet.kill(block=True)
            logging.getLogger().removeHandler(worker.log_buffer)
        master.greenlet.kill(block=True)
    assert seen == [[{"Shopper": 2}, {"Shopper": 2}], [{"Browser": 2}, {"Browser": 2}]]
    assert master.shape_user_classes == [Browser]
