"""``RequestStats``: the whole statistics model of one process.

It holds one ``StatsEntry`` per (name, method), the Aggregated ``total``, the grouped failures
(``errors``), the exceptions raised by user code, and a bounded history for charts. It is fed
by the request event (``on_request``) and read by tables, reports and the web UI.

A request is recorded once, into its entry. The Aggregated row (``AggregatedEntry``) is the sum
of the entries, computed when it is read: reads come once a second or less, requests many
thousand times a second.

Everything is capped: past ``max_names`` distinct (name, method) pairs, new names are counted
in one overflow entry; past ``max_errors`` distinct errors (or exceptions), in one overflow
error; the history keeps ``history_size`` records and, when full, halves its resolution
instead of forgetting the start of the run. Each cap logs one warning.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import deque
from collections.abc import Mapping
from datetime import UTC, datetime
from math import floor, frexp
from typing import Any

from swarm.stats.aggregated import AggregatedEntry
from swarm.stats.entries import Clock, StatsEntry
from swarm.stats.errors import StatsError
from swarm.stats.histogram import KEY_SCALE, KEY_SHIFT

logger = logging.getLogger(__name__)


_OVERFLOW_ERROR_KEY = "overflow"


class RequestStats:
    """Statistics of requests, failures and exceptions, with a bounded history.

    ``on_request`` is the listener of the request event. ``clock`` gives epoch seconds; tests
    pass a fake one. ``use_response_times_cache`` keeps the snapshots behind the *current*
    percentiles (a worker, which never shows them, can turn it off).
    """

    def __init__(
        self,
        *,
        clock: Clock = time.time,
        max_names: int = 1000,
        max_errors: int = 1000,
        history_size: int = 3600,
        use_response_times_cache: bool = True,
    ) -> None:
        self.clock = clock
        self.max_names = max_names
        self.max_errors = max_errors
        self.use_response_times_cache = use_response_times_cache
        self.entries: dict[tuple[str, str], StatsEntry] = {}
        self.errors: dict[str, StatsError] = {}
        self.exceptions: dict[str, dict[str, Any]] = {}
        self.history: deque[dict[str, Any]] = deque(maxlen=max(history_size, 2))
        #: When the latest request was recorded (epoch seconds), None before the first one.
        self.last_request_timestamp: float | None = None
        self.total = AggregatedEntry(self)
        self._history_stride = 1
        self._history_calls = 0
        self._warned: set[str] = set()
        #: Arrival-rate mode: iterations started, and those due when no user could run them
        #: (dropped; see swarm.runners.arrival).
        self.iterations = 0
        self.dropped_iterations = 0
        #: Arrival-rate mode: the same requests timed as the client saw them, without the
        #: coordinated-omission correction these entries carry; None in the closed model.
        self.service: RequestStats | None = None

    def keep_service_times(self) -> RequestStats:
        """Start keeping ``service`` (uncorrected service times) beside these statistics."""
        if self.service is None:
            self.service = RequestStats(
                clock=self.clock,
                max_names=self.max_names,
                history_size=2,
                use_response_times_cache=self.use_response_times_cache,
            )
        return self.service

    def _new_entry(self, name: str, method: str) -> StatsEntry:
        return StatsEntry(self, name, method, self.use_response_times_cache)

    # -- totals ---------------------------------------------------------------------------

    @property
    def num_requests(self) -> int:
        return self.total.num_requests

    @property
    def num_none_requests(self) -> int:
        return self.total.num_none_requests

    @property
    def num_failures(self) -> int:
        return self.total.num_failures

    @property
    def fail_ratio(self) -> float:
        return self.total.fail_ratio

    @property
    def start_time(self) -> float:
        return self.total.start_time

    # -- recording (hot path) ---------------------------------------------------------------

    def on_request(
        self,
        request_type: str,
        name: str,
        response_time: float | None,
        response_length: int,
        *,
        exception: BaseException | str | None = None,
        response: Any = None,
        context: Any = None,
        start_time: Any = None,
        url: Any = None,
        **_: Any,
    ) -> None:
        """Listener of the request event: log the request and, if it failed, its error.

        ``response``, ``context``, ``start_time`` and ``url`` are unused: naming them lets
        Python bind the event's arguments without filling a dict of leftovers.

        This is ``StatsEntry.log`` with ``Histogram.record`` written out in it (the same
        effect, tested): it runs once per request, and a Python call costs as much as several
        of these lines. ``d[k] += 1`` with a rare KeyError is cheaper than ``d.get(k, 0)``.
        """
        now = self.clock()
        self.last_request_timestamp = now
        entry = self.entries.get((name, request_type)) or self._add_entry(name, request_type)
        if now >= entry._next_second:
            entry._new_second(floor(now))
        entry.num_requests += 1
        entry.last_request_timestamp = now
        entry.total_content_length += response_length
        if response_time is None:
            entry.num_none_requests += 1
        else:
            hist = entry.histogram
            if response_time > 0.0:
                m, e = frexp(response_time)
                key = (e << KEY_SHIFT) + floor(m * KEY_SCALE)
                try:
                    hist.counts[key] += 1
                except KeyError:
                    hist.counts[key] = 1
            else:
                response_time = 0.0
                hist.zeros += 1
            hist.count += 1
            hist.total += response_time
            if response_time < hist.min:  # noqa: PLR1730 -- cheaper than min() on the hot path
                hist.min = response_time
            if response_time > hist.max:  # noqa: PLR1730 -- cheaper than max() on the hot path
                hist.max = response_time
        if exception is not None:
            self._log_error(entry, exception, now)

    def log_request(
        self, method: str, name: str, response_time: float | None, content_length: int
    ) -> None:
        """Count one request of ``name`` (``response_time`` in ms, None if unknown)."""
        self.get(name, method).log(response_time, content_length, self.clock())

    def log_error(self, method: str, name: str, error: BaseException | str | None) -> None:
        """Count one failure of ``name`` and group its error."""
        self._log_error(self.get(name, method), error, self.clock())

    def _log_error(self, entry: StatsEntry, error: BaseException | str | None, now: float) -> None:
        entry.log_error(error, now)
        key = StatsError.create_key(entry.method, entry.name, error)
        stats_error = self.errors.get(key) or self._add_error(key, entry, error)
        stats_error.occurred(now)

    def log_exception(self, message: str, traceback: str, node: str = "local") -> None:
        """Count one exception raised by user code, grouped by its traceback."""
        key = hashlib.sha256(traceback.encode("utf-8")).hexdigest()
        row = self.exceptions.get(key)
        if row is None:
            if len(self.exceptions) >= self.max_errors:
                key = _OVERFLOW_ERROR_KEY
                message = f"Other (more than {self.max_errors} distinct exceptions)"
                traceback = ""
                self._warn_once("exceptions", f"more than {self.max_errors} distinct exceptions")
            row = self.exceptions.setdefault(
                key, {"count": 0, "msg": message, "traceback": traceback, "nodes": set()}
            )
        row["count"] += 1
        row["nodes"].add(node)

    def get(self, name: str, method: str) -> StatsEntry:
        """The entry of (name, method), created on first use (or the overflow entry)."""
        return self.entries.get((name, method)) or self._add_entry(name, method)

    def _add_entry(self, name: str, method: str) -> StatsEntry:
        if len(self.entries) >= self.max_names:
            self._warn_once(
                "names",
                f"more than {self.max_names} distinct request names: further names are counted "
                f"in one entry; use name= to group URLs with ids",
            )
            name, method = f"Other (more than {self.max_names} names)", ""
            existing = self.entries.get((name, method))
            if existing is not None:
                return existing
        entry = self._new_entry(name, method)
        self.entries[(name, method)] = entry
        return entry

    def _add_error(
        self, key: str, entry: StatsEntry, error: BaseException | str | None
    ) -> StatsError:
        if len(self.errors) >= self.max_errors:
            self._warn_once("errors", f"more than {self.max_errors} distinct errors")
            key = _OVERFLOW_ERROR_KEY
            overflow = self.errors.get(key)
            if overflow is not None:
                return overflow
            name = f"Other (more than {self.max_errors} errors)"
            self.errors[key] = StatsError("", name, "further distinct errors are counted here")
            return self.errors[key]
        self.errors[key] = StatsError(entry.method, entry.name, error)
        return self.errors[key]

    def _warn_once(self, what: str, message: str) -> None:
        if what not in self._warned:
            self._warned.add(what)
            logger.warning(message)

    # -- reading ---------------------------------------------------------------------------

    def sorted_entries(self) -> list[StatsEntry]:
        """The entries ordered by (name, method), without the Aggregated row."""
        return [self.entries[key] for key in sorted(self.entries)]

    def record_history(self, now: float, user_count: int) -> None:
        """Append one point of the charts over time (total rates, current p50/p95, users).

        When the history is full, every other point is dropped and from then on only every
        other call is kept: the whole run stays visible at half the resolution.
        """
        self._history_calls += 1
        if self._history_calls % self._history_stride:
            return
        self.history.append(self._history_point(now, user_count))
        if len(self.history) == self.history.maxlen:
            # Points are at calls that are multiples of the stride: keep every other one, so
            # they stay evenly spaced at twice the stride.
            kept = list(self.history)[1::2]
            self.history.clear()
            self.history.extend(kept)
            self._history_stride *= 2

    def _history_point(self, now: float, user_count: int) -> dict[str, Any]:
        total = self.total
        p50 = p95 = 0.0
        if total.use_response_times_cache:
            p50, p95 = total.current_histogram().percentiles((0.5, 0.95))
        return {
            "time": datetime.fromtimestamp(int(now), UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "timestamp": now,
            "user_count": user_count,
            "current_rps": total.current_rps,
            "current_fail_per_sec": total.current_fail_per_sec,
            "response_time_percentile_0.5": p50,
            "response_time_percentile_0.95": p95,
            "total_avg_response_time": round(total.avg_response_time, 2),
            "num_requests": total.num_requests,
            "num_failures": total.num_failures,
        }

    # -- resetting ---------------------------------------------------------------------------

    def reset_all(self) -> None:
        """Zero every entry and the total, forget errors and history (keep exceptions)."""
        for entry in self.entries.values():
            entry.reset()
        self.total.reset()
        self.last_request_timestamp = None
        self.errors = {}
        self.iterations = self.dropped_iterations = 0
        self._clear_history()
        if self.service is not None:
            self.service.reset_all()

    def clear_all(self) -> None:
        """Remove every entry, error, exception and history point: a new test."""
        self.entries = {}
        self.total = AggregatedEntry(self)
        self.last_request_timestamp = None
        self.errors = {}
        self.exceptions = {}
        self.iterations = self.dropped_iterations = 0
        self.service = None
        self._clear_history()

    def _clear_history(self) -> None:
        self.history.clear()
        self._history_stride = 1
        self._history_calls = 0

    # -- shipping between nodes ---------------------------------------------------------------

    def serialize_stats(self) -> list[dict[str, Any]]:
        """``serialize()`` of each entry that saw a request or a failure (nothing is reset)."""
        return [e.serialize() for e in self.entries.values() if e.num_requests or e.num_failures]

    def serialize_errors(self) -> dict[str, dict[str, Any]]:
        """Every grouped error by its key, as plain dicts."""
        return {key: error.serialize() for key, error in self.errors.items()}

    def take_report(self) -> dict[str, Any]:
        """What a worker sends: every entry's delta, the errors since the last report, then
        starts afresh.

        ``{"entries": [StatsEntry.take_delta(), ...], "start_time": ..., "errors": {...}}``,
        in an arrival-rate run also ``iterations``, ``dropped_iterations`` and ``service`` (the
        service times' own report); ``merge_report`` on the master adds it up exactly.
        """
        report = {
            "entries": [
                e.take_delta() for e in self.entries.values() if e.num_requests or e.num_failures
            ],
            "start_time": self.total.start_time,
            "errors": self.serialize_errors(),
        }
        if self.iterations or self.dropped_iterations:
            report["iterations"] = self.iterations
            report["dropped_iterations"] = self.dropped_iterations
            self.iterations = self.dropped_iterations = 0
        if self.service is not None:
            report["service"] = self.service.take_report()
        self.total.reset()
        self.last_request_timestamp = None
        self.errors = {}
        return report

    def merge_report(self, report: Mapping[str, Any]) -> None:
        """Add a worker's ``take_report()`` (other keys of ``report`` are ignored).

        The Aggregated row follows from the entries; its start is the earliest of all.
        """
        entries = self.entries
        for delta in report["entries"]:
            entry = entries.get((delta[0], delta[1])) or self._add_entry(delta[0], delta[1])
            entry.add_delta(delta)
        start = report.get("start_time")
        if start is not None and start < self.total.start_time:
            self.total.start_time = start
        self.iterations += int(report.get("iterations", 0))
        self.dropped_iterations += int(report.get("dropped_iterations", 0))
        service = report.get("service")
        if isinstance(service, Mapping):
            # one level only: a service report holds no service report of its own
            flat = {key: value for key, value in service.items() if key != "service"}
            self.keep_service_times().merge_report(flat)
        errors: Mapping[str, Mapping[str, Any]] = report.get("errors") or {}
        for key, data in errors.items():
            incoming = StatsError.unserialize(data)
            existing = self.errors.get(key)
            if existing is not None:
                existing.merge(incoming)
            elif len(self.errors) < self.max_errors:
                self.errors[key] = incoming
            else:
                self._add_error(key, self.total, None).merge(incoming)
