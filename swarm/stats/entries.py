"""One row of statistics: every request with the same (name, method).

Names and meanings follow Locust's ``StatsEntry``; the Aggregated row is the sum of these rows,
computed when read (``swarm.stats.request_stats.AggregatedEntry``). Response times live in a
``Histogram`` (so ``min/max/total_response_time`` and every percentile come from it). What
changes once per second is done once per second: when a second rolls over, the requests and
failures of the past second are filed (a short window of them is kept) and a cumulative
histogram snapshot joins a small ring, from which the *current* percentiles (the last ~10 s)
come. Nothing here grows with the length of a run.

Time comes from the owning ``RequestStats``'s clock (or ``clock=``), never from the system
directly, so tests drive it with a fake clock.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from math import floor
from typing import TYPE_CHECKING, Any

from swarm.stats.histogram import Histogram, bucket_midpoint
from swarm.stats.per_second import PerSecondCounts

if TYPE_CHECKING:
    from swarm.stats.request_stats import RequestStats

Clock = Callable[[], float]

#: The percentiles shown in tables and reports, as fractions.
PERCENTILES_TO_REPORT = [0.5, 0.66, 0.75, 0.8, 0.9, 0.95, 0.98, 0.99, 0.999, 0.9999, 1.0]

#: Seconds covered by the "current" response-time percentiles.
CURRENT_RESPONSE_TIME_PERCENTILE_WINDOW = 10

#: Seconds of per-second request and failure counts kept (current_rps reads 10 of them).
PER_SECOND_WINDOW = 20

# One snapshot per second that saw requests; a lookup needs the oldest one at most
# CURRENT_RESPONSE_TIME_PERCENTILE_WINDOW seconds back, plus the current and a spare one.
_SNAPSHOTS = CURRENT_RESPONSE_TIME_PERCENTILE_WINDOW + 2

# current_rps averages the seconds [last - 12, last - 2): the last two may still be filling.
_RPS_LOOKBACK = 12
_RPS_SETTLING = 2

#: The positions of ``StatsEntry.take_delta()``'s list.
DELTA_FIELDS = (
    "name",
    "method",
    "start_time",
    "last_request_timestamp",
    "num_requests",
    "num_none_requests",
    "num_failures",
    "total_content_length",
    "histogram_count",
    "histogram_zeros",
    "total_response_time",
    "min_response_time",
    "max_response_time",
    "bucket_keys",
    "bucket_counts",
    "request_seconds",
    "request_counts",
    "failure_seconds",
    "failure_counts",
)

# Counters that serialize/unserialize/extend move as plain numbers.
_COUNTERS = ("num_requests", "num_none_requests", "num_failures", "total_content_length")


class StatsEntry:
    """The statistics of one (name, method): counts, response times, per-second rates.

    ``log`` and ``log_error`` record (``RequestStats.on_request`` does what ``log`` does, written
    out on its hot path); recording also moves the owning ``stats``'s last request time.
    Everything else is read on demand. Rates and ``current_*`` values are computed against the
    owning ``stats`` (its last request and start time), as Locust does, so every row of a table
    uses the same time frame.
    """

    def __init__(
        self,
        stats: RequestStats | None,
        name: str,
        method: str,
        use_response_times_cache: bool = False,
        *,
        clock: Clock | None = None,
    ) -> None:
        self.stats = stats
        self.name = name
        self.method = method
        self.use_response_times_cache = use_response_times_cache
        self._clock: Clock = clock or (stats.clock if stats is not None else time.time)
        self.reset()

    def reset(self) -> None:
        """Forget every request; the entry starts again now."""
        now = self._clock()
        self.start_time: float = now
        self.last_request_timestamp: float | None = None
        self.num_requests = 0
        self.num_none_requests = 0
        self.num_failures = 0
        self.total_content_length = 0
        self.histogram = Histogram()
        self._reqs_per_sec = PerSecondCounts(PER_SECOND_WINDOW)
        self._fails_per_sec = PerSecondCounts(PER_SECOND_WINDOW)
        self._enter_second(int(now))
        self._snapshots: deque[tuple[int, Histogram]] = deque(maxlen=_SNAPSHOTS)
        if self.use_response_times_cache:
            self._snapshots.append((self._second - 1, Histogram()))

    # -- recording --------------------------------------------------------------------------

    def log(
        self, response_time: float | None, content_length: int, now: float | None = None
    ) -> None:
        """Count one request. ``response_time`` in ms; None counts in ``num_none_requests``."""
        if now is None:
            now = self._clock()
        if now >= self._next_second:
            self._new_second(floor(now))
        self.num_requests += 1
        self.last_request_timestamp = now
        if self.stats is not None:
            self.stats.last_request_timestamp = now
        if response_time is None:
            self.num_none_requests += 1
        else:
            self.histogram.record(response_time)
        self.total_content_length += content_length

    def log_error(self, error: object = None, now: float | None = None) -> None:
        """Count one failure (the error itself is grouped by ``RequestStats``)."""
        if now is None:
            now = self._clock()
        if now >= self._next_second:
            self._new_second(floor(now))
        self.num_failures += 1

    def _new_second(self, second: int) -> None:
        """The first event of a new second, before it is counted: file the past one."""
        if self.use_response_times_cache:
            # The histogram now holds exactly the requests up to the end of second - 1.
            self._snapshots.append((second - 1, self.histogram.copy()))
        self._reqs_per_sec.settle(self.num_requests, self._second, second)
        self._fails_per_sec.settle(self.num_failures, self._second, second)
        self._enter_second(second)

    def _enter_second(self, second: int) -> None:
        # Recording compares the time with the end of the current second: one float
        # comparison per request instead of floor() and an int comparison. A clock that steps
        # back counts its requests in the current second.
        self._second = second
        self._next_second = float(second + 1)

    # -- derived values -------------------------------------------------------------------

    @property
    def num_reqs_per_sec(self) -> dict[int, int]:
        """Requests per second (epoch second -> count) over the last ``PER_SECOND_WINDOW`` s."""
        return self._reqs_per_sec.counts(self.num_requests, self._second)

    @property
    def num_fail_per_sec(self) -> dict[int, int]:
        """Failures per second, like ``num_reqs_per_sec``."""
        return self._fails_per_sec.counts(self.num_failures, self._second)

    @property
    def total_response_time(self) -> float:
        """Sum of the response times (ms) of the requests that had one."""
        return self.histogram.total

    @property
    def min_response_time(self) -> float | None:
        """Fastest response time (ms), None before the first one."""
        return self.histogram.min if self.histogram.count else None

    @property
    def max_response_time(self) -> float:
        """Slowest response time (ms), 0 before the first one."""
        return self.histogram.max

    @property
    def response_times(self) -> dict[int, int]:
        """Locust's coarse distribution: response time rounded to two digits (ms) -> count."""
        hist = self.histogram
        coarse: dict[int, int] = {0: hist.zeros} if hist.zeros else {}
        for key, n in hist.counts.items():
            ms = _two_digits(min(max(bucket_midpoint(key), hist.min), hist.max))
            coarse[ms] = coarse.get(ms, 0) + n
        return coarse

    @property
    def fail_ratio(self) -> float:
        """Failures per request; 1.0 when there are failures and no requests."""
        if self.num_requests:
            return self.num_failures / self.num_requests
        return 1.0 if self.num_failures else 0.0

    @property
    def avg_response_time(self) -> float:
        """Mean response time (ms) of the requests that had one; 0.0 without any."""
        return self.histogram.mean

    @property
    def median_response_time(self) -> float:
        """Median response time (ms), within 0.4%; 0 without any."""
        return self.histogram.percentile(0.5)

    @property
    def avg_content_length(self) -> float:
        """Mean response size in bytes."""
        return self.total_content_length / self.num_requests if self.num_requests else 0.0

    def _time_frame(self) -> tuple[float | None, float]:
        """(last request, start) of the whole stats object, or of this entry when alone."""
        if self.stats is not None:
            return self.stats.last_request_timestamp, self.stats.start_time
        return self.last_request_timestamp, self.start_time

    def _recent_average(self, per_second: dict[int, int]) -> float:
        last, start = self._time_frame()
        if last is None:
            return 0.0
        seconds = range(max(int(last) - _RPS_LOOKBACK, int(start)), int(last) - _RPS_SETTLING)
        if not seconds:
            return 0.0
        return sum(per_second.get(s, 0) for s in seconds) / len(seconds)

    @property
    def current_rps(self) -> float:
        """Requests per second over the ~10 settled seconds before the last request."""
        return self._recent_average(self.num_reqs_per_sec)

    @property
    def current_fail_per_sec(self) -> float:
        """Failures per second over the same seconds as ``current_rps``."""
        return self._recent_average(self.num_fail_per_sec)

    def _per_second_of_run(self, count: int) -> float:
        last, start = self._time_frame()
        if not last or not start or last <= start:
            return 0.0
        return count / (last - start)

    @property
    def total_rps(self) -> float:
        """Requests per second from the start to the last request."""
        return self._per_second_of_run(self.num_requests)

    @property
    def total_fail_per_sec(self) -> float:
        """Failures per second from the start to the last request."""
        return self._per_second_of_run(self.num_failures)

    def get_response_time_percentile(self, percent: float) -> float:
        """Response time (ms) that a fraction ``percent`` (0..1) of requests did not exceed."""
        return self.histogram.percentile(percent)

    def get_response_time_percentiles(self, percents: Iterable[float]) -> list[float]:
        """``get_response_time_percentile`` for several fractions at once."""
        return self.histogram.percentiles(percents)

    def current_histogram(self) -> Histogram:
        """The response times of (about) the last 10 seconds.

        Raises ValueError when the entry keeps no snapshots (``use_response_times_cache``).
        """
        if not self.use_response_times_cache:
            raise ValueError("current percentiles need use_response_times_cache=True")
        since = int(self._clock()) - CURRENT_RESPONSE_TIME_PERCENTILE_WINDOW
        window = self.histogram.copy()
        # A snapshot keyed s holds every request up to the end of second s, and also the state
        # at the end of every earlier second back to the previous snapshot's second + 1: the
        # first key >= since is the state at the end of second `since`.
        for second, snapshot in self._snapshots:
            if second >= since:
                window.subtract(snapshot)
                return window
        return Histogram()

    def get_current_response_time_percentile(self, percent: float) -> float:
        """Like ``get_response_time_percentile``, over the last ~10 s only; 0 when idle."""
        return self.current_histogram().percentile(percent)

    # -- merging and shipping ---------------------------------------------------------------

    def extend(self, other: StatsEntry) -> None:
        """Add the statistics of ``other`` (the same name from another node) to this entry."""
        if other.last_request_timestamp is not None:
            second = int(other.last_request_timestamp)
            if second > self._second:
                self._new_second(second)
            self.last_request_timestamp = _latest(
                self.last_request_timestamp, other.last_request_timestamp
            )
            if self.stats is not None:
                self.stats.last_request_timestamp = _latest(
                    self.stats.last_request_timestamp, other.last_request_timestamp
                )
        self.start_time = min(self.start_time, other.start_time)
        for counter in _COUNTERS:
            setattr(self, counter, getattr(self, counter) + getattr(other, counter))
        self.histogram.merge(other.histogram)
        self._reqs_per_sec.add(other.num_reqs_per_sec, other.num_requests, self._second)
        self._fails_per_sec.add(other.num_fail_per_sec, other.num_failures, self._second)

    def serialize(self) -> dict[str, Any]:
        """A plain dict: Locust's fields, with ``histogram`` instead of ``response_times``.

        Only str map keys (seconds are written "1700000000"), so msgpack with its default
        ``strict_map_key`` and JSON both carry it unchanged.
        """
        return {
            "name": self.name,
            "method": self.method,
            "last_request_timestamp": self.last_request_timestamp,
            "start_time": self.start_time,
            "num_requests": self.num_requests,
            "num_none_requests": self.num_none_requests,
            "num_failures": self.num_failures,
            "total_response_time": self.total_response_time,
            "max_response_time": self.max_response_time,
            "min_response_time": self.min_response_time,
            "total_content_length": self.total_content_length,
            "num_reqs_per_sec": _str_keys(self.num_reqs_per_sec),
            "num_fail_per_sec": _str_keys(self.num_fail_per_sec),
            "histogram": self.histogram.to_dict(),
        }

    @classmethod
    def unserialize(cls, data: Mapping[str, Any], stats: RequestStats | None = None) -> StatsEntry:
        """The entry that ``serialize`` or ``to_dict`` described.

        JSON's string keys are read back as ints. A dict without ``histogram`` (Locust's
        format) is rebuilt from its ``response_times`` and its exact min, max and total.
        """
        entry = cls(stats, data["name"], data["method"])
        entry.start_time = data["start_time"]
        entry.last_request_timestamp = data["last_request_timestamp"]
        for counter in _COUNTERS:
            setattr(entry, counter, data[counter])
        # as if merged into an empty entry: the counts are filed, nothing is pending
        entry._reqs_per_sec.add(
            _int_keys(data["num_reqs_per_sec"]), entry.num_requests, entry._second
        )
        entry._fails_per_sec.add(
            _int_keys(data["num_fail_per_sec"]), entry.num_failures, entry._second
        )
        if "histogram" in data:
            entry.histogram = Histogram.from_dict(data["histogram"])
        else:
            entry.histogram = _histogram_from_locust(data)
        if entry.last_request_timestamp is not None:
            entry._enter_second(int(entry.last_request_timestamp))
        return entry

    def take_delta(self) -> list[Any]:
        """What happened since the last delta, as one flat list, then ``reset()``.

        The list is what a worker ships for this entry: positions rather than keys, so a
        master merging thousands of them a second reads them without a dict per field.
        ``add_delta`` adds it to another entry; ``DELTA_FIELDS`` names the positions.
        """
        hist = self.histogram
        reqs, fails = self.num_reqs_per_sec, self.num_fail_per_sec
        delta = [
            self.name,
            self.method,
            self.start_time,
            self.last_request_timestamp,
            self.num_requests,
            self.num_none_requests,
            self.num_failures,
            self.total_content_length,
            hist.count,
            hist.zeros,
            hist.total,
            hist.min if hist.count else None,
            hist.max,
            list(hist.counts),
            list(hist.counts.values()),
            list(reqs),
            list(reqs.values()),
            list(fails),
            list(fails.values()),
        ]
        self.reset()
        return delta

    def add_delta(self, delta: Sequence[Any]) -> None:
        """Add another node's ``take_delta()`` of the same name to this entry (the master's
        merge: plain additions, no intermediate entry or histogram)."""
        (_, _, start, last, requests, nones, failures, length, count, zeros, total, low, high,
         keys, counts, req_seconds, req_counts, fail_seconds, fail_counts) = delta  # fmt: skip
        if last is not None:
            if last >= self._next_second:
                self._new_second(floor(last))
            if self.last_request_timestamp is None or last > self.last_request_timestamp:
                self.last_request_timestamp = last
            stats = self.stats
            if stats is not None and (
                stats.last_request_timestamp is None or last > stats.last_request_timestamp
            ):
                stats.last_request_timestamp = last
        self.start_time = min(self.start_time, start)
        self.num_requests += requests
        self.num_none_requests += nones
        self.num_failures += failures
        self.total_content_length += length
        hist = self.histogram
        buckets = hist.counts
        get = buckets.get
        for key, n in zip(keys, counts, strict=True):
            buckets[key] = get(key, 0) + n
        hist.count += count
        hist.zeros += zeros
        hist.total += total
        if low is not None and low < hist.min:
            hist.min = low
        hist.max = max(hist.max, high)
        if requests:
            self._reqs_per_sec.add_pairs(req_seconds, req_counts, requests, self._second)
        if failures:
            self._fails_per_sec.add_pairs(fail_seconds, fail_counts, failures, self._second)

    def get_stripped_report(self) -> dict[str, Any]:
        """``serialize()``, then ``reset()``: what a worker ships, as a delta, each report."""
        report = self.serialize()
        self.reset()
        return report

    def to_dict(self) -> dict[str, Any]:
        """Locust's JSON fields plus swarm's: ``percentiles`` ("0.5" -> ms), rates, histogram.

        The fields come in Locust's order; ``unserialize`` reads the result back exactly.
        """
        data = self.serialize()
        histogram = data.pop("histogram")
        per_second = {k: data.pop(k) for k in ("num_reqs_per_sec", "num_fail_per_sec")}
        values = self.get_response_time_percentiles(PERCENTILES_TO_REPORT)
        data.update(
            response_times=self.response_times,
            **per_second,
            percentiles={str(q): v for q, v in zip(PERCENTILES_TO_REPORT, values, strict=True)},
            avg_response_time=self.avg_response_time,
            median_response_time=self.median_response_time,
            avg_content_length=self.avg_content_length,
            current_rps=self.current_rps,
            current_fail_per_sec=self.current_fail_per_sec,
            total_rps=self.total_rps,
            total_fail_per_sec=self.total_fail_per_sec,
            fail_ratio=self.fail_ratio,
            histogram=histogram,
        )
        return data

    def __repr__(self) -> str:
        return f"<StatsEntry {self.method} {self.name!r} requests={self.num_requests}>"


def _latest(known: float | None, seen: float) -> float:
    return seen if known is None else max(known, seen)


def _str_keys(data: Mapping[int, int]) -> dict[str, int]:
    return {str(k): v for k, v in data.items()}


def _int_keys(data: Mapping[Any, int]) -> dict[int, int]:
    return {int(k): int(v) for k, v in data.items()}


def _two_digits(ms: float) -> int:
    """Locust's rounding of a response time: 147 -> 150, 3432 -> 3400, 58760 -> 59000."""
    if ms < 100:
        return round(ms)
    if ms < 1000:
        return int(round(ms, -1))
    if ms < 10000:
        return int(round(ms, -2))
    return int(round(ms, -3))


def _histogram_from_locust(data: Mapping[str, Any]) -> Histogram:
    hist = Histogram()
    for ms, n in _int_keys(data.get("response_times", {})).items():
        hist.record_count(ms, n)
    if hist.count:
        hist.total = float(data["total_response_time"])
        hist.max = float(data["max_response_time"])
        if data.get("min_response_time") is not None:
            hist.min = float(data["min_response_time"])
    return hist
