"""Who runs how many users of which class on which worker, and when: pure arithmetic.

No I/O and no clock: the delays between steps are outputs, so the whole ramp of a test with
100,000 users over 500 workers is computed (and tested) without sleeping. The local runner
is a dispatch over the single worker ``"local"``.

Everything follows from one fixed *spawn order*, the order in which users are started:

- **Fixed counts first.** Each ``fixed_count`` class in turn, in the order given, gets its
  users, as far as the target allows.
- **Then by weight.** The other classes with a weight above 0 follow in the order of
  Tijdeman's solution to the chairman assignment problem (Discrete Math. 32, 1980): after any
  number n of weighted users, each class has within ``1 - 1/(2k - 2)`` of its exact share
  ``n * weight / total_weight`` (k classes, so within 1/2 for two classes). Every prefix is
  therefore as balanced as the weights allow, each class holds the floor or the ceiling of
  its share, and growing the total never takes a user away from another class (largest-
  remainder rounding does so now and then: the Alabama paradox). Weights are read as the
  decimals they are written as (0.1 is exactly one tenth).

``class_counts(specs, n)`` is the make-up of the first n users of that order. A ramp walks
along the order: up adds the next users, down removes the newest ones (LIFO), and changing the
target mid-ramp just walks on from where it is. ``dispatch_placement`` puts each user on a
worker so that, after every user, each class's per-worker counts and the per-worker totals
differ by at most one.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import NamedTuple

from swarm.exceptions import SwarmError
from swarm.runners.dispatch_placement import Placement

#: Ramps go in steps at most this often, so a high spawn rate batches users per step.
MAX_STEPS_PER_SECOND = 10

#: Users wanted per worker and class: ``{worker_id: {class_name: count}}``.
Dispatch = dict[str, dict[str, int]]


class DispatchError(SwarmError, ValueError):
    """Dispatch was asked for the impossible: a bad count, rate or class, or no workers."""


@dataclass(frozen=True)
class UserClassSpec:
    """What dispatch needs to know of a user class; invalid values raise ``DispatchError``."""

    name: str
    weight: float = 1.0
    fixed_count: int = 0

    def __post_init__(self) -> None:
        if not self.name:
            raise DispatchError("a user class needs a name")
        weight = self.weight
        if isinstance(weight, bool) or not isinstance(weight, int | float):
            raise DispatchError(f"{self.name}.weight must be a number, not {weight!r}")
        if not (math.isfinite(weight) and weight >= 0):
            raise DispatchError(f"{self.name}.weight must be a number >= 0, not {weight!r}")
        count = self.fixed_count
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise DispatchError(f"{self.name}.fixed_count must be an integer >= 0, not {count!r}")


def specs_from_classes(classes: Iterable[type]) -> list[UserClassSpec]:
    """Specs from user classes: their ``__name__``, ``weight`` (1) and ``fixed_count`` (0)."""
    return [
        UserClassSpec(cls.__name__, getattr(cls, "weight", 1), getattr(cls, "fixed_count", 0))
        for cls in classes
    ]


def class_counts(specs: Sequence[UserClassSpec], total: int) -> dict[str, int]:
    """How many users of each class (every name of ``specs``, in order) make ``total`` users.

    Fixed counts are honoured first, in order; the rest follows the weights, each class
    getting the floor or the ceiling of its share. When no class has a weight above 0 (and
    no fixed count), the counts stop at the sum of the fixed counts.
    """
    if total < 0:
        raise DispatchError(f"the number of users must be 0 or more, not {total}")
    specs = _checked(specs)
    counts = SpawnOrder(specs).counts(total)
    return {spec.name: count for spec, count in zip(specs, counts, strict=True)}


def _checked(specs: Iterable[UserClassSpec]) -> tuple[UserClassSpec, ...]:
    specs = tuple(specs)
    names = [spec.name for spec in specs]
    if len(set(names)) != len(names):
        raise DispatchError(f"user class names must be unique: {names}")
    return specs


class SpawnOrder:
    """The spawn order of a set of classes (see the module docstring), computed lazily.

    ``at(position)`` is ``(class index, rank)``: which class the user at that position of
    the order belongs to, and how many users of its class come before it. The weighted part
    repeats with a period of the sum of the weights as whole numbers (3 for weights 1 and 2),
    so only one period is ever computed and kept.
    """

    def __init__(self, specs: Sequence[UserClassSpec]) -> None:
        self._classes_count = len(specs)
        self._fixed: list[tuple[int, int, int]] = []  # (class index, first position, end)
        self._fixed_total = 0
        for i, spec in enumerate(specs):
            if spec.fixed_count > 0:
                end = self._fixed_total + spec.fixed_count
                self._fixed.append((i, self._fixed_total, end))
                self._fixed_total = end
        self._fixed_starts = [start for _, start, _ in self._fixed]
        self._active = [i for i, s in enumerate(specs) if s.fixed_count == 0 and s.weight > 0]
        self._weights = _whole_numbers([specs[i].weight for i in self._active])
        self._period = sum(self._weights)
        self._cycle: list[int] = []  # index into _active, per position of the period
        self._cycle_rank: list[int] = []
        self._seen = [0] * len(self._active)

    @property
    def capacity(self) -> int | None:
        """The most users the order holds: ``None`` (no limit) when a class has a weight."""
        return None if self._active else self._fixed_total

    def at(self, position: int) -> tuple[int, int]:
        """(class index, rank within the class) of the user at ``position``."""
        if position < self._fixed_total:
            class_index, start, _ = self._fixed[
                bisect.bisect_right(self._fixed_starts, position) - 1
            ]
            return class_index, position - start
        if not self._active:
            raise IndexError(f"the spawn order holds only {self._fixed_total} users")
        laps, offset = divmod(position - self._fixed_total, self._period)
        self._extend(offset + 1)
        local = self._cycle[offset]
        return self._active[local], laps * self._weights[local] + self._cycle_rank[offset]

    def counts(self, total: int) -> list[int]:
        """Users of each class among the first ``total`` of the order."""
        counts = [0] * self._classes_count
        for class_index, start, end in self._fixed:
            counts[class_index] = max(0, min(total, end) - start)
        if not self._active or total <= self._fixed_total:
            return counts
        laps, offset = divmod(total - self._fixed_total, self._period)
        self._extend(offset)
        for local, weight in enumerate(self._weights):
            counts[self._active[local]] = laps * weight
        for local in self._cycle[:offset]:
            counts[self._active[local]] += 1
        return counts

    def _extend(self, length: int) -> None:
        """Compute the period up to ``length`` positions (Tijdeman's rule, in whole numbers).

        At position m (from 1) a class i with weight w_i of W and c_i users so far may be
        chosen when ``m*w_i/W - c_i >= s`` (s = 1/(2k - 2)); of those, the one whose next
        user is due soonest, ``(c_i + 1 - s) / w_i`` smallest, is chosen (the first on a
        tie). A single class is always chosen. After a period every class has exactly its
        weight, so the next period repeats this one.
        """
        slack = 2 * len(self._weights) - 2  # 1/s
        while len(self._cycle) < length:
            chosen = self._choose(len(self._cycle) + 1, slack) if slack else 0
            self._cycle.append(chosen)
            self._cycle_rank.append(self._seen[chosen])
            self._seen[chosen] += 1

    def _choose(self, m: int, slack: int) -> int:
        """The class (index into the weighted ones) of position ``m``; see ``_extend``."""
        total = self._period
        chosen, best_due, best_weight = 0, -1, 1  # (due / weight) of the soonest due so far
        for local, weight in enumerate(self._weights):
            seen = self._seen[local]
            if slack * (m * weight - seen * total) < total:
                continue
            due = slack * (seen + 1) - 1
            if best_due < 0 or due * best_weight < best_due * weight:
                chosen, best_due, best_weight = local, due, weight
        return chosen


def _whole_numbers(weights: list[float]) -> list[int]:
    """The smallest whole numbers in the same ratios as ``weights`` (read as decimals)."""
    fractions = [Fraction(repr(float(w))) for w in weights]
    scale = math.lcm(*(f.denominator for f in fractions)) if fractions else 1
    whole = [int(f * scale) for f in fractions]
    divisor = math.gcd(*whole) if whole else 1
    return [w // divisor for w in whole]


def order_workers(worker_ids: Iterable[str]) -> list[str]:
    """Worker ids in dispatch order: spread over hosts first, then by id.

    A worker id reads ``host_suffix`` (as Locust's ``hostname_uuid``); the first worker of
    every host comes before the second of any host, so a few users land on different hosts.
    """
    seen_per_host: dict[str, int] = {}
    keyed = []
    for worker_id in sorted(set(worker_ids)):
        host = worker_id.rpartition("_")[0] or worker_id
        index = seen_per_host.get(host, 0)
        seen_per_host[host] = index + 1
        keyed.append((index, worker_id))
    return [worker_id for _, worker_id in sorted(keyed)]


class DispatchStep(NamedTuple):
    """One step of a dispatch: wait ``delay`` seconds, then make ``users`` the wanted state."""

    delay: float
    users: Dispatch


class UsersDispatcher:
    """Steps from the users running now to a target, paced by the spawn rate.

    ``new_dispatch(target, rate)``, then iterate: each step is ``(delay, users)``, the seconds
    to wait before applying it (0 for the first) and the wanted users per worker and class
    after it. Steps add or remove up to ``ceil(rate / MAX_STEPS_PER_SECOND)`` users each,
    ``users_per_step / rate`` seconds apart, so n users take about ``n / rate`` seconds.
    Every ``new_dispatch`` yields at least one step, even when nothing changes.

    ``add_worker``/``remove_worker`` make the next step a rebalance, with no delay: the
    same number of users spread over the new set of workers (a removed worker's users are
    started elsewhere at once); the ramp then goes on. If the last worker leaves, that step
    is the empty dispatch and the dispatch ends: add a worker and call ``new_dispatch``.

    The dispatcher is its own iterator, as Locust's is; it may be resumed after it stopped:
    a later ``for`` or ``next`` yields the steps that a new dispatch or a change of workers
    made due since.
    """

    def __init__(self, worker_ids: Iterable[str], specs: Sequence[UserClassSpec]) -> None:
        self._specs = _nonempty(specs)
        self._order = SpawnOrder(self._specs)
        self._workers = order_workers(worker_ids)
        self._target = 0
        self._rate = 0.0
        self._per_step = 1
        self._interval = 0.0
        self._first = False  # the next step starts a dispatch: no delay, and always yielded
        # The current dispatch, placed for the workers and classes it was made for; when
        # those change, the next step places it again.
        self._placed: tuple[list[str], tuple[UserClassSpec, ...]] = ([], ())
        self._plan: Placement | None = None  # where each user of the spawn order runs
        self._shown: list[list[int]] = []  # users per worker and class in the dispatch
        self._count = 0  # users in the dispatch: the first ones of the spawn order
        self._place_again()

    @property
    def specs(self) -> tuple[UserClassSpec, ...]:
        """The user classes, as last given."""
        return self._specs

    @property
    def workers(self) -> list[str]:
        """Worker ids in dispatch order."""
        return list(self._workers)

    @property
    def user_count(self) -> int:
        """Users in the current dispatch."""
        return self._count

    @property
    def target_user_count(self) -> int:
        """Where the ramp is going (the asked target, capped at ``max_user_count``)."""
        return self._target

    @property
    def spawn_rate(self) -> float:
        """Users per second of the last ``new_dispatch`` (0 before the first)."""
        return self._rate

    @property
    def max_user_count(self) -> int | None:
        """The most users the classes allow: the sum of fixed counts when no class has a weight."""
        return self._order.capacity

    @property
    def dispatch_in_progress(self) -> bool:
        """Whether iterating would yield a step now."""
        return self._first or self._must_place_again() or self._count != self._target

    @property
    def counts(self) -> dict[str, int]:
        """Users of each class in the current dispatch, over all workers."""
        return {
            spec.name: sum(per_class[i] for per_class in self._shown)
            for i, spec in enumerate(self._placed[1])
        }

    @property
    def current(self) -> Dispatch:
        """Users per worker and class in the current dispatch (a new dict each time)."""
        workers, specs = self._placed
        names = [spec.name for spec in specs]
        return {
            worker_id: dict(zip(names, per_class, strict=True))
            for worker_id, per_class in zip(workers, self._shown, strict=True)
        }

    def new_dispatch(
        self,
        target_user_count: int,
        spawn_rate: float,
        user_classes: Sequence[UserClassSpec] | None = None,
    ) -> None:
        """Head for ``target_user_count`` users at ``spawn_rate`` users/s, from where it is now.

        ``user_classes`` replaces the classes (as a load shape may); the users running are
        then redistributed over the new classes in the first step, without waiting.
        Raises ``DispatchError`` (a ``ValueError``) for a negative count, a rate that is not
        above 0, or users asked for while there is no worker to run them.
        """
        if target_user_count < 0:
            raise DispatchError(f"the number of users must be 0 or more, not {target_user_count}")
        if not (math.isfinite(spawn_rate) and spawn_rate > 0):
            raise DispatchError(f"the spawn rate must be a number above 0, not {spawn_rate!r}")
        if target_user_count > 0 and not self._workers:
            raise DispatchError(f"no workers to run {target_user_count} users on")
        if user_classes is not None and tuple(user_classes) != self._specs:
            self._specs = _nonempty(user_classes)
            self._order = SpawnOrder(self._specs)
        capacity = self._order.capacity
        self._target = target_user_count if capacity is None else min(target_user_count, capacity)
        self._rate = spawn_rate
        self._per_step = max(1, math.ceil(spawn_rate / MAX_STEPS_PER_SECOND))
        self._interval = self._per_step / spawn_rate
        self._first = True

    def add_worker(self, worker_id: str) -> None:
        """A worker joined: the next step spreads the users over it too (no-op if known)."""
        if worker_id not in self._workers:
            self._workers = order_workers([*self._workers, worker_id])

    def remove_worker(self, worker_id: str) -> None:
        """A worker left: the next step restarts its users elsewhere (no-op if unknown)."""
        self._workers = [w for w in self._workers if w != worker_id]

    def next_step(self) -> DispatchStep | None:
        """The next step, or ``None`` when the dispatch is complete."""
        placed_again = self._must_place_again()
        if placed_again:
            self._place_again()
        count = self._count
        if not self._first:
            # A rebalance in the middle of a ramp is a step of its own: the next users wait.
            if placed_again:
                return DispatchStep(0.0, self.current)
            if count == self._target:
                return None
        delay = 0.0 if self._first else self._interval
        self._first = False
        change = max(-self._per_step, min(self._per_step, self._target - count))
        self._move_to(count + change)
        return DispatchStep(delay, self.current)

    def __iter__(self) -> Iterator[DispatchStep]:
        return self

    def __next__(self) -> DispatchStep:
        step = self.next_step()
        if step is None:
            raise StopIteration
        return step

    def _must_place_again(self) -> bool:
        return self._placed != (self._workers, self._specs)

    def _place_again(self) -> None:
        """Place the users of the dispatch again, for the workers and classes of now."""
        count = self._count
        capacity = self._order.capacity
        if capacity is not None:
            count = min(count, capacity)
        self._placed = (list(self._workers), self._specs)
        self._plan = Placement(len(self._workers), len(self._specs)) if self._workers else None
        self._count = 0
        self._recount()
        if self._plan is None:
            self._target, self._first = 0, False
        self._move_to(count)

    def _move_to(self, user_count: int) -> None:
        plan = self._plan
        if plan is None:
            return
        # Place every user of the ramp before starting any, as placing may move earlier ones.
        wanted = max(user_count, self._target)
        if len(plan) < wanted:
            moved = plan.extend(self._order.at(p) for p in range(len(plan), wanted))
            if moved < self._count:
                self._recount()
        for position in range(self._count, user_count):
            self._shown[plan.worker_of(position)][plan.class_of(position)] += 1
        for position in range(user_count, self._count):
            self._shown[plan.worker_of(position)][plan.class_of(position)] -= 1
        self._count = user_count

    def _recount(self) -> None:
        workers, specs = self._placed
        self._shown = [[0] * len(specs) for _ in workers]
        if (plan := self._plan) is not None:
            for position in range(self._count):
                self._shown[plan.worker_of(position)][plan.class_of(position)] += 1


def _nonempty(specs: Iterable[UserClassSpec]) -> tuple[UserClassSpec, ...]:
    checked = _checked(specs)
    if not checked:
        raise DispatchError("no user classes to dispatch")
    return checked
