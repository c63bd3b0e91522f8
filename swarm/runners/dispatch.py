"""Who runs how many users of which class on which worker: a pure function of the inputs.

No I/O, no clock: time is an input (the delays between steps), so the whole ramp of a test
with 100,000 users over 500 workers is computed and tested without sleeping.

How users are placed:

- **Class totals.** ``fixed_count`` classes get exactly their count first (in declaration
  order, as far as the target allows); the rest is split by weight with largest-remainder
  rounding, so the totals add up exactly and each class gets the floor or ceiling of its share.
- **Ramp order.** Users are added (or removed) in a smooth weighted round robin over what each
  class still lacks (or has too many of), so every prefix of a ramp follows the weights.
- **Workers.** The i-th user of a class runs on worker ``(offset + i) mod W``, with the
  classes' offsets spread over the workers. So each class is spread as evenly as possible
  (per-worker counts differ by at most one), the totals stay close, and removing the newest
  user of a class removes it from the worker that got it last (LIFO).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from swarm.exceptions import SwarmError

#: Ramps go in steps at most this often, so a high spawn rate batches users per step.
MAX_STEPS_PER_SECOND = 10

Dispatch = dict[str, dict[str, int]]


@dataclass(frozen=True)
class UserClassSpec:
    """What dispatch needs to know of a user class."""

    name: str
    weight: float = 1.0
    fixed_count: int = 0


def specs_from_classes(classes: Iterable[type]) -> list[UserClassSpec]:
    """Specs from user classes (their ``__name__``, ``weight`` and ``fixed_count``)."""
    return [
        UserClassSpec(c.__name__, float(getattr(c, "weight", 1)), int(getattr(c, "fixed_count", 0)))
        for c in classes
    ]


def class_counts(specs: Sequence[UserClassSpec], total: int) -> dict[str, int]:
    """How many users of each class make ``total`` users."""
    counts = {s.name: 0 for s in specs}
    left = total
    for spec in specs:
        if spec.fixed_count:
            counts[spec.name] = min(spec.fixed_count, left)
            left -= counts[spec.name]
    weighted = [s for s in specs if not s.fixed_count and s.weight > 0]
    weight_sum = sum(s.weight for s in weighted)
    if left <= 0 or weight_sum <= 0:
        return counts
    shares = [(s, left * s.weight / weight_sum) for s in weighted]
    for spec, share in shares:
        counts[spec.name] = math.floor(share)
    remainder = left - sum(math.floor(share) for _, share in shares)
    # largest remainders first; declaration order breaks ties, so the result is deterministic
    by_remainder = sorted(
        range(len(shares)), key=lambda i: (-(shares[i][1] - math.floor(shares[i][1])), i)
    )
    for i in by_remainder[:remainder]:
        counts[shares[i][0].name] += 1
    return counts


def interleave(amounts: dict[str, int]) -> Iterator[str]:
    """Class names, each ``amounts[name]`` times, smoothly interleaved (weighted round robin).

    Every prefix holds each class in proportion to its amount, within one.
    """
    left = {name: n for name, n in amounts.items() if n > 0}
    total = sum(left.values())
    credit = dict.fromkeys(left, 0)
    for _ in range(total):
        for name, n in left.items():
            credit[name] += n
        chosen = max(credit, key=lambda k: credit[k])
        credit[chosen] -= total
        yield chosen


def users_on_worker(count: int, offset: int, worker_index: int, workers: int) -> int:
    """How many of a class's ``count`` users land on one worker (placed cyclically)."""
    full, extra = divmod(count, workers)
    return full + (1 if (worker_index - offset) % workers < extra else 0)


def step_plan(amount: int, spawn_rate: float) -> tuple[float, int]:
    """(seconds between steps, users per step) for moving ``amount`` users at ``spawn_rate``."""
    per_step = max(1, math.ceil(spawn_rate / MAX_STEPS_PER_SECOND))
    # the interval follows from the batch, so per_step / interval is exactly the rate
    return per_step / spawn_rate, min(per_step, max(amount, 1))


class UsersDispatcher:
    """Steps from the current users to a target, paced by the spawn rate.

    ``new_dispatch(target, rate)``, then iterate: each item is ``(delay_s, dispatch)``, the
    seconds to wait before applying it and the wanted users per worker and class after it.
    """

    def __init__(self, worker_ids: Sequence[str], specs: Sequence[UserClassSpec]) -> None:
        if not specs:
            raise SwarmError("no user classes to dispatch")
        self.specs = list(specs)
        self._workers: list[str] = []
        self._counts = {s.name: 0 for s in self.specs}
        self._plan: list[tuple[str, int]] = []  # (class, +1 or -1) still to apply
        self._interval = 0.0
        self._per_step = 1
        self._first = True
        self._rebalance = False
        for worker in worker_ids:
            self.add_worker(worker)
        self._rebalance = False  # nothing runs yet, so there is nothing to move

    @property
    def workers(self) -> list[str]:
        return list(self._workers)

    @property
    def counts(self) -> dict[str, int]:
        """Users of each class now, over all workers."""
        return dict(self._counts)

    @property
    def current(self) -> Dispatch:
        """Users per worker and class now."""
        workers = len(self._workers)
        offsets = self._offsets()
        return {
            worker: {
                name: users_on_worker(count, offsets[name], index, workers)
                for name, count in self._counts.items()
            }
            for index, worker in enumerate(self._workers)
        }

    def add_worker(self, worker_id: str) -> None:
        if worker_id in self._workers:
            return
        self._workers.append(worker_id)
        self._workers.sort()
        self._rebalance = True

    def remove_worker(self, worker_id: str) -> None:
        if worker_id in self._workers:
            self._workers.remove(worker_id)
            self._rebalance = True

    def new_dispatch(self, target_user_count: int, spawn_rate: float) -> None:
        """Aim at ``target_user_count`` users from where the ramp is now."""
        if target_user_count < 0:
            raise SwarmError(f"the number of users must be 0 or more, not {target_user_count}")
        if spawn_rate <= 0:
            raise SwarmError(f"the spawn rate must be above 0, not {spawn_rate}")
        wanted = class_counts(self.specs, target_user_count)
        grow = {n: wanted[n] - c for n, c in self._counts.items() if wanted[n] > c}
        shrink = {n: c - wanted[n] for n, c in self._counts.items() if wanted[n] < c}
        self._plan = [(n, -1) for n in interleave(shrink)] + [(n, 1) for n in interleave(grow)]
        self._plan.reverse()  # popped from the end
        self._interval, self._per_step = step_plan(len(self._plan), spawn_rate)
        self._first = True

    def __iter__(self) -> Iterator[tuple[float, Dispatch]]:
        return self

    def __next__(self) -> tuple[float, Dispatch]:
        if not self._workers:
            raise SwarmError("no workers to dispatch users to")
        if self._rebalance and not self._plan:
            self._rebalance = False
            return 0.0, self.current
        if not self._plan:
            raise StopIteration
        for _ in range(min(self._per_step, len(self._plan))):
            name, change = self._plan.pop()
            self._counts[name] += change
        delay = 0.0 if self._first else self._interval
        self._first = False
        self._rebalance = False
        return delay, self.current

    def _offsets(self) -> dict[str, int]:
        workers = max(1, len(self._workers))
        count = len(self.specs)
        return {s.name: (i * workers) // count for i, s in enumerate(self.specs)}
