"""``User``: one simulated user, running its tasks in its own greenlet.

The runner's side of the contract::

    user = UserClass(environment)
    greenlet = user.start(group)   # spawns user.run in the gevent Group; args[0] is the user
    user.stop(force=False)         # True if the user was stopped at once

``stop()`` stops a user that is waiting (or not yet started) at once, and lets a user that is
running a task finish it first; ``stop(force=True)`` kills it wherever it is. ``on_stop`` runs
in both cases, unless the user is killed while running it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, final

from gevent import GreenletExit
from gevent.greenlet import Greenlet
from gevent.pool import Group

from swarm.exceptions import StopTest, StopUser
from swarm.user import wait_time as _wait_time
from swarm.user.task import (
    STATE_RUNNING,
    STATE_STOPPED,
    STATE_STOPPING,
    STATE_WAITING,
    DefaultTaskSet,
    Task,
    collect_tasks,
    report_error,
)

if TYPE_CHECKING:
    from swarm.event import Events

logger = logging.getLogger(__name__)


class UserEnvironment(Protocol):
    """What a User needs from its environment (``swarm.env.Environment`` provides it)."""

    @property
    def events(self) -> Events: ...

    @property
    def catch_exceptions(self) -> bool: ...

    @property
    def runner(self) -> Any: ...

    @property
    def host(self) -> str | None: ...

    @property
    def stop_timeout(self) -> float | None: ...


class User:
    """A simulated user: a greenlet that runs ``on_start``, then tasks, then ``on_stop``.

    Subclass it and declare tasks with ``@task`` methods or the ``tasks`` attribute (a list,
    a list of ``(task, weight)`` pairs or a ``{task: weight}`` dict; a User's tasks are called
    with the user as argument). Every subclass is concrete, so the runner may spawn it, unless
    it sets ``abstract = True`` itself. This base class has no client: protocol users such as
    ``HttpUser`` add ``self.client``.
    """

    host: str | None = None
    """The base URL of the target, unless ``--host`` gives one."""

    weight: float = 1
    """How many users of this class are spawned relative to the other classes."""

    fixed_count: int = 0
    """When > 0, exactly this many users of this class are spawned (first), ignoring weight."""

    abstract: ClassVar[bool] = True
    """True for a base class meant to be subclassed: the runner never spawns it."""

    tasks: ClassVar[list[Task]] = []
    """The flat weighted task list, built when the class is defined (see swarm.user.declaration)."""

    wait_time = _wait_time.constant(0)
    """Seconds to wait after each task, as a function of the user: ``between(1, 5)``, ..."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.tasks = collect_tasks(cls)
        if not vars(cls).get("abstract"):
            cls.abstract = False

    def __init__(self, environment: UserEnvironment) -> None:
        self.environment = environment
        self._state: str | None = None
        self._greenlet: Greenlet | None = None
        self._group: Group | None = None
        self._taskset_instance: DefaultTaskSet | None = None

    def on_start(self) -> None:
        """Called once when the user starts, before its first task."""

    def on_stop(self) -> None:
        """Called once when the user stops (gracefully, or killed while not in on_stop)."""

    def context(self) -> dict[str, Any]:
        """Extra context merged into every request event this user fires; ``{}`` here."""
        return {}

    @final
    def run(self) -> None:
        """The user's life: ``on_start``, the task loop, ``on_stop``; runs in its greenlet.

        A failing ``on_start`` (or a user without tasks) fires ``user_error`` and ends the user
        without ``on_stop``. StopTest propagates after ``on_stop``, for the runner to stop the
        test.
        """
        self._state = STATE_RUNNING
        if self._taskset_instance is None:  # else a runner gave the user its own loop
            self._taskset_instance = DefaultTaskSet(self)
        try:
            if not self._begin():
                return
            self._taskset_instance.run()
        except (StopUser, GreenletExit):
            self._end()
        except StopTest:
            self._end()
            raise
        finally:
            self._state = STATE_STOPPED

    def _begin(self) -> bool:
        try:
            self._taskset_instance._check_runnable()  # type: ignore[union-attr]  # set by run()
            self.on_start()
        except (StopUser, StopTest):
            raise
        except Exception as e:
            report_error(self, e, f"{type(self).__name__}.on_start")
            if not self.environment.catch_exceptions:
                raise
            return False
        setattr(self, _wait_time.STARTED_AT, _wait_time.clock())
        return True

    def _end(self) -> None:
        self._state = STATE_STOPPING
        try:
            self.on_stop()
        except (StopUser, StopTest, GreenletExit):
            raise
        except Exception as e:
            report_error(self, e, f"{type(self).__name__}.on_stop")
            if not self.environment.catch_exceptions:
                raise

    def wait(self) -> None:
        """Sleep ``wait_time()`` seconds inside a task; a graceful stop may end the user here."""
        if self._taskset_instance is None:
            raise RuntimeError("wait() is only available while the user is running")
        self._taskset_instance.wait()

    def start(self, group: Group) -> Greenlet:
        """Spawn this user's greenlet in ``group`` and return it (its ``args[0]`` is the user)."""
        self._group = group
        self._greenlet = group.spawn(_run_user, self)
        return self._greenlet

    def stop(self, force: bool = False) -> bool:
        """Stop this user; True if it was stopped at once, False if it stops after its task.

        A user that is waiting, not yet started or already finished stops at once; one running
        a task finishes that task first. ``force`` kills it at once wherever it is. A kill is
        delivered when the caller next yields to the hub (join ``greenlet`` to wait for it), so
        stopping many users costs one round of the hub, not one round per user.
        """
        greenlet = self._greenlet
        if greenlet is None or greenlet.dead:
            self._state = STATE_STOPPED
            return True
        if force or self._state in (None, STATE_WAITING):
            assert self._group is not None  # start() sets both
            self._group.killone(greenlet, block=False)
            return True
        if self._state == STATE_RUNNING:
            self._state = STATE_STOPPING
        return False

    @property
    def greenlet(self) -> Greenlet | None:
        """The greenlet running this user, once started."""
        return self._greenlet

    @property
    def group(self) -> Group | None:
        """The group the user's greenlet was spawned in, once started."""
        return self._group

    @classmethod
    def fullname(cls) -> str:
        """The class's dotted path, without ``<locals>``: ``package.module.Outer.MyUser``."""
        parts = f"{cls.__module__}.{cls.__qualname__}".split(".")
        return ".".join(part for part in parts if part != "<locals>")

    @classmethod
    def json(cls) -> dict[str, Any]:
        """A summary of the class for the web UI: host, weight, fixed_count, task names."""
        return {
            "host": cls.host,
            "weight": cls.weight,
            "fixed_count": cls.fixed_count,
            "tasks": [getattr(t, "__name__", repr(t)) for t in cls.tasks],
        }


def _run_user(user: User) -> None:
    # A plain function taking the user, so that runners find the user as greenlet.args[0].
    user.run()
