"""Counts per second over a short window, taken from a running total instead of per event.

An entry bumps its request counter on every request anyway; counting the same request again
in a dict keyed by second would double the work on the hot path. Instead, when a new second
starts, the difference of the running total since the previous second is stored under the
second that ended. The second in progress is added on reading.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class PerSecondCounts:
    """How many events happened in each of the last ``window`` seconds.

    The owner calls ``settle(total, ended, new)`` at the first event of a new second, with
    its running total *before* counting that event, and reads with ``counts(total, current)``.
    """

    __slots__ = ("_baseline", "_counts", "window")

    def __init__(self, window: int, baseline: int = 0) -> None:
        self.window = window
        self._counts: dict[int, int] = {}
        self._baseline = baseline

    def settle(self, total: int, ended_second: int, new_second: int) -> None:
        """File the events since the last call under ``ended_second``; drop old seconds."""
        pending = total - self._baseline
        if pending:
            self._counts[ended_second] = self._counts.get(ended_second, 0) + pending
            self._baseline = total
        self._forget_before(new_second - self.window)

    def counts(self, total: int, current_second: int) -> dict[int, int]:
        """second -> events, including the second in progress (a new dict)."""
        counts = dict(self._counts)
        pending = total - self._baseline
        if pending:
            counts[current_second] = counts.get(current_second, 0) + pending
        return counts

    def add(self, counts: Mapping[int, int], added_to_total: int, current_second: int) -> None:
        """Merge ``counts`` from elsewhere whose sum the owner also added to its total."""
        for second, n in counts.items():
            self._counts[second] = self._counts.get(second, 0) + n
        self._baseline += added_to_total
        self._forget_before(max(self._counts, default=current_second) - self.window)

    def add_pairs(
        self,
        seconds: Sequence[int],
        counts: Sequence[int],
        added_to_total: int,
        current_second: int,
    ) -> None:
        """``add`` for counts given as two parallel lists (a shipped delta's shape)."""
        mine = self._counts
        for second, n in zip(seconds, counts, strict=True):
            mine[second] = mine.get(second, 0) + n
        self._baseline += added_to_total
        # a master adds many deltas a second: forget old seconds only when there are too many
        if len(mine) > self.window + 2:
            self._forget_before(max(mine) - self.window)

    def _forget_before(self, oldest: int) -> None:
        for second in [s for s in self._counts if s < oldest]:
            del self._counts[second]
