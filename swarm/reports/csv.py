"""CSV reports with Locust 2.x's files and column headers, so existing dashboards keep working.

``PREFIX_stats.csv`` (one row per entry, Aggregated last), ``PREFIX_failures.csv``,
``PREFIX_exceptions.csv`` and ``PREFIX_stats_history.csv`` (one Aggregated row per point in
time; a row per entry too with ``full_history``). Reports read the statistics and never
change them.

The three summary files are rewritten whole and atomically (a temporary file renamed over
the old one), so a reader never sees half a file; the history file is appended to.

When the statistics keep service times (``stats.service``: an arrival-rate run), columns are
appended after Locust's, which stay first and unchanged so readers by header name keep
working: the uncorrected percentiles (``Service 50%`` ...) in ``PREFIX_stats.csv``, the
iterations started per second and the iterations dropped so far in the history. The history
keeps the columns its header was written with (the first point decides).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from swarm.reports.arrival import rate_since
from swarm.stats.entries import PERCENTILES_TO_REPORT, StatsEntry
from swarm.stats.errors import StatsError
from swarm.stats.request_stats import RequestStats
from swarm.stats.tables import readable_percentiles

Row = Sequence[Any]

STATS_COLUMNS = [
    "Type",
    "Name",
    "Request Count",
    "Failure Count",
    "Median Response Time",
    "Average Response Time",
    "Min Response Time",
    "Max Response Time",
    "Average Content Size",
    "Requests/s",
    "Failures/s",
    *readable_percentiles(PERCENTILES_TO_REPORT),
]

FAILURES_COLUMNS = ["Method", "Name", "Error", "Occurrences"]

EXCEPTIONS_COLUMNS = ["Count", "Message", "Traceback", "Nodes"]

HISTORY_COLUMNS = [
    "Timestamp",
    "User Count",
    "Type",
    "Name",
    "Requests/s",
    "Failures/s",
    *readable_percentiles(PERCENTILES_TO_REPORT),
    "Total Request Count",
    "Total Failure Count",
    "Total Median Response Time",
    "Total Average Response Time",
    "Total Min Response Time",
    "Total Max Response Time",
    "Total Average Content Size",
]

#: Appended to STATS_COLUMNS with service times: their percentiles, uncorrected.
SERVICE_COLUMNS = [f"Service {title}" for title in readable_percentiles(PERCENTILES_TO_REPORT)]

#: Appended to HISTORY_COLUMNS in an arrival-rate run: iterations started per second since
#: the previous point, and iterations dropped since the start.
ARRIVAL_HISTORY_COLUMNS = ["Iterations/s", "Dropped Iterations"]


def stats_columns(service_times: bool = False) -> list[str]:
    """The header of ``PREFIX_stats.csv``: Locust's, then SERVICE_COLUMNS if asked for."""
    return [*STATS_COLUMNS, *SERVICE_COLUMNS] if service_times else list(STATS_COLUMNS)


def history_columns(arrival: bool = False) -> list[str]:
    """The header of ``PREFIX_stats_history.csv``: Locust's, then the arrival columns."""
    return [*HISTORY_COLUMNS, *ARRIVAL_HISTORY_COLUMNS] if arrival else list(HISTORY_COLUMNS)


def _percentile_cells(entry: StatsEntry, current: bool = False) -> list[Any]:
    """Whole milliseconds as Locust writes them, or N/A for an entry without requests."""
    if not entry.num_requests:
        return ["N/A"] * len(PERCENTILES_TO_REPORT)
    if current:
        values = entry.current_histogram().percentiles(PERCENTILES_TO_REPORT)
    else:
        values = entry.get_response_time_percentiles(PERCENTILES_TO_REPORT)
    return [round(v) for v in values]


def _summary_cells(entry: StatsEntry) -> Row:
    """Requests, failures and the response-time summary, as both files put them."""
    return [
        entry.num_requests,
        entry.num_failures,
        round(entry.median_response_time),
        entry.avg_response_time,
        entry.min_response_time or 0,
        entry.max_response_time,
        entry.avg_content_length,
    ]


def _service_cells(stats: RequestStats, entry: StatsEntry) -> list[Any]:
    """The service-time percentiles of ``entry``'s endpoint (N/A when there are none)."""
    service = stats.service
    twin = None
    if service is not None:
        key = (entry.name, entry.method)
        twin = service.total if entry is stats.total else service.entries.get(key)
    return _percentile_cells(twin) if twin is not None else ["N/A"] * len(SERVICE_COLUMNS)


def stats_rows(stats: RequestStats, service_times: bool = False) -> Iterator[Row]:
    """The data rows of ``PREFIX_stats.csv``: each entry by name, then Aggregated; with
    ``service_times``, each row ends with the cells of SERVICE_COLUMNS."""
    for entry in [*stats.sorted_entries(), stats.total]:
        service = _service_cells(stats, entry) if service_times else []
        yield [
            entry.method,
            entry.name,
            *_summary_cells(entry),
            entry.total_rps,
            entry.total_fail_per_sec,
            *_percentile_cells(entry),
            *service,
        ]


def failures_rows(stats: RequestStats) -> Iterator[Row]:
    """The data rows of ``PREFIX_failures.csv``, most frequent error first."""
    errors = sorted(stats.errors.values(), key=lambda e: (-e.occurrences, e.method, e.name))
    for error in errors:
        yield [error.method, error.name, StatsError.parse_error(error.error), error.occurrences]


def exceptions_rows(stats: RequestStats) -> Iterator[Row]:
    """The data rows of ``PREFIX_exceptions.csv``, most frequent first."""
    rows = sorted(stats.exceptions.values(), key=lambda row: -row["count"])
    for row in rows:
        yield [row["count"], row["msg"], row["traceback"], ", ".join(sorted(row["nodes"]))]


def history_rows(
    stats: RequestStats,
    now: float,
    user_count: int,
    full_history: bool = False,
    iteration_rate: float | None = None,
) -> Iterator[Row]:
    """The rows of one point in ``PREFIX_stats_history.csv``.

    As in Locust: percentiles are cumulative on the Aggregated-only history, and of the
    last ~10 s (the current window) when ``full_history`` adds a row per entry. With an
    ``iteration_rate`` (an arrival-rate run), every row of the point ends with the cells of
    ARRIVAL_HISTORY_COLUMNS, like the user count a property of the point.
    """
    entries = [*stats.sorted_entries(), stats.total] if full_history else [stats.total]
    current = full_history and stats.total.use_response_times_cache
    arrival = [] if iteration_rate is None else [f"{iteration_rate:2f}", stats.dropped_iterations]
    for entry in entries:
        yield [
            int(now),
            user_count,
            entry.method or "",
            entry.name,
            f"{entry.current_rps:2f}",
            f"{entry.current_fail_per_sec:2f}",
            *_percentile_cells(entry, current),
            *_summary_cells(entry),
            *arrival,
        ]


def write_csv_atomically(path: Path, header: Row, rows: Iterable[Row]) -> None:
    """Write ``header`` and ``rows`` to ``path`` through a temporary file renamed over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with temporary.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    os.replace(temporary, path)


class CsvReport:
    """The CSV files of one run, named ``PREFIX_stats.csv`` and so on.

    ``write_history_row(now, user_count)`` appends one point to the history file (the first
    call creates it with its header); ``write_final()`` (re)writes the three summary files and
    may be called as often as wanted, for instance every few seconds during a run.
    """

    def __init__(
        self, stats: RequestStats, prefix: str | os.PathLike[str], full_history: bool = False
    ):
        self.stats = stats
        self.prefix = os.fspath(prefix)
        self.full_history = full_history
        self._history_started = False
        #: Whether the history has the arrival columns: decided with its header.
        self._history_arrival = False
        # (time, iterations) of the latest history point, for the iterations per second.
        self._last_point: tuple[float, int] | None = None

    def path(self, suffix: str) -> Path:
        """The file for ``suffix`` ("stats", "failures", "exceptions", "stats_history")."""
        return Path(f"{self.prefix}_{suffix}.csv")

    def write_history_row(self, now: float, user_count: int) -> None:
        """Append the rows of one point in time to ``PREFIX_stats_history.csv``, flushed."""
        path = self.path("stats_history")
        if not self._history_started:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._history_arrival = self.stats.service is not None
        rows = history_rows(
            self.stats, now, user_count, self.full_history, self._iteration_rate(now)
        )
        with path.open("a" if self._history_started else "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            if not self._history_started:
                writer.writerow(history_columns(self._history_arrival))
            writer.writerows(rows)
        self._history_started = True

    def _iteration_rate(self, now: float) -> float | None:
        """Iterations/s since the previous point, if the history has the arrival columns."""
        if not self._history_arrival:
            return None
        iterations = self.stats.iterations
        rate = rate_since(self._last_point, now, iterations, self.stats.start_time)
        self._last_point = (now, iterations)
        return rate

    def write_final(self) -> None:
        """Write ``PREFIX_stats.csv``, ``PREFIX_failures.csv`` and ``PREFIX_exceptions.csv``."""
        service = self.stats.service is not None
        write_csv_atomically(
            self.path("stats"), stats_columns(service), stats_rows(self.stats, service)
        )
        write_csv_atomically(self.path("failures"), FAILURES_COLUMNS, failures_rows(self.stats))
        write_csv_atomically(
            self.path("exceptions"), EXCEPTIONS_COLUMNS, exceptions_rows(self.stats)
        )
