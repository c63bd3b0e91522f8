"""The runner of a single process: it runs every user itself."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import gevent
from gevent.event import Event

from swarm.runners.arrival import ArrivalExecutor
from swarm.runners.base import (
    STATE_INIT,
    STATE_RUNNING,
    STATE_SPAWNING,
    STATE_STOPPED,
    STATE_STOPPING,
    Runner,
)
from swarm.runners.dispatch import UserClassSpec, UsersDispatcher, specs_from_classes
from swarm.runners.iterations import IterationBudget

if TYPE_CHECKING:
    from swarm.env import Environment
    from swarm.runners.schedule import ArrivalPlan
    from swarm.user import User

logger = logging.getLogger(__name__)

LOCAL_WORKER = "local"


class LocalRunner(Runner):
    """Spawns users in this process at the spawn rate, through the same dispatch as a master."""

    takes_shape_user_classes = True

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        self._dispatcher: UsersDispatcher | None = None
        self._dispatched: dict[str, int] = {}
        #: Set while no stop is in progress: a second stop() (or a quit()) waits on it.
        self._not_stopping = Event()
        self._not_stopping.set()
        #: The test's ``iteration_limit`` as a budget the users share (closed model), or None.
        self._budget: IterationBudget | None = None

    def start(
        self,
        user_count: int,
        spawn_rate: float,
        wait: bool = False,
        user_classes: list[type[User]] | None = None,
    ) -> None:
        """Ramp to ``user_count`` users at ``spawn_rate`` users/s; ramps down as well.

        Calling it again while a test runs changes the target from where the ramp is now.
        With ``wait``, return only when the ramp is complete. ``user_classes`` (from a load
        shape) replaces the classes the users are drawn from; the running users are
        redistributed over them at once.
        """
        if user_count < 0:
            raise ValueError(f"user_count must be 0 or more, not {user_count}")
        if spawn_rate <= 0:
            raise ValueError(f"spawn_rate must be above 0, not {spawn_rate}")
        if self._recorder is not None:
            raise ValueError("an arrival-rate run sets its own users: stop it first")
        if self.state in (STATE_INIT, STATE_STOPPED):
            self._begin_test()
        if self.spawning_greenlet is not None:
            self.spawning_greenlet.kill(block=True)
        self.target_user_count = user_count
        self.spawn_rate = spawn_rate
        self.state = STATE_SPAWNING
        if user_classes is not None:
            self.shape_user_classes = list(user_classes)
        specs = specs_from_classes(user_classes) if user_classes is not None else None
        self.spawning_greenlet = self.spawn_in_background(self._ramp, user_count, spawn_rate, specs)
        if wait:
            self.spawning_greenlet.join()

    def start_arrival(self, plan: ArrivalPlan) -> None:
        """Run the open model: iterations on ``plan``'s schedule, by a pool of users.

        The pre-allocated users start first (``spawning_complete`` fires once they have); the
        schedule's clock starts then. When the schedule is over and its last iterations have
        finished, the test ends as a load shape's does. See ``swarm.runners.arrival``.
        """
        if self.state not in (STATE_INIT, STATE_STOPPED):
            raise ValueError("a test is running: stop it before starting an arrival-rate run")
        self._begin_test()
        self._budget = None  # the schedule counts an arrival-rate run's iterations
        self.arrival_plan = plan
        executor = ArrivalExecutor(self, plan)
        self._record_arrival(executor)
        self.state = STATE_SPAWNING
        self.spawning_greenlet = self.spawn_in_background(self._run_arrival, executor)

    def _run_arrival(self, executor: ArrivalExecutor) -> None:
        executor.prepare()
        self.state = STATE_RUNNING
        logger.info(
            "Arrival rate %s: %d users ready (at most %d)",
            executor.plan.describe(),
            self.user_count,
            executor.max_users,
        )
        self.environment.events.spawning_complete.fire(user_count=self.user_count)
        if self.environment.reset_stats:
            self.stats.reset_all()  # what the users' on_start did
        executor.run()
        logger.info("The arrival-rate schedule is over: ending the test")
        self.greenlet.spawn(self.stop_test_from_user)

    def _begin_test(self) -> None:
        self.stats.clear_all()
        self.usage.reset()
        self.cpu_warning_emitted = False
        self._dispatcher = UsersDispatcher([LOCAL_WORKER], specs_from_classes(self.user_classes))
        self._dispatched = {}
        self.arrival_plan, self.arrival = None, None
        limit = self.iteration_limit
        self._budget = IterationBudget(limit, self.stats, self._spent) if limit else None
        self.environment.events.test_start.fire(environment=self.environment)

    def _ramp(
        self, user_count: int, spawn_rate: float, specs: list[UserClassSpec] | None = None
    ) -> None:
        assert self._dispatcher is not None
        self._dispatcher.new_dispatch(user_count, spawn_rate, specs)
        for delay, dispatch in self._dispatcher:
            if delay > 0:
                gevent.sleep(delay)
            self._apply(dispatch.get(LOCAL_WORKER, {}))
        self.state = STATE_RUNNING
        logger.info("All users spawned: %s", _describe(self.user_classes_count))
        self.environment.events.spawning_complete.fire(user_count=self.user_count)
        if self.environment.reset_stats:
            logger.info("Resetting the statistics (--reset-stats)")
            self.stats.reset_all()

    def _apply(self, wanted: dict[str, int]) -> None:
        # The difference to the previous dispatch, not to the users alive now: a user that
        # stopped itself (StopUser) stays stopped, as in Locust.
        before = self._dispatched
        grow = {n: c - before.get(n, 0) for n, c in wanted.items() if c > before.get(n, 0)}
        shrink = {n: c - wanted.get(n, 0) for n, c in before.items() if c > wanted.get(n, 0)}
        self._dispatched = dict(wanted)
        if shrink:
            alive = self.user_classes_count
            self.stop_users({n: min(c, alive.get(n, 0)) for n, c in shrink.items()})
        if grow:
            self.spawn_users(grow, prepare=self._budget.enlist if self._budget else None)

    def _spent(self) -> None:
        logger.info("%d iterations done (-i): ending the test", self.iteration_limit or 0)
        self.greenlet.spawn(self.stop_test_from_user)

    def stop(self) -> None:
        """Stop every user (within the stop timeout) and end the test; the runner stays.

        Called while another stop is in progress, it waits for that one to finish.
        """
        if self._called_by_a_user():
            self.spawn_in_background(self.stop)
            return
        if self.state == STATE_STOPPING:
            self._not_stopping.wait()
            return
        if self.state in (STATE_STOPPED, STATE_INIT):
            return
        self._not_stopping.clear()
        try:
            self.environment.events.test_stopping.fire(environment=self.environment)
            self.state = STATE_STOPPING
            shape = self.shape_greenlet
            if shape is not None and shape is not gevent.getcurrent():
                shape.kill(block=True)  # else its next tick would start the test again
            if self.spawning_greenlet is not None:
                self.spawning_greenlet.kill(block=True)
                self.spawning_greenlet = None
            self.stop_all_users()
            self._end_arrival()
            self._dispatched = {}
            self.state = STATE_STOPPED
            self.environment.events.test_stop.fire(environment=self.environment)
        finally:
            self._not_stopping.set()

    def quit(self) -> None:
        """Stop the test and end the runner: ``runner.greenlet.join()`` returns after this."""
        if self._called_by_a_user():
            self.spawn_in_background(self.quit)
            return
        self._quit_once(self._end)

    def _end(self) -> None:
        self.stop()
        self._kill_other_greenlets()

    def _called_by_a_user(self) -> bool:
        """A task calling stop() or quit() would be killed halfway by its own stop: hand over."""
        return gevent.getcurrent() in self.user_greenlets


def _describe(counts: dict[str, int]) -> str:
    total = sum(counts.values())
    parts = ", ".join(f"{name}: {n}" for name, n in sorted(counts.items()))
    return f"{parts} (total {total})" if parts else "none"
