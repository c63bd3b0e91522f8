"""Starting, changing and stopping a test from the web UI (or ``--autostart``).

:class:`TestControl` is what ``POST /swarm`` and ``POST /stop`` call. It applies a valid
:class:`~swarm.web.form.SwarmRequest` to the environment and runner (host, user classes,
users, spawn rate) and keeps the run-time timer: a test started with a run time stops by
itself when it expires, a ``/swarm`` with a new run time replaces the timer (one changing only
users or rate keeps it), ``/stop`` cancels it.

With a load shape (``environment.shape_class``) a start runs the shape from its beginning
(``runner.start_shape()``) and the form's users and rate are ignored; changing a running
shaped test is refused (:class:`ShapeRunning`): the shape owns the user count. Whatever stops
the test (Stop, the run time, the shape's None, ``StopTest``), the greenlet following the
shape is ended with it, so a stopped test stays stopped until the next start. An
``ArrivalRateShape`` (the open model) is started the same way, but the runner follows its
plan with no greenlet of the shape's (``runner.start_arrival``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import gevent

from swarm.exceptions import StopTest
from swarm.protocols.http import HttpUser
from swarm.runners.base import STATE_INIT, STATE_STOPPED
from swarm.runners.master import MasterRunner
from swarm.runners.schedule import arrival_plan_of
from swarm.web.form import FormError, SwarmRequest

if TYPE_CHECKING:
    from swarm.env import Environment
    from swarm.runners.base import Runner
    from swarm.runners.schedule import ArrivalPlan

logger = logging.getLogger(__name__)


class NotStartable(Exception):
    """The test cannot start now (no worker connected, say); the message says why."""


class ShapeRunning(NotStartable):
    """A load shape runs the test: its users and spawn rate cannot be changed by hand."""


def shape_name(environment: Environment) -> str | None:
    """The name of the environment's load shape (its class's), or None without one."""
    shape: Any = environment.shape_class
    return None if shape is None else type(shape).__name__


def shape_arrival_plan(environment: Environment) -> ArrivalPlan | None:
    """The plan of the environment's ``ArrivalRateShape`` (the open model), or None for a
    closed-model shape or none (told apart as ``Runner.start_shape`` does)."""
    return arrival_plan_of(environment.shape_class)


def shape_owner(environment: Environment) -> str | None:
    """What sets the users of a shaped test, in words: ``the load shape Ramp``, or ``the
    arrival rate 200/s (ArrivalRateShape)``; None without a shape."""
    name = shape_name(environment)
    if name is None:
        return None
    plan = shape_arrival_plan(environment)
    if plan is None:
        return f"the load shape {name}"
    return f"the arrival rate {plan.describe()} ({name})"


class TestControl:
    """Start/stop of the environment's runner on behalf of the web UI."""

    def __init__(self, environment: Environment, clock: Callable[[], float] = time.monotonic):
        self.environment = environment
        self.clock = clock
        self._timer: gevent.Greenlet | None = None
        self._deadline: float | None = None
        environment.events.test_stopping.add_listener(self._on_test_stopping)

    @property
    def runner(self) -> Runner:
        runner = self.environment.runner
        if runner is None:
            raise NotStartable("this environment has no runner")
        return runner

    def start(self, wanted: SwarmRequest) -> str:
        """Start a test, or change the running one; returns what was done, in words.

        FormError when the request cannot apply (no host for an HttpUser, no user count
        without a shape); NotStartable when the runner cannot start (a master without
        workers, a shape that ends at once), ShapeRunning when a load shape runs the test.
        """
        runner = self.runner
        idle = runner.state in (STATE_INIT, STATE_STOPPED)
        owner = shape_owner(self.environment)
        _refuse_if_busy(runner, idle, owner)
        users = None if owner is not None else _users_and_rate(wanted)
        if wanted.user_classes and idle:
            self._select_classes(wanted.user_classes, wanted.weights)
        # Set again even when unchanged: the setter points newly selected classes at it.
        self.environment.host = wanted.host or self.environment.host
        self._check_host()
        if idle or wanted.run_time:
            # a new test, or a new run time; an edit of users or rate keeps the deadline
            self.cancel_timer()
        self._launch(runner, users)
        if wanted.run_time:
            self._deadline = self.clock() + wanted.run_time
            self._timer = gevent.spawn_later(wanted.run_time, self._time_is_up, wanted.run_time)
        if users is None:
            return f"Swarming started with {owner}"
        verb = "Swarming started" if idle else "Test changed"
        return f"{verb}: {users[0]} users at {users[1]:g}/s"

    def _launch(self, runner: Runner, users: tuple[int, float] | None) -> None:
        """Ramp to ``users`` (count, rate), or run the load shape when None."""
        try:
            if users is None:
                self._start_shape(runner)
            else:
                runner.start(*users)
        except StopTest:
            runner.stop()
            raise NotStartable("StopTest was raised while the test was starting") from None

    def stop(self) -> None:
        """Stop the test (the runner stays, ready for the next one)."""
        self.cancel_timer()
        runner = self.environment.runner
        if runner is not None:
            runner.stop()

    def run_time_left(self) -> float | None:
        """Seconds until the run time stops the test, or None without one."""
        if self._deadline is None:
            return None
        return max(0.0, self._deadline - self.clock())

    def cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.kill(block=False)
        self._timer = None
        self._deadline = None

    def _time_is_up(self, seconds: float) -> None:
        self._timer = None
        self._deadline = None
        logger.info("Run time limit (%gs) reached: stopping the test", seconds)
        self.runner.stop()

    def _start_shape(self, runner: Runner) -> None:
        """Run the load shape; NotStartable when the test is not under way after it."""
        self._end_shape()  # one left from an earlier test must not tick beside the new one
        arrival = shape_arrival_plan(self.environment) is not None
        runner.start_shape()
        # start_shape() only spawns the shape's greenlet: one yield lets it ask tick() and start
        # the first ramp, so the reply and the next poll show the shaped test, not "ready".
        gevent.sleep(0)
        if runner.state not in (STATE_INIT, STATE_STOPPED):
            return
        if arrival:
            # No greenlet of the shape's here: shape_greenlet is None or an earlier test's.
            raise NotStartable(f"{shape_owner(self.environment)} did not start (see the log)")
        follower = runner.shape_greenlet
        if follower is not None and follower.dead:
            raise NotStartable(
                f"the load shape {shape_name(self.environment)} ended at once: its first "
                "tick() returned None or raised (see the log)"
            )

    def _on_test_stopping(self, environment: Environment) -> None:
        self._end_shape()

    def _end_shape(self) -> None:
        """Kill the greenlet following the load shape, unless it is the caller: a runner's
        stop() leaves it ticking, and its next change of target would start the test again."""
        runner = self.environment.runner
        follower = runner.shape_greenlet if runner is not None else None
        if follower is not None and follower is not gevent.getcurrent():
            follower.kill(block=True)

    def _select_classes(self, names: tuple[str, ...], weights: dict[str, int]) -> None:
        available = self.environment.available_user_classes
        self.environment.user_classes[:] = [available[name] for name in names]
        for name, weight in weights.items():
            available[name].weight = weight

    def _check_host(self) -> None:
        for cls in self.environment.user_classes:
            if issubclass(cls, HttpUser) and not (cls.host or self.environment.host):
                raise FormError({"host": f"is required: {cls.__name__} is an HttpUser"})


def _refuse_if_busy(runner: Runner, idle: bool, owner: str | None) -> None:
    """ShapeRunning when a shape (``owner``, in words) runs the test; NotStartable when a
    master has no worker."""
    if owner is not None and not idle:
        raise ShapeRunning(
            f"{owner} sets the users and spawn rate of the running test: stop it to start again"
        )
    if isinstance(runner, MasterRunner) and not runner.worker_count:
        raise NotStartable("no worker is connected yet: start workers, then try again")


def _users_and_rate(wanted: SwarmRequest) -> tuple[int, float]:
    """The user count and spawn rate a test without a shape needs; FormError when missing."""
    users, rate = wanted.user_count, wanted.spawn_rate
    if users is None or rate is None:
        given = (("user_count", users), ("spawn_rate", rate))
        raise FormError({name: "is required" for name, value in given if value is None})
    return users, rate
