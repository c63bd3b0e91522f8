"""CSV reports with Locust 2.x's files and column headers, so existing dashboards keep working.

``PREFIX_stats.csv`` (one row per entry, Aggregated last), ``PREFIX_failures.csv``,
``PREFIX_exceptions.csv`` and ``PREFIX_stats_history.csv`` (one Aggregated row per point in
time; a row per entry too with ``full_history``). Reports read the statistics and never
change them.

The three summary files are rewritten whole and atomically (a temporary file renamed over
the old one), so a reader never sees half a file; the history file is appended to.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

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


def stats_rows(stats: RequestStats) -> Iterator[Row]:
    """The data rows of ``PREFIX_stats.csv``: each entry by name, then Aggregated."""
    for entry in [*stats.sorted_entries(), stats.total]:
        yield [
            entry.method,
            entry.name,
            *_summary_cells(entry),
            entry.total_rps,
            entry.total_fail_per_sec,
            *_percentile_cells(entry),
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
    stats: RequestStats, now: float, user_count: int, full_history: bool = False
) -> Iterator[Row]:
    """The rows of one point in ``PREFIX_stats_history.csv``.

    As in Locust: percentiles are cumulative on the Aggregated-only history, and of the
    last ~10 s (the current window) when ``full_history`` adds a row per entry.
    """
    entries = [*stats.sorted_entries(), stats.total] if full_history else [stats.total]
    current = full_history and stats.total.use_response_times_cache
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

    def path(self, suffix: str) -> Path:
        """The file for ``suffix`` ("stats", "failures", "exceptions", "stats_history")."""
        return Path(f"{self.prefix}_{suffix}.csv")

    def write_history_row(self, now: float, user_count: int) -> None:
        """Append the rows of one point in time to ``PREFIX_stats_history.csv``, flushed."""
        path = self.path("stats_history")
        if not self._history_started:
            path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a" if self._history_started else "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            if not self._history_started:
                writer.writerow(HISTORY_COLUMNS)
            writer.writerows(history_rows(self.stats, now, user_count, self.full_history))
        self._history_started = True

    def write_final(self) -> None:
        """Write ``PREFIX_stats.csv``, ``PREFIX_failures.csv`` and ``PREFIX_exceptions.csv``."""
        write_csv_atomically(self.path("stats"), STATS_COLUMNS, stats_rows(self.stats))
        write_csv_atomically(self.path("failures"), FAILURES_COLUMNS, failures_rows(self.stats))
        write_csv_atomically(
            self.path("exceptions"), EXCEPTIONS_COLUMNS, exceptions_rows(self.stats)
        )
