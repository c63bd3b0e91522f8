"""The master's side of ``-i`` and of an arrival rate: each worker's part, and the end.

``-i N`` (closed model): when a test first starts, N is split over the workers in proportion to
the users each runs at the first target; each worker's ``spawn`` carries its part
(``iterations``), its users stop when it is spent, and its next report says ``done``.

An arrival rate: each worker runs an equal share of the rate (``share`` = 1/n, ``phase`` = i/n,
so that their iterations take turns) with an equal part of ``--max-users``; a worker joining or
leaving makes the master send every worker its new share (a resplit: the rate keeps its total).
A worker whose schedule is over says ``done`` in its report.

When every worker running the test has said ``done``, the master ends the test as a load
shape's end does. A worker lost on the way takes its unrun part of ``-i`` with it; the run
then ends short of N (its log says how it was split).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from swarm.runners.dispatch import UsersDispatcher, specs_from_classes
from swarm.runners.iterations import split_total
from swarm.runners.schedule import ArrivalPlan, ArrivalSchedule
from swarm.runners.states import STATE_INIT, STATE_RUNNING, STATE_SPAWNING, STATE_STOPPED

if TYPE_CHECKING:
    from swarm.runners.master import MasterRunner

logger = logging.getLogger(__name__)

#: Users/s that make a dispatch reach its target in one step (to read where users will run).
_AT_ONCE = 1e12


@dataclass(frozen=True)
class ArrivalPart:
    """A worker's part of an arrival-rate test, as a master's ``spawn`` carries it (``arrival``):
    written here by ``to_dict`` and read by the worker with ``read``."""

    plan: ArrivalPlan
    share: float
    phase: float
    max_users: int
    initial_users: int
    elapsed: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "plan": self.plan.to_dict(),
            "share": self.share,
            "phase": self.phase,
            "max_users": self.max_users,
            "initial_users": self.initial_users,
            "elapsed": self.elapsed,
        }

    @classmethod
    def read(cls, data: dict[str, Any]) -> ArrivalPart:
        """The part in ``data``; ValueError (or TypeError, KeyError) for one that is not."""
        plan = ArrivalPlan.from_dict(data["plan"])
        part = cls(
            plan,
            float(data["share"]),
            float(data["phase"]),
            int(data["max_users"]),
            int(data.get("initial_users", data["max_users"])),
            float(data.get("elapsed", 0.0)),
        )
        # the schedule's own checks: a share and phase that cannot stall it
        ArrivalSchedule(plan.curve, part.share, part.phase, start=part.elapsed)
        if not 0 <= part.initial_users <= part.max_users:
            raise ValueError(f"initial users {part.initial_users} not in 0..{part.max_users}")
        return part


class WorkerParts:
    """What each worker runs of a test's ``-i`` and arrival rate, and whether all are done."""

    def __init__(self, master: MasterRunner) -> None:
        self.master = master
        #: Each worker's part of ``-i`` in this test, once it started (None: no limit).
        self.quotas: dict[str, int] | None = None
        #: Workers that said their part of the test is over.
        self.done: set[str] = set()
        # Workers left without a share (more workers than --max-users): done from the start.
        self._idle: set[str] = set()
        self._arrival_started = 0.0
        self._ending = False

    def begin_test(self) -> None:
        self.quotas = None
        self.done = set()
        self._idle = set()
        self._ending = False

    # -- -i in the closed model ------------------------------------------------------------

    def split_iterations(self, user_count: int, classes: list[Any] | None = None) -> None:
        """At a test's first start with users: split ``-i`` over the workers, as the users
        will be (a first target of 0 users would give every worker 0)."""
        limit = self.master.iteration_limit
        if not limit or self.quotas is not None or user_count <= 0:
            return
        workers = [node.id for node in self.master.clients.active]
        specs = specs_from_classes(classes or self.master.user_classes)
        dispatcher = UsersDispatcher(workers, specs)
        dispatcher.new_dispatch(user_count, _AT_ONCE)
        for _ in dispatcher:
            pass
        users = {worker: sum(counts.values()) for worker, counts in dispatcher.current.items()}
        self.quotas = split_total(limit, users)
        logger.info("-i %d split over the workers: %s", limit, _describe(self.quotas))

    def spawn_fields(self, node_id: str) -> dict[str, Any]:
        """What a worker's ``spawn`` carries of ``-i`` (its part; 0 for a latecomer)."""
        if self.quotas is None:
            return {}
        return {"iterations": self.quotas.get(node_id, 0)}

    # -- the open model -----------------------------------------------------------------------

    def start_arrival(self, plan: ArrivalPlan) -> None:
        """Start an arrival-rate test over the workers connected now."""
        master = self.master
        if not master.clients.active:
            logger.warning("No worker is connected: nothing to start (start workers first)")
            return
        if master.state not in (STATE_INIT, STATE_STOPPED):
            raise ValueError("a test is running: stop it before starting an arrival-rate run")
        master._begin_test()
        master.arrival_plan = plan
        master.stats.keep_service_times()  # before the first report: the CSV's columns
        self._arrival_started = master.clock()
        master.state = STATE_SPAWNING
        self.send_shares(first=True)
        master.spawning_greenlet = master.spawn_in_background(self._await_pools)

    def send_shares(self, first: bool = False) -> None:
        """Send every worker its share of the rate: at the ``first`` start of the test, or
        again after the workers changed (a worker new to the test joins it where it is)."""
        master = self.master
        plan = master.arrival_plan
        assert plan is not None
        nodes = sorted(master.clients.active, key=lambda node: node.index)
        running = nodes[: plan.max_users]  # a worker without a user could run nothing
        if not running:
            logger.error("Every worker is gone: the arrival rate has nobody to run it")
            return
        if len(running) < len(nodes):
            logger.warning(
                "--max-users %d is fewer than the %d workers: %d of them run nothing",
                plan.max_users,
                len(nodes),
                len(nodes) - len(running),
            )
        equal = {node.id: 1 for node in running}
        pools = split_total(plan.max_users, equal)
        initial = split_total(plan.initial_users, equal)
        elapsed = 0.0 if first else master.clock() - self._arrival_started
        n = len(running)
        for index, node in enumerate(running):
            part = ArrivalPart(plan, 1 / n, index / n, pools[node.id], initial[node.id], elapsed)
            if node.id in self._idle:  # it had no share, so it was done: now it has one
                self._idle.discard(node.id)
                self.done.discard(node.id)
            master._send_spawn(
                node,
                {
                    "user_classes_count": {},
                    "arrival": part.to_dict(),
                    "reset_stats": master.environment.reset_stats,
                },
            )
        for node in nodes[len(running) :]:
            self._idle.add(node.id)
            self.done.add(node.id)
        self.check_end()

    def _await_pools(self) -> None:
        master = self.master
        master._wait_until_spawned({})
        master.state = STATE_RUNNING
        plan = master.arrival_plan
        logger.info(
            "Arrival rate %s: %d users ready over %d workers",
            plan.describe() if plan is not None else "?",
            master.user_count,
            master.worker_count,
        )
        master.environment.events.spawning_complete.fire(user_count=master.user_count)
        if master.environment.reset_stats:
            master.stats.reset_all()  # what the users' on_start did (the workers did too)

    # -- the end -------------------------------------------------------------------------------

    def on_report(self, node_id: str, data: dict[str, Any]) -> None:
        """A worker's report (or a host's relay's, naming its workers in ``done_workers``):
        when it says ``done`` and every worker has, end the test."""
        finished = {str(worker) for worker in data.get("done_workers") or ()}
        if data.get("done"):
            finished.add(node_id)
        if finished - self.done:
            self.done |= finished
            self.check_end()

    def check_end(self) -> None:
        """End the test if every worker running it is done (after a report, or when the
        workers changed: the last one still running may just have gone)."""
        master = self.master
        limited = master.iteration_limit or master.arrival_plan is not None
        if not limited or self._ending or master.state not in (STATE_SPAWNING, STATE_RUNNING):
            return
        active = master.clients.active
        if active and all(node.id in self.done for node in active):
            self._ending = True
            logger.info("Every worker's part of the test is over: ending the test")
            master.spawn_in_background(master.stop_test_from_user)


def _describe(parts: dict[str, int]) -> str:
    return ", ".join(f"{worker}: {n}" for worker, n in parts.items()) or "no workers"


__all__ = ["ArrivalPart", "WorkerParts"]
