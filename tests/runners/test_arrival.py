"""The open model in one process: a pool of users runs iterations on a schedule, drops what it
cannot run in time, corrects latencies for coordinated omission, and ends by itself."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import gevent
import pytest
from gevent.event import Event

from swarm.env import Environment
from swarm.runners.arrival import CorrectedTimes
from swarm.runners.local import LocalRunner
from swarm.runners.schedule import ArrivalPlan, ArrivalSchedule, RateCurve, RateStage
from swarm.stats import RequestStats
from swarm.user import TaskSet, User, constant, task

LIMIT_S = 10  # a safety net for joins: a broken runner fails the test instead of hanging it

journal: list[tuple[str, int]] = []
gate = Event()


class Pooled(User):
    """Records its on_start and each task, by user; a task waits at the gate while it is shut."""

    wait_time = None  # the open model has no wait time: a missing one must not matter

    def on_start(self) -> None:
        journal.append(("start", id(self)))

    @task
    def work(self) -> None:
        journal.append(("task", id(self)))
        gate.wait()


class Closed(Pooled):
    wait_time = constant(0)


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    journal.clear()
    gate.set()
    yield
    gate.set()


def arrival_runner(plan: ArrivalPlan) -> tuple[Environment, LocalRunner]:
    env = Environment(user_classes=[Pooled])
    runner = env.create_local_runner()
    runner.start_arrival(plan)
    return env, runner


def finish(runner: LocalRunner) -> None:
    runner.greenlet.join(timeout=LIMIT_S)
    assert len(runner.greenlet) == 0, "the end of the schedule should have ended the runner"


def tasks() -> list[int]:
    return [who for what, who in journal if what == "task"]


def test_iterations_run_one_task_each_and_a_limit_ends_the_test() -> None:
    env, runner = arrival_runner(ArrivalPlan(RateCurve(2000), max_users=5, iterations=40))
    finish(runner)
    assert len(tasks()) == 40
    assert (env.stats.iterations, env.stats.dropped_iterations) == (40, 0)


def test_the_pool_is_started_before_the_first_iteration() -> None:
    ready: list[int] = []
    env = Environment(user_classes=[Pooled])

    def on_spawning_complete(user_count: int) -> None:
        ready.append(user_count)

    env.events.spawning_complete.add_listener(on_spawning_complete)
    runner = env.create_local_runner()
    runner.start_arrival(ArrivalPlan(RateCurve(2000), max_users=4, iterations=10))
    finish(runner)
    assert ready == [4]
    starts = [i for i, (what, _) in enumerate(journal) if what == "start"]
    assert len(starts) == 4
    assert max(starts) < min(i for i, (what, _) in enumerate(journal) if what == "task")


def test_stages_end_the_test_after_the_last_one() -> None:
    curve = RateCurve(0, [RateStage(0.05, 400), RateStage(0.05, 400)])
    env, runner = arrival_runner(ArrivalPlan(curve, max_users=3))
    finish(runner)
    expected = len(ArrivalSchedule(curve).take_due(curve.end or 0))
    assert env.stats.iterations + env.stats.dropped_iterations == expected
    assert len(tasks()) == env.stats.iterations


def test_iterations_that_find_no_free_user_in_time_are_dropped_and_counted() -> None:
    gate.clear()  # the first iteration holds the only user until the schedule is over
    plan = ArrivalPlan(RateCurve(1000), max_users=1, max_lateness=0, iterations=20)
    env, runner = arrival_runner(plan)
    assert runner.arrival is not None
    runner.arrival.schedule_over.wait(timeout=LIMIT_S)
    gate.set()
    finish(runner)
    assert len(tasks()) == 1
    assert (env.stats.iterations, env.stats.dropped_iterations) == (1, 19)


def test_the_pool_grows_up_to_max_users_while_iterations_wait() -> None:
    gate.clear()  # every iteration holds its user: each needs a user of its own
    plan = ArrivalPlan(
        RateCurve(1000), max_users=3, pre_allocated_users=1, max_lateness=LIMIT_S, iterations=5
    )
    env, runner = arrival_runner(plan)
    assert runner.arrival is not None
    runner.arrival.schedule_over.wait(timeout=LIMIT_S)
    assert runner.user_count == 3
    gate.set()
    finish(runner)
    assert len(set(tasks())) == 3
    assert (env.stats.iterations, env.stats.dropped_iterations) == (5, 0)


def test_a_stop_puts_the_plain_request_listener_back() -> None:
    gate.clear()
    env, runner = arrival_runner(ArrivalPlan(RateCurve(100), max_users=2))
    assert env.stats.service is not None
    runner.stop()
    gate.set()
    fire(env, 12.0)
    assert env.stats.total.max_response_time == 12.0
    assert env.stats.service.num_requests == 0  # kept for the reports, no longer fed
    runner.quit()


def test_a_closed_test_after_an_arrival_rate_one_is_an_ordinary_test() -> None:
    env = Environment(user_classes=[Closed])
    env.create_local_runner()
    runner = env.runner
    assert isinstance(runner, LocalRunner)
    runner.start_arrival(ArrivalPlan(RateCurve(2000), max_users=2))
    runner.stop()
    runner.start(2, 1000)
    assert runner.arrival_plan is None and runner.arrival is None
    fire(env, 12.0)
    assert env.stats.service is None
    runner.quit()


def fire(env: Environment, response_time: float) -> None:
    env.events.request.fire(
        request_type="GET",
        name="/x",
        response_time=response_time,
        response_length=0,
        exception=None,
        context={},
    )


def test_a_late_iteration_s_requests_count_from_its_intended_start() -> None:
    stats = RequestStats()
    lateness = {gevent.getcurrent(): 250.0}
    recorder = CorrectedTimes(stats, lateness)
    recorder.on_request("GET", "/x", 10.0, 0)
    assert stats.total.max_response_time == 260.0
    assert stats.service is not None
    assert stats.service.total.max_response_time == 10.0
    # a request from another greenlet (not a pooled user's) is not corrected
    gevent.spawn(recorder.on_request, "GET", "/x", 20.0, 0).join()
    assert stats.entries[("/x", "GET")].histogram.count == 2
    assert stats.service.entries[("/x", "GET")].max_response_time == 20.0


def test_failures_are_counted_once_in_the_corrected_statistics() -> None:
    stats = RequestStats()
    recorder = CorrectedTimes(stats, {})
    recorder.on_request("GET", "/x", 10.0, 0, exception=RuntimeError("boom"))
    assert stats.num_failures == 1
    assert stats.service is not None and stats.service.num_failures == 0


def test_the_closed_model_s_iteration_limit_holds_across_users() -> None:
    env = Environment(user_classes=[Closed])
    runner = env.create_local_runner()
    runner.iteration_limit = 25
    runner.start(4, 1000)
    finish(runner)
    assert len(tasks()) == 25
    assert len(set(tasks())) == 4
    assert env.stats.iterations == 25


class Failing(User):
    """A user whose on_start always fails: it never joins the pool."""

    def on_start(self) -> None:
        journal.append(("start", id(self)))
        raise RuntimeError("cannot log in")

    @task
    def work(self) -> None:
        journal.append(("task", id(self)))


def test_users_whose_on_start_fails_are_not_replaced_beyond_max_users() -> None:
    env = Environment(user_classes=[Failing])
    runner = env.create_local_runner()
    runner.start_arrival(
        ArrivalPlan(RateCurve(1000), max_users=3, pre_allocated_users=1, max_lateness=0,
                    iterations=30)
    )  # fmt: skip
    finish(runner)
    assert len([what for what, _ in journal if what == "start"]) == 3
    assert tasks() == []
    assert (env.stats.iterations, env.stats.dropped_iterations) == (0, 30)


class Browsing(TaskSet):
    @task
    def look(self) -> None:
        journal.append(("task", id(self.user)))
        self.interrupt()  # back to the parent at once: Locust's default


class Nested(User):
    tasks: ClassVar[list[Any]] = [Browsing]


def test_a_nested_task_set_s_interrupt_ends_its_iteration() -> None:
    env = Environment(user_classes=[Nested])
    runner = env.create_local_runner()
    runner.start_arrival(ArrivalPlan(RateCurve(1000), max_users=2, iterations=20))
    finish(runner)
    assert len(tasks()) == 20 == env.stats.iterations


def test_iterations_waiting_when_the_test_stops_are_counted_as_dropped() -> None:
    gate.clear()  # the first iteration holds the only user; the other four wait for it
    plan = ArrivalPlan(RateCurve(1000), max_users=1, max_lateness=LIMIT_S, iterations=5)
    env, runner = arrival_runner(plan)
    assert runner.arrival is not None
    runner.arrival.schedule_over.wait(timeout=LIMIT_S)
    runner.stop()
    assert (env.stats.iterations, env.stats.dropped_iterations) == (1, 4)
    runner.quit()


def test_the_statistics_keep_their_place_among_the_request_listeners() -> None:
    """A listener added before the run still runs after the statistics, during and after it
    (one that raises would otherwise cut them off)."""
    env = Environment(user_classes=[Pooled])
    order: list[str] = []
    env.events.request.add_listener(lambda **kw: order.append("mine"))
    runner = env.create_local_runner()
    runner.start_arrival(ArrivalPlan(RateCurve(100), max_users=1))
    fire(env, 5.0)
    runner.stop()
    fire(env, 6.0)
    names = [getattr(listener, "__name__", "") for listener, _ in env.events.request._listeners]
    assert names[0] == "on_request"
    assert env.stats.num_requests == 2 and order == ["mine", "mine"]
    runner.quit()
