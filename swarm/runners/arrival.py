"""The open model at run time: iterations started on a schedule by a pool of users.

``ArrivalExecutor.run`` walks an ``ArrivalSchedule``: at each iteration's intended start it hands
the iteration to a free user of the pool, which runs one task (its task loop, with the wait
between tasks replaced by waiting for its next turn: ``PooledTaskSet``). When no user is free,
the iteration waits in a backlog for the first user to come free, at most the plan's
``max_lateness``; older, it is dropped and counted (``stats.dropped_iterations``), never
silently skipped. The pool starts with the plan's pre-allocated users, before the first
iteration, so that starting users (``on_start``) is not measured; it grows one user at a time
up to ``max_users`` while iterations wait.

Coordinated omission: a request of an iteration that started late is recorded in
``environment.stats`` as the client timed it plus the iteration's lateness, i.e. from when it
was meant to start, as wrk2 does; ``stats.service`` keeps the uncorrected times beside them
(``CorrectedTimes`` is the request listener of an arrival-rate run). Requests made by other
greenlets than the user's own (a task spawning its own greenlets) are not corrected.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import gevent
from gevent.event import Event

from swarm.exceptions import RescheduleTask, RescheduleTaskImmediately, StopUser
from swarm.runners.dispatch import class_counts, specs_from_classes
from swarm.runners.schedule import ArrivalPlan, ArrivalSchedule
from swarm.user.task import STATE_RUNNING, STATE_STOPPING, STATE_WAITING, DefaultTaskSet

if TYPE_CHECKING:
    from swarm.runners.base import Runner
    from swarm.stats import RequestStats
    from swarm.user import User

logger = logging.getLogger(__name__)

#: How long after an iteration's last moment the end of a run wakes to drop it (s).
_AFTER_DEADLINE = 0.001


class PooledTaskSet(DefaultTaskSet):
    """A pooled user's task loop: between two tasks it waits for its next turn, not wait_time.

    The user's ``on_start`` runs when it joins the pool; it then waits for its first turn.
    A user stopped while waiting for a turn stops at once, as one stopped while waiting does.
    """

    def __init__(self, user: User, executor: ArrivalExecutor) -> None:
        super().__init__(user)
        self._executor = executor
        self._turn = Event()
        #: The intended start (seconds into the run) of the iteration handed to this user.
        self.intended = 0.0
        #: Whether the user has joined the pool (its on_start is over).
        self.joined = False

    def on_start(self) -> None:
        self.wait()

    def wait(self) -> None:
        user = self._user
        if user._state == STATE_STOPPING:
            raise StopUser
        user._state = STATE_WAITING
        self._executor.next_turn(self)
        if user._state == STATE_STOPPING:
            raise StopUser
        user._state = STATE_RUNNING

    def execute_task(self, task: Any) -> None:
        # A nested TaskSet's interrupt() asks its parent to go on at once: here that would
        # start a task no schedule asked for. The iteration is over; the user waits its turn.
        try:
            super().execute_task(task)
        except (RescheduleTask, RescheduleTaskImmediately):
            return

    def hand(self, intended: float) -> None:
        """Give this (waiting) user the iteration meant to start at ``intended``."""
        self.intended = intended
        self._turn.set()

    def await_turn(self) -> float:
        """Wait until ``hand`` gives this user an iteration; its intended start."""
        self._turn.wait()
        self._turn.clear()
        return self.intended


class CorrectedTimes:
    """The request listener of an arrival-rate run: corrected times into ``stats``, the
    client's own into ``stats.service``.

    ``lateness`` maps a user's greenlet to how late (ms) its current iteration started.
    """

    def __init__(self, stats: RequestStats, lateness: dict[Any, float]) -> None:
        self.stats = stats
        self.service = stats.keep_service_times()
        self._lateness = lateness

    def on_request(
        self,
        request_type: str,
        name: str,
        response_time: float | None,
        response_length: int,
        *,
        exception: BaseException | str | None = None,
        **_: Any,
    ) -> None:
        self.service.on_request(request_type, name, response_time, response_length)
        late = self._lateness.get(gevent.getcurrent())
        if response_time is not None and late:
            response_time += late
        self.stats.on_request(
            request_type, name, response_time, response_length, exception=exception
        )


class ArrivalExecutor:
    """Runs one process's share of an arrival-rate plan with the runner's users.

    ``share`` and ``phase`` place this process on the plan's curve (see ``ArrivalSchedule``);
    ``max_users`` and ``initial_users`` are this process's part of the pool and of its
    pre-allocated users (the plan's by default); ``elapsed`` is
    how far into the run this process joins (a worker joining late). ``clock`` gives monotonic
    seconds. ``run`` returns when the schedule is over and the last iterations have finished
    (or been dropped); a stop kills it sooner. While ``recording``, the environment's request
    event feeds ``CorrectedTimes`` instead of the statistics directly.
    """

    def __init__(
        self,
        runner: Runner,
        plan: ArrivalPlan,
        share: float = 1.0,
        phase: float = 0.0,
        max_users: int | None = None,
        elapsed: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
        initial_users: int | None = None,
    ) -> None:
        self.runner = runner
        self.plan = plan
        self.max_users = plan.max_users if max_users is None else max_users
        #: Users started before the first iteration (this process's part of the plan's).
        self.initial_users = plan.initial_users if initial_users is None else initial_users
        self.schedule = ArrivalSchedule(plan.curve, share, phase, plan.iterations, elapsed)
        self.stats = runner.stats
        self._clock = clock
        self._elapsed = elapsed
        self._origin: float | None = None
        self._free: deque[PooledTaskSet] = deque()
        self._backlog: deque[float] = deque()
        #: How late (ms) each pooled user's current iteration started, by its greenlet.
        self.lateness: dict[Any, float] = {}
        self._members: set[PooledTaskSet] = set()
        # Users ever started: the pool grows only to max_users of them, so that users whose
        # on_start fails are not replaced at the arrival rate.
        self._created = 0
        self._settled = Event()  # set whenever a user joins the free list or leaves the pool
        self._specs = specs_from_classes(runner.user_classes)
        self._warned_drop = False
        #: Set when every iteration of the schedule has been handed out (or dropped).
        self.schedule_over = Event()
        self._rescheduled = Event()
        # Users started but not yet in the pool (in on_start): the pool grows only while
        # there are fewer of them than iterations waiting.
        self._starting = 0
        self._corrected = CorrectedTimes(self.stats, self.lateness)

    # -- recording -------------------------------------------------------------------------

    def record(self) -> None:
        """Route the request event through ``CorrectedTimes`` (the run's statistics)."""
        events = self.runner.environment.events
        events.request.replace_listener(self.stats.on_request, self._corrected.on_request)

    def stop_recording(self) -> None:
        """Give the request event back to the statistics (the service times stay, unfed)."""
        events = self.runner.environment.events
        events.request.replace_listener(self._corrected.on_request, self.stats.on_request)

    def resplit(self, share: float, phase: float, max_users: int) -> None:
        """From now on, run ``share`` of the rate from ``phase``, with at most ``max_users``
        (the pool does not shrink: users beyond a lower cap stay until the test ends)."""
        self.schedule.resplit(self.now(), share, phase)
        self.max_users = max_users
        self._rescheduled.set()  # the loop may be asleep until a time that no longer holds

    # -- the pool --------------------------------------------------------------------------

    @property
    def pool_size(self) -> int:
        """Users in the pool, including those still starting."""
        return len(self._members)

    @property
    def busy(self) -> int:
        """Users running an iteration now."""
        return len(self._members) - len(self._free)

    def _add_users(self, count: int) -> None:
        if count <= 0:
            return
        size = self.pool_size
        before, after = class_counts(self._specs, size), class_counts(self._specs, size + count)
        wanted = {name: after[name] - before[name] for name in after if after[name] > before[name]}
        self._created += count
        for user in self.runner.spawn_users(wanted, prepare=self._enlist):
            assert user.greenlet is not None  # started by spawn_users
            user.greenlet.link(lambda g, u=user: self._leave(u))

    def _enlist(self, user: User) -> None:
        taskset = PooledTaskSet(user, self)
        user._taskset_instance = taskset
        self._members.add(taskset)
        self._starting += 1

    def _leave(self, user: User) -> None:
        taskset = user._taskset_instance
        if isinstance(taskset, PooledTaskSet) and taskset in self._members:
            if not taskset.joined:
                self._starting -= 1
            self._members.discard(taskset)
            if taskset in self._free:
                self._free.remove(taskset)
            self.lateness.pop(user.greenlet, None)
            self._settled.set()

    def next_turn(self, taskset: PooledTaskSet) -> None:
        """Called by a pooled user between tasks: return when it has its next iteration."""
        if not taskset.joined:
            taskset.joined = True
            self._starting -= 1
        intended = self._from_backlog()
        if intended is None:
            self._free.append(taskset)
            self._settled.set()
            intended = taskset.await_turn()
        self._begin(intended)

    def _from_backlog(self) -> float | None:
        self._expire()
        return self._backlog.popleft() if self._backlog else None

    def _begin(self, intended: float) -> None:
        self.stats.iterations += 1
        self.lateness[gevent.getcurrent()] = max(self.now() - intended, 0.0) * 1000

    def _drop(self) -> None:
        self.stats.dropped_iterations += 1
        if not self._warned_drop:
            self._warned_drop = True
            logger.warning(
                "Iterations are being dropped: all %d users of the pool (at most %d) were busy "
                "for longer than --max-lateness (%gs); raise --max-users or lower the rate",
                self.pool_size,
                self.max_users,
                self.plan.max_lateness,
            )

    # -- the schedule ----------------------------------------------------------------------

    def now(self) -> float:
        """Seconds since the first iteration was due (0 before the run)."""
        return 0.0 if self._origin is None else self._clock() - self._origin

    def prepare(self) -> None:
        """Start the pre-allocated users and return once each has joined the pool (or ended)."""
        wanted = min(self.initial_users, self.max_users)
        self._add_users(wanted)
        while len(self._free) < len(self._members):
            self._settled.clear()
            self._settled.wait()

    def run(self) -> None:
        """Start iterations on schedule until it is over; then let the last ones finish."""
        self._origin = self._clock() - self._elapsed
        schedule = self.schedule
        while True:
            for intended in schedule.take_due(self.now()):
                self._start(intended)
            self._expire()
            due = schedule.next_time()
            if due is None:
                break
            wait = due - self.now()
            if wait > 0:
                self._rescheduled.clear()
                self._rescheduled.wait(timeout=wait)  # a resplit wakes it sooner
            else:
                gevent.sleep(0)
        self.schedule_over.set()
        self._finish()

    def _start(self, intended: float) -> None:
        if self._free:
            self._free.pop().hand(intended)
            return
        self._backlog.append(intended)
        if self._created < self.max_users and self._starting < len(self._backlog):
            self._add_users(1)  # spawning does not yield: the new user starts after this loop

    def abandon(self) -> None:
        """The test stops: count the iterations still waiting for a user as dropped (they
        will not run), rather than losing them in silence."""
        while self._backlog:
            self._backlog.popleft()
            self._drop()

    def _expire(self) -> None:
        backlog, oldest = self._backlog, self.now() - self.plan.max_lateness
        while backlog and backlog[0] < oldest:
            backlog.popleft()
            self._drop()

    def _finish(self) -> None:
        # Bounded by the iterations themselves: the backlog empties within max_lateness.
        while self._backlog or self.busy > 0:
            timeout = None
            if self._backlog:  # wake when its oldest is too late, if no user comes first
                deadline = self._backlog[0] + self.plan.max_lateness
                timeout = max(deadline - self.now(), 0.0) + _AFTER_DEADLINE
            self._settled.clear()
            self._settled.wait(timeout=timeout)
            self._expire()
