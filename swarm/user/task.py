"""Task sets: ``TaskSet``, the loop that runs tasks, and tag filtering over task sets.

The loop (``TaskSet.run``) picks a task, runs it and waits, until a control-flow signal ends
it (see ``swarm.exceptions``). Any other exception from a task fires ``user_error`` and, with
``environment.catch_exceptions`` (the default), is logged and the loop goes on after the wait;
without it, the exception propagates. ``DefaultTaskSet`` is the same loop over a User's own
tasks. ``filter_tasks_by_tags`` walks a class's tasks and the TaskSets nested in them.

How tasks are declared (``@task``, ``@tag``, the weighted ``tasks`` list, ``pick``) lives in
``swarm.user.declaration``; its names are importable from here too, where Locust's userfiles
find them (``from locust.user.task import TaskSet, task, tag``).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar, final

import gevent
from gevent import GreenletExit

from swarm.exceptions import (
    InterruptTaskSet,
    MissingWaitTimeError,
    RescheduleTask,
    RescheduleTaskImmediately,
    StopTest,
    StopUser,
    SwarmError,
    UserfileError,
)
from swarm.user import wait_time as _wait_time
from swarm.user.declaration import (
    TAGS_ATTR,
    WEIGHT_ATTR,
    Task,
    collect_tasks,
    pick,
    tag,
    task,
)

if TYPE_CHECKING:
    from swarm.user.users import User

__all__ = [
    "STATE_RUNNING",
    "STATE_STOPPED",
    "STATE_STOPPING",
    "STATE_WAITING",
    "TAGS_ATTR",
    "WEIGHT_ATTR",
    "DefaultTaskSet",
    "Task",
    "TaskSet",
    "collect_tasks",
    "filter_tasks_by_tags",
    "pick",
    "report_error",
    "tag",
    "task",
    "taskset_class",
]

logger = logging.getLogger(__name__)

# The states of a user, kept on ``User._state`` and read by ``User.stop``.
STATE_RUNNING = "running"
STATE_WAITING = "waiting"
STATE_STOPPING = "stopping"
STATE_STOPPED = "stopped"

# Signals that leave a TaskSet loop: it runs its on_stop and lets them through.
_LEAVING = (StopUser, StopTest, GreenletExit)


def report_error(user: User, error: BaseException, where: str) -> None:
    """Fire ``user_error`` for ``error`` and log it with its traceback.

    The caller re-raises when ``user.environment.catch_exceptions`` is false.
    """
    user.environment.events.user_error.fire(
        user_instance=user, exception=error, tb=error.__traceback__
    )
    if user.environment.catch_exceptions:
        logger.error("%s in %s: %s", type(error).__name__, where, error, exc_info=error)


class TaskSet:
    """A set of tasks a user runs in a loop: pick one (weighted), run it, wait, repeat.

    Set ``tasks`` or decorate methods with ``@task``; ``wait_time`` defaults to the user's.
    A TaskSet class listed as a task runs nested: its loop replaces its parent's until one of
    its tasks calls ``self.interrupt()``; its ``on_stop`` runs and the parent goes on (at once,
    or after a wait with ``reschedule=False``). Tasks are called with the TaskSet as argument,
    and ``self.user``/``self.client`` reach the user and its client.
    """

    tasks: ClassVar[list[Task]] = []
    # False for task sets whose tasks are not a list (MarkovTaskSet): tag filtering and the
    # task ratio treat them as one unit.
    _has_task_list: ClassVar[bool] = True
    # True where wait_time() is the user's wait time and cannot be set otherwise: the loop of
    # a User's own tasks, a class of swarm's that userfiles do not subclass.
    _waits_as_user: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.tasks = cls._collect_tasks()

    @classmethod
    def _collect_tasks(cls) -> list[Task]:
        return collect_tasks(cls)

    def __init__(self, parent: User | TaskSet) -> None:
        self._parent = parent
        self._user: User = parent.user if isinstance(parent, TaskSet) else parent
        self._task_queue: deque[Task] = deque()

    @property
    def user(self) -> User:
        """The User running this task set."""
        return self._user

    @property
    def parent(self) -> User | TaskSet:
        """The TaskSet this one is nested in, or the User for a top-level task set."""
        return self._parent

    @property
    def client(self) -> Any:
        """The user's client (``self.user.client``)."""
        return self.user.client  # type: ignore[attr-defined]  # set by clients' User classes

    def on_start(self) -> None:
        """Called when the user starts running this task set."""

    def on_stop(self) -> None:
        """Called when the user leaves this task set: interrupted, stopped or killed."""

    @final
    def run(self) -> None:
        """Run ``on_start``, then tasks until a control-flow signal ends the loop.

        Leaves with RescheduleTaskImmediately / RescheduleTask for an interrupt (after
        ``on_stop``), so that the parent goes on; with StopUser, StopTest or GreenletExit
        (after ``on_stop``) when the user stops.
        """
        self._check_runnable()
        try:
            self.on_start()
        except InterruptTaskSet as e:
            raise _resume_parent(e) from e
        setattr(self, _wait_time.STARTED_AT, _wait_time.clock())
        # One task per turn, written out in this loop rather than in a method it calls: the
        # loop runs once per request of a no-wait user, and a Python call costs as much as
        # several of these lines (bench/bench_user.py).
        queue = self._task_queue
        user = self._user
        while True:
            try:
                try:
                    # A scheduled task runs first; otherwise pick one and run it at once.
                    task = queue.popleft() if queue else self.get_next_task()
                    if user._state == STATE_STOPPING:
                        raise StopUser
                    self.execute_task(task)
                except RescheduleTaskImmediately:
                    continue
                except RescheduleTask:
                    pass
                except (InterruptTaskSet, *_LEAVING):
                    raise
                except Exception as e:
                    report_error(user, e, f"a task of {type(self).__name__}")
                    if not user.environment.catch_exceptions:
                        raise
                self.wait()
            except InterruptTaskSet as e:
                self._call_on_stop()
                raise _resume_parent(e) from e
            except _LEAVING:
                self._call_on_stop()
                raise

    def _call_on_stop(self) -> None:
        try:
            self.on_stop()
        except _LEAVING:
            raise
        except Exception as e:
            report_error(self.user, e, f"{type(self).__name__}.on_stop")
            if not self.user.environment.catch_exceptions:
                raise

    def _check_runnable(self) -> None:
        if not self.tasks:
            raise _no_tasks_error(type(self))

    def execute_next_task(self) -> None:
        """Run the first scheduled task."""
        self.execute_task(self._task_queue.popleft())

    def execute_task(self, task: Task) -> None:
        """Run ``task``: a method bound to this set, a nested TaskSet class, or a function."""
        nested = taskset_class(task)
        if getattr(task, "__self__", None) is self:
            task()
        elif nested is not None:
            nested(self).run()
        else:
            task(self)

    def schedule_task(self, task_callable: Task, first: bool = False) -> None:
        """Queue ``task_callable`` to run next (``first``) or after the queued ones.

        The loop only picks a new task when the queue is empty.
        """
        if first:
            self._task_queue.appendleft(task_callable)
        else:
            self._task_queue.append(task_callable)

    def get_next_task(self) -> Task:
        """The next task to run: a weighted random pick from ``tasks``."""
        return pick(self.tasks)

    def wait_time(self) -> float:
        """Seconds to wait after a task: the user's wait time unless this class sets its own."""
        user_wait = self._user.wait_time
        if user_wait is None:
            raise MissingWaitTimeError(
                f"set wait_time on {type(self.user).__name__} or {type(self).__name__}"
            )
        return user_wait()

    def wait(self) -> None:
        """Sleep (cooperatively) for ``wait_time()`` seconds.

        A user stopped gracefully while waiting stops here, so calling this inside a task
        makes the task a place where the user can stop.
        """
        user = self._user
        if user._state == STATE_STOPPING:
            raise StopUser
        if self._waits_as_user and user.wait_time is not None:
            seconds = user.wait_time()  # wait_time() without the call to it: once per task
        else:
            seconds = self.wait_time()
        user._state = STATE_WAITING
        self._sleep(seconds)
        if user._state == STATE_STOPPING:
            raise StopUser
        user._state = STATE_RUNNING

    # gevent.sleep itself, not a method calling it: one Python call less per task. Tests
    # replace it with a method taking (self, seconds).
    _sleep = staticmethod(gevent.sleep)

    def interrupt(self, reschedule: bool = True) -> None:
        """Leave this task set and go back to its parent (which waits first unless
        ``reschedule``)."""
        raise InterruptTaskSet(reschedule)


def taskset_class(candidate: object) -> type[TaskSet] | None:
    """``candidate`` if it is a TaskSet class (a nested task set), else None."""
    if isinstance(candidate, type) and issubclass(candidate, TaskSet):
        return candidate
    return None


def _resume_parent(interrupt: InterruptTaskSet) -> Exception:
    if interrupt.reschedule:
        return RescheduleTaskImmediately(interrupt.reschedule)
    return RescheduleTask(interrupt.reschedule)


def _no_tasks_error(cls: type, advice: str = "") -> UserfileError:
    hint = ", but it has a 'task' attribute: did you mean 'tasks'?" if hasattr(cls, "task") else ""
    return UserfileError(
        f"{cls.__name__} has no tasks{hint}; decorate methods with @task or set its tasks "
        f"attribute{advice}"
    )


class DefaultTaskSet(TaskSet):
    """The loop of a User's own tasks: they are called with the user as argument."""

    _waits_as_user = True

    def _check_runnable(self) -> None:
        if not self.user.tasks:
            raise _no_tasks_error(
                type(self.user), " (or set abstract = True on a class meant to be subclassed)"
            )

    def get_next_task(self) -> Task:
        tasks = self._user.tasks
        # pick()'s single-task case without calling it: this runs once per task.
        return tasks[0] if len(tasks) == 1 else pick(tasks)

    def execute_task(self, task: Task) -> None:
        user = self._user
        try:
            # A plain callable, the common case, is told apart without calling taskset_class.
            nested = taskset_class(task) if isinstance(task, type) else None
            if nested is not None:
                nested(user).run()
            else:
                task(user)
        except InterruptTaskSet as e:
            # A user's own task has no parent task set to return to.
            raise SwarmError(
                f"{getattr(task, '__name__', task)} of {type(self.user).__name__} raised "
                "InterruptTaskSet, which only a task of a TaskSet may raise; use "
                "RescheduleTask to end a user's task early"
            ) from e


# Tag filtering lives here rather than in swarm.user.declaration because it recurses into
# nested TaskSet classes, and declaration is imported by this module, not the other way round.
def filter_tasks_by_tags(
    task_holder: type,
    tags: Iterable[str] | None = None,
    exclude_tags: Iterable[str] | None = None,
    checked: dict[Any, bool] | None = None,
) -> bool:
    """Keep in ``task_holder.tasks`` (a User or TaskSet class, changed in place) the tasks
    that pass the tag filters, recursing into nested TaskSets; True when any task is left.

    A task passes when it has one of ``tags`` (if given) and none of ``exclude_tags`` (if given).
    A nested TaskSet passes when it keeps a task; a MarkovTaskSet is judged as a whole by the
    tags on its class. ``checked`` remembers verdicts across calls, for task sets shared between
    classes. A class left without tasks is logged as a warning: it cannot run. The tags may be
    any iterable of names (the command line gives lists).
    """
    include = None if tags is None else frozenset(tags)
    exclude = None if exclude_tags is None else frozenset(exclude_tags)
    checked = {} if checked is None else checked
    kept = []
    for candidate in task_holder.tasks:  # type: ignore[attr-defined]  # any task holder class
        if candidate not in checked:
            checked[candidate] = _passes(candidate, include, exclude, checked)
        if checked[candidate]:
            kept.append(candidate)
    task_holder.tasks = kept  # type: ignore[attr-defined]  # any task holder class
    if not kept and getattr(task_holder, "_has_task_list", True):
        logger.warning(
            "%s has no tasks left after filtering by tags; it cannot run", task_holder.__name__
        )
        return False
    return True


def _passes(
    candidate: Any,
    tags: frozenset[str] | None,
    exclude_tags: frozenset[str] | None,
    checked: dict[Any, bool],
) -> bool:
    nested = taskset_class(candidate)
    if nested is not None and nested._has_task_list:
        filter_tasks_by_tags(nested, tags, exclude_tags, checked)
        return bool(nested.tasks)
    own: set[str] = getattr(candidate, TAGS_ATTR, set())
    if tags is not None and not own & tags:
        return False
    return exclude_tags is None or not own & exclude_tags
