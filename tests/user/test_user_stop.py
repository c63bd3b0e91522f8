"""start() and stop(force) with a real gevent Group.

The tests synchronise with gevent events, never with time: a user greenlet runs until it
blocks (in a task on an event, or in its wait), and only then does the test go on.
"""

from __future__ import annotations

import gevent
from gevent.event import Event
from gevent.pool import Group

from swarm.exceptions import StopTest
from swarm.user import User, constant, task


def make_user(environment, *, wait=1000.0):
    """A user whose task signals when it starts and blocks until released."""

    class Blocking(User):
        wait_time = constant(wait)

        def on_start(self):
            self.log = ["start"]
            self.in_task = Event()
            self.release = Event()

        @task
        def work(self):
            self.log.append("task")
            self.in_task.set()
            self.release.wait()
            self.log.append("task done")

        def on_stop(self):
            self.log.append("stop")

    return Blocking(environment)


def started(user, group):
    greenlet = user.start(group)
    gevent.sleep(0)  # let the user's greenlet run until it blocks
    return greenlet


def test_start_spawns_the_user_in_the_group(environment):
    group = Group()
    user = make_user(environment)
    greenlet = user.start(group)
    assert greenlet in group
    assert user.greenlet is greenlet
    assert user.group is group
    assert greenlet.args[0] is user
    user.stop(force=True)


def test_a_user_running_a_task_finishes_it_then_stops(environment):
    group = Group()
    user = make_user(environment)
    greenlet = started(user, group)
    assert user.in_task.is_set()

    assert user.stop() is False
    assert not greenlet.dead
    user.release.set()
    greenlet.join(timeout=5)

    assert greenlet.dead
    assert user.log == ["start", "task", "task done", "stop"]


def test_a_waiting_user_stops_at_once(environment):
    group = Group()
    user = make_user(environment)
    greenlet = started(user, group)
    user.release.set()
    gevent.sleep(0)  # the task ends and the user starts its 1000 s wait
    assert user.log[-1] == "task done"

    assert user.stop() is True
    greenlet.join(timeout=5)  # the kill is delivered on the next round of the hub
    assert greenlet.dead
    assert user.log == ["start", "task", "task done", "stop"]


def test_force_kills_a_user_inside_its_task_and_on_stop_still_runs(environment):
    group = Group()
    user = make_user(environment)
    greenlet = started(user, group)

    assert user.stop(force=True) is True
    greenlet.join(timeout=5)
    assert greenlet.dead
    assert user.log == ["start", "task", "stop"]


def test_a_user_not_yet_running_stops_at_once_without_on_start(environment):
    group = Group()
    user = make_user(environment)
    greenlet = user.start(group)

    assert user.stop() is True
    greenlet.join(timeout=5)
    assert greenlet.dead
    assert not hasattr(user, "log")


def test_stopping_a_user_that_was_never_started_or_has_ended(environment):
    user = make_user(environment)
    assert user.stop() is True

    group = Group()
    user = make_user(environment)
    greenlet = started(user, group)
    user.stop(force=True)
    greenlet.join(timeout=5)
    assert user.stop() is True
    assert greenlet.dead


def test_a_second_graceful_stop_does_not_kill_the_user(environment):
    group = Group()
    user = make_user(environment)
    greenlet = started(user, group)
    assert user.stop() is False
    assert user.stop() is False
    user.release.set()
    greenlet.join(timeout=5)
    assert user.log == ["start", "task", "task done", "stop"]


def test_a_task_that_calls_wait_can_be_stopped_there(environment):
    class Patient(User):
        wait_time = constant(1000)

        def on_start(self):
            self.log = []

        @task
        def work(self):
            self.log.append("before")
            self.wait()
            self.log.append("after")

        def on_stop(self):
            self.log.append("stop")

    group = Group()
    user = Patient(environment)
    greenlet = started(user, group)
    assert user.stop() is True
    greenlet.join(timeout=5)
    assert greenlet.dead
    assert user.log == ["before", "stop"]


def test_stop_test_ends_the_greenlet_with_it_for_the_runner_to_see(environment):
    class Quitter(User):
        @task
        def work(self):
            raise StopTest("target is down")

    greenlet = Quitter(environment).start(Group())
    greenlet.join(timeout=5)
    assert isinstance(greenlet.exception, StopTest)
