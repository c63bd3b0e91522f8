"""The runner of a single process: it runs every user itself."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import gevent
from gevent.event import Event

from swarm.runners.base import (
    STATE_INIT,
    STATE_RUNNING,
    STATE_SPAWNING,
    STATE_STOPPED,
    STATE_STOPPING,
    Runner,
)
from swarm.runners.dispatch import UserClassSpec, UsersDispatcher, specs_from_classes

if TYPE_CHECKING:
    from swarm.env import Environment
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

    def _begin_test(self) -> None:
        self.stats.clear_all()
        self.usage.reset()
        self.cpu_warning_emitted = False
        self._dispatcher = UsersDispatcher([LOCAL_WORKER], specs_from_classes(self.user_classes))
        self._dispatched = {}
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
            self.spawn_users(grow)

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
            if self.spawning_greenlet is not None:
                self.spawning_greenlet.kill(block=True)
                self.spawning_greenlet = None
            self.stop_all_users()
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
