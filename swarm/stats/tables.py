"""The console tables: request stats, response-time percentiles and errors.

The ``*_table`` functions are pure and return lines; the ``print_*`` functions log each line
on the ``swarm.stats_logger`` logger (Locust logs its tables on ``locust.stats_logger``), so
that ``--only-summary`` and log files can route or silence the tables apart from other logs.

Layouts follow Locust's: a header, a separator, one row per (name, method) sorted by name,
a separator, and the Aggregated row. The name column fits the longest name up to
``max_name_width`` characters; a longer name keeps its start and end around ``...``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from swarm.stats.entries import PERCENTILES_TO_REPORT, StatsEntry
from swarm.stats.request_stats import RequestStats

console_logger = logging.getLogger("swarm.stats_logger")

#: The widest name column, in characters.
MAX_NAME_WIDTH = 80

_MIN_NAME_WIDTH = 24
_MIN_TYPE_WIDTH = 8
_MAX_TYPE_WIDTH = 12
_ELLIPSIS = "..."


def readable_percentiles(percentiles: Iterable[float]) -> list[str]:
    """Column titles for fractions: 0.5 -> "50%", 0.999 -> "99.9%", 1.0 -> "100%"."""
    titles = []
    for q in percentiles:
        percent = round(q * 100, 6)
        titles.append(f"{int(percent) if percent.is_integer() else percent}%")
    return titles


def truncate(text: str, width: int) -> str:
    """``text`` in at most ``width`` characters, keeping its start and end around "..."."""
    if len(text) <= width:
        return text
    if width <= len(_ELLIPSIS):
        return text[:width]
    tail = (width - len(_ELLIPSIS)) // 2
    head = width - len(_ELLIPSIS) - tail
    return text[:head] + _ELLIPSIS + text[len(text) - tail :]


def _ms(value: float | None) -> str:
    """Milliseconds as shown in tables: one decimal below 10 ms, whole numbers above."""
    if value is None:
        return "0"
    return f"{value:.1f}" if value < 10 else f"{value:.0f}"


class _Columns:
    """The widths of the Type and Name columns for a given set of rows."""

    def __init__(self, entries: Sequence[StatsEntry], max_name_width: int) -> None:
        longest_name = max((len(e.name) for e in entries), default=0)
        longest_type = max((len(e.method or "") for e in entries), default=0)
        self.name = min(max(longest_name, _MIN_NAME_WIDTH), max(max_name_width, 4))
        self.type = min(max(longest_type, _MIN_TYPE_WIDTH), _MAX_TYPE_WIDTH)

    def lead(self, method: str, name: str) -> str:
        return (
            f"{truncate(method, self.type):<{self.type}} {truncate(name, self.name):<{self.name}}"
        )

    def rule(self, header: str, cell_widths: Sequence[int] = ()) -> str:
        """A line of dashes under ``header``, with "|" between columns.

        The header's own "|" stay; the spaces after the Type and Name columns and after each
        cell of ``cell_widths`` (cells separated by one space) become "|" too.
        """
        bars = {self.type, self.type + 1 + self.name}
        position = self.type + 1 + self.name
        for width in cell_widths:
            position += 1 + width
            bars.add(position)
        return "".join(
            "|" if ch == "|" or i in bars else "-" for i, ch in enumerate(header.rstrip())
        )


def _rows(stats: RequestStats) -> tuple[list[StatsEntry], StatsEntry]:
    return stats.sorted_entries(), stats.total


# -- requests -------------------------------------------------------------------------------


def _stats_row(columns: _Columns, entry: StatsEntry, current: bool) -> str:
    rps = entry.current_rps if current else entry.total_rps
    fail_per_sec = entry.current_fail_per_sec if current else entry.total_fail_per_sec
    fails = f"{entry.num_failures}({entry.fail_ratio * 100:.2f}%)"
    return (
        f"{columns.lead(entry.method or '', entry.name)} {entry.num_requests:>7} {fails:>12} |"
        f"{_ms(entry.avg_response_time):>7} {_ms(entry.min_response_time):>6} "
        f"{_ms(entry.max_response_time):>6} {_ms(entry.median_response_time):>6} |"
        f" {rps:>7.2f} {fail_per_sec:>10.2f}"
    )


def stats_table(
    stats: RequestStats, current: bool = True, max_name_width: int = MAX_NAME_WIDTH
) -> list[str]:
    """Requests, failures, Avg/Min/Max/Med (ms) and rates, one row per entry, then Aggregated.

    ``current`` shows the rates of the last ~10 s; otherwise the rates over the whole run.
    """
    entries, total = _rows(stats)
    columns = _Columns([*entries, total], max_name_width)
    header = (
        f"{columns.lead('Type', 'Name')} {'# reqs':>7} {'# fails':>12} |"
        f"{'Avg':>7} {'Min':>6} {'Max':>6} {'Med':>6} | {'req/s':>7} {'failures/s':>10}"
    )
    rule = columns.rule(header)
    rows = [_stats_row(columns, entry, current) for entry in entries]
    return [header, rule, *rows, rule, _stats_row(columns, total, current)]


# -- percentiles ----------------------------------------------------------------------------


def _percentile_row(columns: _Columns, entry: StatsEntry, percentiles: Sequence[float]) -> str:
    values = entry.get_response_time_percentiles(percentiles)
    cells = " ".join(f"{_ms(v):>6}" for v in values)
    return f"{columns.lead(entry.method or '', entry.name)} {cells} {entry.num_requests:>7}"


def percentiles_table(
    stats: RequestStats,
    percentiles: Sequence[float] = PERCENTILES_TO_REPORT,
    max_name_width: int = MAX_NAME_WIDTH,
) -> list[str]:
    """Response-time percentiles (ms) of each entry with response times, then Aggregated."""
    entries, total = _rows(stats)
    entries = [e for e in entries if e.histogram.count]
    columns = _Columns([*entries, total], max_name_width)
    titles = " ".join(f"{t:>6}" for t in readable_percentiles(percentiles))
    header = f"{columns.lead('Type', 'Name')} {titles} {'# reqs':>7}"
    rule = columns.rule(header, [6] * len(percentiles))
    rows = [_percentile_row(columns, e, percentiles) for e in entries]
    footer = [_percentile_row(columns, total, percentiles)] if total.histogram.count else []
    return ["Response time percentiles (approximated)", header, rule, *rows, rule, *footer]


# -- errors ---------------------------------------------------------------------------------


def errors_table(stats: RequestStats) -> list[str]:
    """Each distinct error with its number of occurrences, most frequent first."""
    errors = sorted(stats.errors.values(), key=lambda e: (-e.occurrences, e.to_name()))
    names = [e.to_name() for e in errors]
    width = max([len("Error"), *map(len, names)])
    rule = f"{'-' * 18}|{'-' * (width + 1)}"
    rows = [f"{e.occurrences:<18} {name}" for e, name in zip(errors, names, strict=True)]
    return ["Error report", f"{'# occurrences':<18} Error", rule, *rows, rule]


# -- logging --------------------------------------------------------------------------------


def _log_lines(lines: Iterable[str]) -> None:
    for line in lines:
        console_logger.info(line)
    console_logger.info("")


def print_stats(stats: RequestStats, current: bool = True) -> None:
    """Log ``stats_table`` on the ``swarm.stats_logger`` logger, then a blank line."""
    _log_lines(stats_table(stats, current=current))


def print_percentile_stats(stats: RequestStats) -> None:
    """Log ``percentiles_table`` on the ``swarm.stats_logger`` logger, then a blank line."""
    _log_lines(percentiles_table(stats))


def print_error_report(stats: RequestStats) -> None:
    """Log ``errors_table`` on the ``swarm.stats_logger`` logger, if there are errors."""
    if stats.errors:
        _log_lines(errors_table(stats))
