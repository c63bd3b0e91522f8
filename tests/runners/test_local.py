"""The local runner driving real users in greenlets (no sleeping: users block on events)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import gevent
import pytest
from gevent import GreenletExit
from gevent.event import Event

from swarm.env import Environment
from swarm.exceptions import StopTest, StopUser
from swarm.runners import STATE_RUNNING, STATE_STOPPED
from swarm.user import User, constant, task

#: A safety net for joins: a broken runner fails the test instead of hanging it.
LIMIT_S = 10

started: list[User] = []
stopped: list[User] = []
gate = Event()


class Waiter(User):
    """Blocks in its task until the gate opens; records its start and stop."""

    wait_time = constant(0)
    weight = 3

    def on_start(self) -> None:
        started.append(self)

    def on_stop(self) -> None:
        stopped.append(self)

    @task
    def block(self) -> None:
        gate.wait()
        raise StopUser()


class OtherWaiter(Waiter):
    weight = 1


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    started.clear()
    stopped.clear()
    gate.clear()
    yield
    gate.set()


def make_runner(*classes: type[User], **kwargs: object):
    env = Environment(user_classes=list(classes or (Waiter, OtherWaiter)), **kwargs)  # type: ignore[arg-type] -- test kwargs
    return env, env.create_local_runner()


def settle() -> None:
    """Let every ready greenlet run once (spawned users reach on_start)."""
    gevent.sleep(0)
    gevent.sleep(0)


def test_start_spawns_users_by_weight_and_fires_events() -> None:
    env, runner = make_runner()
    fired: list[tuple[str, object]] = []
    env.events.test_start.add_listener(lambda environment: fired.append(("start", environment)))
    env.events.spawning_complete.add_listener(lambda user_count: fired.append(("done", user_count)))
    runner.start(8, spawn_rate=1000, wait=True)
    settle()
    assert runner.user_count == 8
    assert runner.user_classes_count == {"Waiter": 6, "OtherWaiter": 2}
    assert runner.state == STATE_RUNNING
    assert fired == [("start", env), ("done", 8)]
    assert len(started) == 8
    runner.quit()


def test_ramp_down_stops_the_newest_users_first() -> None:
    _, runner = make_runner(Waiter)
    runner.start(6, spawn_rate=1000, wait=True)
    settle()
    first = list(started)
    runner.start(2, spawn_rate=1000, wait=True)
    settle()
    assert runner.user_count == 2
    assert set(stopped) == set(first[2:])
    assert runner.user_classes_count == {"Waiter": 2}
    runner.quit()


def test_second_start_changes_the_target_without_a_new_test() -> None:
    env, runner = make_runner(Waiter)
    starts = []
    env.events.test_start.add_listener(lambda environment: starts.append(1))
    runner.start(2, spawn_rate=1000, wait=True)
    runner.start(5, spawn_rate=1000, wait=True)
    assert runner.user_count == 5
    assert starts == [1]
    runner.quit()


def test_stop_ends_every_user_runs_on_stop_and_fires_events() -> None:
    env, runner = make_runner(Waiter)
    fired: list[str] = []
    env.events.test_stopping.add_listener(lambda environment: fired.append("stopping"))
    env.events.test_stop.add_listener(lambda environment: fired.append("stop"))
    runner.start(4, spawn_rate=1000, wait=True)
    settle()
    runner.stop()
    assert runner.state == STATE_STOPPED
    assert runner.user_count == 0
    assert len(stopped) == 4
    assert fired == ["stopping", "stop"]
    runner.quit()


def test_graceful_stop_lets_a_running_task_finish_within_stop_timeout() -> None:
    finished: list[int] = []

    class Slowpoke(User):
        wait_time = constant(0)

        @task
        def work(self) -> None:
            gate.wait()
            finished.append(1)
            raise StopUser()

    _, runner = make_runner(Slowpoke, stop_timeout=LIMIT_S)
    runner.start(1, spawn_rate=1000, wait=True)
    settle()
    stopper = gevent.spawn(runner.stop)
    settle()
    assert not stopper.dead and finished == []  # stop waits for the task to finish
    gate.set()
    stopper.join(timeout=LIMIT_S)
    assert finished == [1]
    runner.quit()


def test_quit_lets_runner_greenlet_join_return() -> None:
    _, runner = make_runner(Waiter)
    runner.start(2, spawn_rate=1000, wait=True)
    gevent.spawn(runner.quit)
    runner.greenlet.join(timeout=LIMIT_S)
    assert len(runner.greenlet) == 0
    assert runner.state == STATE_STOPPED


def test_exception_in_a_task_is_counted_in_the_exceptions_table() -> None:
    calls: list[int] = []

    class Buggy(User):
        wait_time = constant(0)

        @task
        def oops(self) -> None:
            calls.append(1)
            if len(calls) > 2:
                gate.wait()
            raise KeyError("missing")

    env, runner = make_runner(Buggy)
    runner.start(1, spawn_rate=1000, wait=True)
    for _ in range(10):
        settle()
    (entry,) = env.stats.exceptions.values()
    assert entry["count"] == 2
    assert "KeyError" in entry["msg"]
    assert "oops" in entry["traceback"]
    runner.quit()


def test_stop_test_raised_by_a_user_quits_the_runner() -> None:
    class Quitter(User):
        wait_time = constant(0)

        @task
        def enough(self) -> None:
            raise StopTest()

    _, runner = make_runner(Quitter)
    runner.start(1, spawn_rate=1000)
    runner.greenlet.join(timeout=LIMIT_S)
    assert runner.state == STATE_STOPPED
    assert len(runner.greenlet) == 0


def test_stop_test_with_a_web_ui_stops_the_test_and_keeps_the_runner() -> None:
    class Quitter(User):
        wait_time = constant(0)

        @task
        def enough(self) -> None:
            raise StopTest()

    env, runner = make_runner(Quitter)
    env.web_ui = object()  # any UI: the user starts the next test from it
    stopped_test = Event()
    env.events.test_stop.add_listener(lambda environment: stopped_test.set())
    runner.start(1, spawn_rate=1000)
    assert stopped_test.wait(timeout=LIMIT_S)
    assert runner.state == STATE_STOPPED
    assert len(runner.greenlet) > 0  # still there for the next test
    runner.quit()


def test_invalid_start_arguments() -> None:
    _, runner = make_runner(Waiter)
    with pytest.raises(ValueError, match="user_count"):
        runner.start(-1, spawn_rate=1)
    with pytest.raises(ValueError, match="spawn_rate"):
        runner.start(1, spawn_rate=0)
    runner.quit()


def test_requests_reach_the_environment_stats() -> None:
    env, runner = make_runner(Waiter)
    env.events.request.fire(
        request_type="GET",
        name="/x",
        response_time=12.0,
        response_length=3,
        response=None,
        context={},
        exception=None,
        start_time=0.0,
        url="http://127.0.0.1/x",
    )
    assert runner.stats.get("/x", "GET").num_requests == 1
    assert runner.stats.total.num_requests == 1
    runner.quit()


class Busy(User):
    """Fires one request per task, back to back, yielding to the hub in between."""

    wait_time = constant(0)

    @task
    def fire(self) -> None:
        self.environment.events.request.fire(
            request_type="GET",
            name="/busy",
            response_time=1.0,
            response_length=0,
            response=None,
            context={},
            exception=None,
            start_time=0.0,
            url=None,
        )


def test_stopping_many_busy_users_takes_one_round_not_one_per_user() -> None:
    env, runner = make_runner(Busy)
    runner.start(100, spawn_rate=100_000, wait=True)
    settle()
    before = env.stats.total.num_requests
    runner.stop()
    # every user may finish the task it is in, but none may start many more
    assert env.stats.total.num_requests - before <= 100
    assert runner.user_count == 0
    runner.quit()


def test_quit_called_from_a_task_ends_the_test() -> None:
    class SelfQuitter(User):
        wait_time = constant(0)

        @task
        def enough(self) -> None:
            self.environment.runner.quit()
            gate.wait()  # the runner's quit, in its own greenlet, ends this user

    _, runner = make_runner(SelfQuitter)
    runner.start(2, spawn_rate=1000)
    runner.greenlet.join(timeout=LIMIT_S)
    assert len(runner.greenlet) == 0
    assert runner.state == STATE_STOPPED
    assert runner.user_count == 0


#: Rounds of the concurrent-quit test: which quit kills which greenlet first follows the
#: iteration order of the runner's group (by address), so one round may miss a regression.
QUIT_RACE_ROUNDS = 20


def test_a_quit_called_during_another_waits_for_it_instead_of_cutting_it_short() -> None:
    class Slow(User):
        wait_time = constant(0)

        @task
        def work(self) -> None:
            gate.wait()
            raise StopUser()

    for _ in range(QUIT_RACE_ROUNDS):
        gate.clear()
        _, runner = make_runner(Slow, stop_timeout=LIMIT_S)
        runner.start(1, spawn_rate=1000, wait=True)
        settle()
        # two quits at once from the runner's own greenlets, as when two users raise StopTest
        first = runner.spawn_in_background(runner.quit)
        settle()
        second = runner.spawn_in_background(runner.quit)
        outside = gevent.spawn(runner.quit)
        settle()
        assert not outside.dead  # it returns only once the runner has ended
        gate.set()
        outside.join(timeout=LIMIT_S)
        assert outside.dead
        assert len(runner.greenlet) == 0
        assert first.successful() and not isinstance(first.value, GreenletExit)
        assert second.dead


def test_a_second_stop_waits_for_the_first_to_finish() -> None:
    class Slow(User):
        wait_time = constant(0)

        @task
        def work(self) -> None:
            gate.wait()
            raise StopUser()

    _, runner = make_runner(Slow, stop_timeout=LIMIT_S)
    runner.start(1, spawn_rate=1000, wait=True)
    settle()
    first = gevent.spawn(runner.stop)
    settle()
    second = gevent.spawn(runner.stop)
    settle()
    assert not first.dead and not second.dead  # both wait for the running task
    gate.set()
    gevent.joinall([first, second], timeout=LIMIT_S)
    assert first.dead and second.dead
    assert runner.state == STATE_STOPPED
    runner.quit()


def test_the_heap_is_frozen_while_the_users_run_and_thawed_after() -> None:
    _, runner = make_runner(Waiter)
    runner.start(3, spawn_rate=1000, wait=True)
    settle()
    assert gc.get_freeze_count() > 0  # the spawned users are out of the collector's sight
    runner.stop()
    assert gc.get_freeze_count() == 0
    runner.quit()
