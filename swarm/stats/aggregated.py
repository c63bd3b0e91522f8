"""The Aggregated row: the sum of a ``RequestStats``'s entries, computed when it is read.

A request is recorded once, into its entry; reads of the total come once a second or less,
requests many thousand times a second, so the sum is made on reading instead of recording.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, overload

from swarm.stats.entries import PER_SECOND_WINDOW, StatsEntry
from swarm.stats.histogram import Histogram

if TYPE_CHECKING:
    from swarm.stats.request_stats import RequestStats

#: The name of the total row, as in Locust.
AGGREGATED = "Aggregated"


class _SumOfEntries:
    """A counter of the Aggregated row: the sum of the same counter over the entries."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, row: None, owner: type) -> _SumOfEntries: ...
    @overload
    def __get__(self, row: AggregatedEntry, owner: type) -> int: ...
    def __get__(self, row: AggregatedEntry | None, owner: type) -> int | _SumOfEntries:
        if row is None:
            return self
        name = self.name
        return sum(getattr(entry, name) for entry in row.stats.entries.values())

    def __set__(self, row: AggregatedEntry, value: int) -> None:
        raise AttributeError(_READ_ONLY)


_READ_ONLY = "the Aggregated row is the sum of the entries: record into an entry instead"


class AggregatedEntry(StatsEntry):
    """The Aggregated row of a ``RequestStats``: the sum of its entries, computed when read.

    It reads like any ``StatsEntry`` (counters, percentiles, rates, ``serialize``), and is
    always up to date. Its counters and ``last_request_timestamp`` cannot be set, and it
    records nothing itself (``log``, ``log_error`` and ``extend`` raise TypeError). Its own
    state is its ``start_time``. The merged histogram is kept until an entry changes.
    """

    num_requests = _SumOfEntries()
    num_none_requests = _SumOfEntries()
    num_failures = _SumOfEntries()
    total_content_length = _SumOfEntries()

    def __init__(self, stats: RequestStats) -> None:
        self.stats: RequestStats = stats
        self._merged = Histogram()
        self._merged_from: list[tuple[Histogram, int]] = []
        super().__init__(stats, AGGREGATED, "", stats.use_response_times_cache)

    def reset(self) -> None:
        """Start the row's time frame again now (the entries are reset by their owner)."""
        self.start_time = self._clock()

    @property
    def last_request_timestamp(self) -> float | None:
        """When the latest request of any entry was recorded."""
        return self.stats.last_request_timestamp

    @last_request_timestamp.setter
    def last_request_timestamp(self, value: float | None) -> None:
        raise AttributeError(_READ_ONLY)

    @property
    def histogram(self) -> Histogram:
        """The merge of the entries' histograms (do not change it)."""
        sources = [(e.histogram, e.histogram.count) for e in self.stats.entries.values()]
        if len(sources) != len(self._merged_from) or any(
            h is not old or n != old_n
            for (h, n), (old, old_n) in zip(sources, self._merged_from, strict=True)
        ):
            merged = Histogram()
            for h, _ in sources:
                merged.merge(h)
            self._merged, self._merged_from = merged, sources
        return self._merged

    @histogram.setter
    def histogram(self, value: Histogram) -> None:
        raise AttributeError(_READ_ONLY)

    @property
    def num_reqs_per_sec(self) -> dict[int, int]:
        return self._sum_per_second("num_reqs_per_sec")

    @property
    def num_fail_per_sec(self) -> dict[int, int]:
        return self._sum_per_second("num_fail_per_sec")

    def _sum_per_second(self, field: str) -> dict[int, int]:
        summed: dict[int, int] = {}
        for entry in self.stats.entries.values():
            for second, n in getattr(entry, field).items():
                summed[second] = summed.get(second, 0) + n
        oldest = max(summed, default=0) - PER_SECOND_WINDOW
        return {second: n for second, n in summed.items() if second >= oldest}

    def current_histogram(self) -> Histogram:
        """The merge of the entries' ``current_histogram()``."""
        if not self.use_response_times_cache:
            raise ValueError("current percentiles need use_response_times_cache=True")
        window = Histogram()
        for entry in self.stats.entries.values():
            window.merge(entry.current_histogram())
        return window

    def log(
        self, response_time: float | None, content_length: int, now: float | None = None
    ) -> None:
        raise TypeError(_READ_ONLY)

    def log_error(self, error: object = None, now: float | None = None) -> None:
        raise TypeError(_READ_ONLY)

    def extend(self, other: StatsEntry) -> None:
        raise TypeError(_READ_ONLY)
