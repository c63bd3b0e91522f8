"""The task loop: on_start/on_stop, control-flow signals, nested TaskSets, errors.

Users run in the test's own greenlet (``user.run()``) and end by raising StopUser from a task;
the ``sleeps`` fixture replaces the loop's sleep, so nothing here waits for real.
"""

from __future__ import annotations

import logging
from collections import Counter

import pytest
from gevent.pool import Group

from swarm.exceptions import (
    InterruptTaskSet,
    RescheduleTask,
    RescheduleTaskImmediately,
    StopTest,
    StopUser,
    SwarmError,
    UserfileError,
)
from swarm.user import TaskSet, User, constant, task


def test_on_start_tasks_on_stop_in_order(environment, sleeps):
    log = []

    class MyUser(User):
        def on_start(self):
            log.append("start")

        @task
        def work(self):
            log.append("task")
            if log.count("task") == 3:
                raise StopUser

        def on_stop(self):
            log.append("stop")

    MyUser(environment).run()
    assert log == ["start", "task", "task", "task", "stop"]
    assert sleeps == [0, 0]


def test_user_tasks_get_the_user_and_taskset_tasks_get_the_taskset(environment, sleeps):
    seen = []

    def plain(owner):
        seen.append(owner)
        raise StopUser

    class Inner(TaskSet):
        tasks = [plain]

    class MyUser(User):
        tasks = [Inner]

    user = MyUser(environment)
    user.run()
    [inner] = seen
    assert isinstance(inner, Inner)
    assert inner.user is user
    assert inner.parent is user

    seen.clear()

    class Direct(User):
        tasks = [plain]

    direct = Direct(environment)
    direct.run()
    assert seen == [direct]


def test_the_loop_follows_the_weights(environment, sleeps):
    counts = Counter()

    def heavy(user):
        counts["heavy"] += 1
        if counts.total() == 4000:
            raise StopUser

    def light(user):
        counts["light"] += 1
        if counts.total() == 4000:
            raise StopUser

    class MyUser(User):
        tasks = {heavy: 3, light: 1}

    MyUser(environment).run()
    # 75% expected; the standard deviation of the share is about 0.7%.
    assert 0.70 < counts["heavy"] / 4000 < 0.80


def test_reschedule_task_waits_and_reschedule_immediately_does_not(environment, sleeps):
    calls = []

    class MyUser(User):
        wait_time = constant(5)

        @task
        def work(self):
            calls.append(len(calls))
            signals = [RescheduleTask, RescheduleTaskImmediately, StopUser]
            raise signals[len(calls) - 1]

    MyUser(environment).run()
    assert calls == [0, 1, 2]
    assert sleeps == [5]


def test_stop_user_from_on_start_still_runs_on_stop(environment, sleeps):
    log = []

    class MyUser(User):
        def on_start(self):
            raise StopUser

        @task
        def work(self):
            log.append("task")

        def on_stop(self):
            log.append("stop")

    MyUser(environment).run()
    assert log == ["stop"]


def test_a_failing_task_fires_user_error_and_the_loop_goes_on(
    environment, sleeps, user_errors, caplog
):
    calls = []

    class MyUser(User):
        wait_time = constant(2)

        @task
        def work(self):
            calls.append(1)
            if len(calls) == 1:
                raise ValueError("boom")
            raise StopUser

    user = MyUser(environment)
    with caplog.at_level(logging.ERROR):
        user.run()
    assert len(calls) == 2
    [error] = user_errors
    assert error["user_instance"] is user
    assert isinstance(error["exception"], ValueError)
    assert error["tb"] is error["exception"].__traceback__
    assert "boom" in caplog.text
    assert sleeps == [2]  # the wait after the failure


def test_without_catch_exceptions_a_failing_task_propagates(environment, sleeps, user_errors):
    environment.catch_exceptions = False

    class MyUser(User):
        @task
        def work(self):
            raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        MyUser(environment).run()
    assert len(user_errors) == 1


def test_stop_test_propagates_after_on_stop_and_is_not_an_error(environment, sleeps, user_errors):
    log = []

    class MyUser(User):
        @task
        def work(self):
            raise StopTest("enough")

        def on_stop(self):
            log.append("stop")

    with pytest.raises(StopTest):
        MyUser(environment).run()
    assert log == ["stop"]
    assert user_errors == []


def test_failing_on_start_ends_the_user_without_tasks(environment, sleeps, user_errors):
    log = []

    class MyUser(User):
        def on_start(self):
            raise ConnectionError("login failed")

        @task
        def work(self):
            log.append("task")

        def on_stop(self):
            log.append("stop")

    MyUser(environment).run()
    assert log == []
    assert [type(e["exception"]) for e in user_errors] == [ConnectionError]


def test_a_user_without_tasks_reports_it_once(environment, user_errors):
    class Empty(User):
        task = "oops"  # the classic typo

    Empty(environment).run()
    [error] = user_errors
    assert isinstance(error["exception"], UserfileError)
    assert "Empty has no tasks" in str(error["exception"])
    assert "did you mean 'tasks'" in str(error["exception"])


def test_a_user_without_tasks_raises_without_catch_exceptions(environment):
    environment.catch_exceptions = False

    class Empty(User):
        pass

    with pytest.raises(UserfileError, match="Empty"):
        Empty(environment).run()


def test_a_failing_on_stop_is_reported(environment, sleeps, user_errors):
    class MyUser(User):
        @task
        def work(self):
            raise StopUser

        def on_stop(self):
            raise RuntimeError("cleanup failed")

    MyUser(environment).run()
    assert [str(e["exception"]) for e in user_errors] == ["cleanup failed"]


def test_interrupt_in_a_users_own_task_is_an_error(environment, sleeps, user_errors):
    calls = []

    class MyUser(User):
        @task
        def work(self):
            calls.append(1)
            if len(calls) == 1:
                raise InterruptTaskSet
            raise StopUser

    MyUser(environment).run()
    assert len(calls) == 2
    [error] = user_errors
    assert isinstance(error["exception"], SwarmError)
    assert "only a task of a TaskSet" in str(error["exception"])


@pytest.mark.parametrize(("reschedule", "parent_waits"), [(True, []), (False, [1, 1])])
def test_interrupt_leaves_a_nested_taskset_and_the_parent_goes_on(
    environment, sleeps, reschedule, parent_waits
):
    log = []

    class Forum(TaskSet):
        def on_start(self):
            log.append("enter")
            if log.count("enter") == 3:
                raise StopUser

        @task
        def read(self):
            log.append("read")
            self.interrupt(reschedule=reschedule)

        def on_stop(self):
            log.append("leave")

    class MyUser(User):
        wait_time = constant(1)
        tasks = [Forum]

    MyUser(environment).run()
    assert log == ["enter", "read", "leave", "enter", "read", "leave", "enter"]
    assert sleeps == parent_waits


def test_a_nested_taskset_waits_as_the_user_unless_it_sets_its_own_wait(environment, sleeps):
    class Inherits(TaskSet):
        @task
        def step(self):
            if len(sleeps) == 2:
                self.interrupt()

    class Own(TaskSet):
        wait_time = constant(7)

        @task
        def step(self):
            if len(sleeps) == 4:
                raise StopUser

    class MyUser(User):
        wait_time = constant(3)
        tasks = [Inherits, Own]

    order = iter([Inherits, Own])

    class Steered(MyUser):
        def on_start(self):
            self._taskset_instance.get_next_task = lambda: next(order)

    Steered(environment).run()
    assert sleeps == [3, 3, 7, 7]


def test_stop_user_in_a_nested_taskset_runs_every_on_stop_inside_out(environment, sleeps):
    log = []

    class Inner(TaskSet):
        @task
        def work(self):
            raise StopUser

        def on_stop(self):
            log.append("inner")

    class Outer(TaskSet):
        tasks = [Inner]

        def on_stop(self):
            log.append("outer")

    class MyUser(User):
        tasks = [Outer]

        def on_stop(self):
            log.append("user")

    MyUser(environment).run()
    assert log == ["inner", "outer", "user"]


def test_interrupt_from_on_start_returns_to_the_parent_at_once(environment, sleeps):
    entered = []

    class Closed(TaskSet):
        def on_start(self):
            entered.append(1)
            if len(entered) == 2:
                raise StopUser
            self.interrupt()

        @task
        def never(self):
            raise AssertionError("the set was interrupted before its first task")

    class MyUser(User):
        wait_time = constant(1)
        tasks = [Closed]

    MyUser(environment).run()
    assert len(entered) == 2
    assert sleeps == []


def test_a_failing_task_in_a_nested_taskset_is_reported_and_the_set_goes_on(
    environment, sleeps, user_errors
):
    calls = []

    class Inner(TaskSet):
        @task
        def work(self):
            calls.append(1)
            if len(calls) == 1:
                raise KeyError("missing")
            raise StopUser

    class MyUser(User):
        tasks = [Inner]

    user = MyUser(environment)
    user.run()
    assert len(calls) == 2
    assert [e["user_instance"] for e in user_errors] == [user]


def test_scheduled_tasks_run_before_a_new_pick(environment, sleeps):
    log = []

    class Steps(TaskSet):
        @task
        def first(self):
            log.append("first")
            if len(log) > 1:
                raise StopUser
            self.schedule_task(self.third)
            self.schedule_task(self.second, first=True)

        def second(self):
            log.append("second")

        def third(self):
            log.append("third")

    class MyUser(User):
        tasks = [Steps]

    MyUser(environment).run()
    assert log == ["first", "second", "third", "first"]


def test_taskset_client_is_the_users_client(environment, sleeps):
    seen = []

    class Inner(TaskSet):
        @task
        def work(self):
            seen.append(self.client)
            raise StopUser

    class ClientUser(User):
        tasks = [Inner]

        def __init__(self, environment):
            super().__init__(environment)
            self.client = object()

    user = ClientUser(environment)
    user.run()
    assert seen == [user.client]


def test_wait_inside_a_task_uses_the_wait_time(environment, sleeps):
    class MyUser(User):
        wait_time = constant(4)

        @task
        def work(self):
            self.wait()
            raise StopUser

    MyUser(environment).run()
    assert sleeps == [4]


def test_users_with_no_wait_still_take_turns(environment):
    log = []

    def make(name):
        class Busy(User):
            @task
            def work(self):
                log.append(name)
                if log.count(name) == 3:
                    raise StopUser

        return Busy(environment)

    group = Group()
    for user in (make("a"), make("b")):
        user.start(group)
    group.join(timeout=5)
    assert sorted(log) == ["a", "a", "a", "b", "b", "b"]
    # constant(0) still yields to other greenlets after each task.
    assert set(log[:2]) == {"a", "b"}
