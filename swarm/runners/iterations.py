"""``-i/--iterations`` in the closed model: a process's users share a budget of task iterations.

Each user of the process runs its tasks through a ``CountedTaskSet``, which takes one iteration
from the shared ``IterationBudget`` before each of the user's own tasks (a nested TaskSet's
inner tasks are part of the task that entered it). When the budget is spent a user stops
(``StopUser``) instead of starting another task, so exactly ``limit`` tasks start, however many
users there are; when the last of them has finished, ``on_spent`` is called once (the runner
ends the test, as ``-t`` does). In a distributed run each worker has its own part of the
total (see the master), so the total holds across workers too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from swarm.exceptions import StopUser
from swarm.user.task import DefaultTaskSet, Task

if TYPE_CHECKING:
    from swarm.stats import RequestStats
    from swarm.user import User


class IterationBudget:
    """``limit`` task iterations for a process's users; ``on_spent()`` once all have run (a
    budget of 0, a worker's part of a small total, is spent from the start: no call).

    ``stats.iterations`` counts the iterations started (a worker reports it to the master).
    """

    def __init__(self, limit: int, stats: RequestStats, on_spent: Callable[[], None]) -> None:
        if limit < 0:
            raise ValueError(f"an iteration budget is 0 or more, not {limit}")
        self.limit = limit
        self.started = 0
        self.finished = 0
        self._stats = stats
        self._on_spent = on_spent

    @property
    def spent(self) -> bool:
        """Whether every iteration of the budget has started."""
        return self.started >= self.limit

    def take(self) -> bool:
        """Take one iteration; False when none is left."""
        if self.started >= self.limit:
            return False
        self.started += 1
        self._stats.iterations += 1
        return True

    def finish_one(self) -> None:
        """One iteration taken has finished (whichever way)."""
        self.finished += 1
        if self.finished == self.limit:
            self._on_spent()

    def enlist(self, user: User) -> None:
        """Make ``user`` run its tasks on this budget (``Runner.spawn_users``' ``prepare``)."""
        user._taskset_instance = CountedTaskSet(user, self)


class CountedTaskSet(DefaultTaskSet):
    """A user's own task loop that takes each task from an ``IterationBudget``."""

    def __init__(self, user: User, budget: IterationBudget) -> None:
        super().__init__(user)
        self._budget = budget

    def execute_task(self, task: Task) -> None:
        budget = self._budget
        if not budget.take():
            raise StopUser
        try:
            super().execute_task(task)
        finally:
            budget.finish_one()


def split_total(total: int, weights: Mapping[str, int | float]) -> dict[str, int]:
    """``total`` split over the keys of ``weights`` in proportion (largest remainders get the
    leftovers, ties to the earlier key), adding up to ``total`` exactly; all to nobody, i.e.
    every part 0, when no weight is above 0."""
    whole = sum(w for w in weights.values() if w > 0)
    if whole <= 0:
        return dict.fromkeys(weights, 0)
    exact = {key: total * max(w, 0) / whole for key, w in weights.items()}
    parts = {key: int(value) for key, value in exact.items()}
    left = total - sum(parts.values())
    by_remainder = sorted(weights, key=lambda key: parts[key] - exact[key])
    for key in by_remainder[:left]:
        parts[key] += 1
    return parts
