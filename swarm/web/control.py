"""Starting, changing and stopping a test from the web UI (or ``--autostart``).

:class:`TestControl` is what ``POST /swarm`` and ``POST /stop`` call. It applies a valid
:class:`~swarm.web.form.SwarmRequest` to the environment and runner (host, user classes,
users, spawn rate) and keeps the run-time timer: a test started with a run time stops by
itself when it expires, a ``/swarm`` with a new run time replaces the timer (one changing only
users or rate keeps it), ``/stop`` cancels it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import gevent

from swarm.exceptions import StopTest
from swarm.protocols.http import HttpUser
from swarm.runners.base import STATE_INIT, STATE_STOPPED
from swarm.runners.master import MasterRunner
from swarm.web.form import FormError, SwarmRequest

if TYPE_CHECKING:
    from swarm.env import Environment
    from swarm.runners.base import Runner

logger = logging.getLogger(__name__)


class NotStartable(Exception):
    """The test cannot start now (no worker connected, say); the message says why."""


class TestControl:
    """Start/stop of the environment's runner on behalf of the web UI."""

    def __init__(self, environment: Environment, clock: Callable[[], float] = time.monotonic):
        self.environment = environment
        self.clock = clock
        self._timer: gevent.Greenlet | None = None
        self._deadline: float | None = None

    @property
    def runner(self) -> Runner:
        runner = self.environment.runner
        if runner is None:
            raise NotStartable("this environment has no runner")
        return runner

    def start(self, wanted: SwarmRequest) -> str:
        """Start a test, or change the running one; returns what was done, in words.

        FormError when the request cannot apply (no host for an HttpUser); NotStartable when
        the runner cannot start (a master without workers).
        """
        runner = self.runner
        idle = runner.state in (STATE_INIT, STATE_STOPPED)
        if isinstance(runner, MasterRunner) and not runner.worker_count:
            raise NotStartable("no worker is connected yet: start workers, then try again")
        if wanted.user_classes and idle:
            self._select_classes(wanted.user_classes, wanted.weights)
        # Set again even when unchanged: the setter points newly selected classes at it.
        self.environment.host = wanted.host or self.environment.host
        self._check_host()
        if idle or wanted.run_time:
            # a new test, or a new run time; an edit of users or rate keeps the deadline
            self.cancel_timer()
        try:
            runner.start(wanted.user_count, wanted.spawn_rate)
        except StopTest:
            runner.stop()
            raise NotStartable("StopTest was raised while the test was starting") from None
        if wanted.run_time:
            self._deadline = self.clock() + wanted.run_time
            self._timer = gevent.spawn_later(wanted.run_time, self._time_is_up, wanted.run_time)
        verb = "Swarming started" if idle else "Test changed"
        return f"{verb}: {wanted.user_count} users at {wanted.spawn_rate:g}/s"

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

    def _select_classes(self, names: tuple[str, ...], weights: dict[str, int]) -> None:
        available = self.environment.available_user_classes
        self.environment.user_classes[:] = [available[name] for name in names]
        for name, weight in weights.items():
            available[name].weight = weight

    def _check_host(self) -> None:
        for cls in self.environment.user_classes:
            if issubclass(cls, HttpUser) and not (cls.host or self.environment.host):
                raise FormError({"host": f"is required: {cls.__name__} is an HttpUser"})
