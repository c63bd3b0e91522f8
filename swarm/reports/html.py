"""The HTML report: one self-contained page a person can open, mail or archive after a run.

Everything is inline (CSS, the vendored uPlot with its licence comment, the chart data), so the
file opens offline and names no external URL. It shows the run's facts, the stats and
percentile tables, charts over time from ``stats.history``, a response-time distribution per
endpoint (from each entry's histogram), failures and exceptions; and, above all of it, a banner
when the load generator itself was saturated (its latencies may be inflated). An arrival-rate
run adds a section with the requested and achieved rates, the dropped iterations and the pool
of users, and the service times' percentiles beside the (corrected) response times'.

All user data is escaped: the tables by Jinja2's autoescaping, the chart data by
:func:`script_json`. Reports read the statistics and never change them.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from markupsafe import Markup

from swarm.__version__ import __version__
from swarm.reports.arrival import ArrivalSummary, arrival_summary
from swarm.reports.console import format_duration
from swarm.reports.csv import (
    EXCEPTIONS_COLUMNS,
    FAILURES_COLUMNS,
    STATS_COLUMNS,
    exceptions_rows,
    failures_rows,
    stats_rows,
)
from swarm.runners.saturation import SaturationSummary
from swarm.stats.entries import StatsEntry
from swarm.stats.histogram import bucket_midpoint
from swarm.stats.request_stats import RequestStats

if TYPE_CHECKING:
    from swarm.env import Environment

#: The vendored uPlot; read as files (not imported), so reports need nothing from the web layer.
UPLOT_DIR = Path(__file__).resolve().parent.parent / "web" / "static" / "vendor" / "uplot"
TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
#: The stats table is the first columns of PREFIX_stats.csv; the percentiles are the rest.
STATS_TABLE_WIDTH = 11
#: Upper bounds (ms) of the distribution's ranges: 1-2-5 steps read at a glance.
DISTRIBUTION_BOUNDS: tuple[float, ...] = (
    1,
    2,
    5,
    10,
    20,
    50,
    100,
    200,
    500,
    1_000,
    2_000,
    5_000,
    10_000,
    20_000,
    50_000,
    math.inf,
)


@dataclass(frozen=True)
class RunFacts:
    """What the report says about the run itself; times are Unix seconds."""

    start: float
    end: float
    users: int
    host: str | None = None
    user_classes: Sequence[str] = ()
    version: str = __version__
    workers: int | None = None
    #: The run's saturation verdict; None when unknown (no runner).
    generator: SaturationSummary | None = None
    #: The open model's rates and drops; None in the closed model.
    arrival: ArrivalSummary | None = None

    @property
    def duration(self) -> float:
        return max(0.0, self.end - self.start)


@dataclass(frozen=True)
class DistributionRow:
    """One range of response times of an endpoint: ``[low, high)`` ms, count, share (0..1)."""

    low: float
    high: float
    count: int
    share: float

    @property
    def label(self) -> str:
        if math.isinf(self.high):
            return f"≥ {self.low:,g} ms"
        return f"{self.low:,g} to {self.high:,g} ms"


@dataclass(frozen=True)
class Distribution:
    """The response-time distribution of one endpoint."""

    method: str
    name: str
    rows: list[DistributionRow] = field(default_factory=list)


def run_facts(environment: Environment, end: float | None = None) -> RunFacts:
    """The facts of ``environment``'s run as it stands (``end`` defaults to now).

    Users is the peak of the recorded history, or the runner's target when there is none yet.
    """
    stats = environment.stats
    runner = environment.runner
    peak = max((int(p.get("user_count", 0)) for p in stats.history), default=0)
    if runner is not None:
        peak = max(peak, runner.user_count, 0 if stats.history else runner.target_user_count or 0)
    workers = getattr(runner, "worker_count", None)
    end = time.time() if end is None else end
    plan = runner.arrival_plan if runner is not None else None
    return RunFacts(
        start=stats.start_time,
        end=end,
        users=peak,
        host=environment.host,
        user_classes=[cls.__name__ for cls in environment.user_classes],
        workers=workers if isinstance(workers, int) else None,
        generator=runner.saturation if runner is not None else None,
        arrival=arrival_summary(stats, plan, end),
    )


def html_file_name(
    template: str, users: int | None, spawn_rate: float | None, run_time: float | None
) -> str:
    """``--html``'s FILE with Locust's placeholders: ``{u}`` users, ``{r}`` spawn rate and
    ``{t}`` run time in seconds (numbers as ``%g``: ``10``, ``2.5``); a value not given is
    empty."""
    values = {"{u}": users, "{r}": spawn_rate, "{t}": run_time}
    for placeholder, value in values.items():
        template = template.replace(placeholder, "" if value is None else f"{value:g}")
    return template


def distribution(
    entry: StatsEntry, bounds: Sequence[float] = DISTRIBUTION_BOUNDS
) -> list[DistributionRow]:
    """``entry``'s response times in the ranges ``[0, b0), [b0, b1) ...``; the ranges before
    the first and after the last one with a sample are left out, those between are kept."""
    histogram = entry.histogram
    counts = [0] * len(bounds)
    counts[0] = histogram.zeros
    for key, count in histogram.counts.items():
        counts[_range_index(bucket_midpoint(key), bounds)] += count
    used = [i for i, count in enumerate(counts) if count]
    if not used:
        return []
    total = sum(counts)
    lows = [0.0, *bounds[:-1]]
    return [
        DistributionRow(lows[i], bounds[i], counts[i], counts[i] / total)
        for i in range(used[0], used[-1] + 1)
    ]


def _range_index(value: float, bounds: Sequence[float]) -> int:
    for index, bound in enumerate(bounds):
        if value < bound:
            return index
    return len(bounds) - 1


def script_json(value: Any) -> str:
    """``value`` as JSON that is safe inside ``<script>``: no ``<``, ``>`` or ``&`` left to
    end the script element or start a comment, whatever strings the user data holds."""
    text = json.dumps(value, allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def chart_series(stats: RequestStats) -> dict[str, list[float]]:
    """The columns uPlot draws, from ``stats.history`` (time in Unix seconds)."""
    points = list(stats.history)
    columns = {
        "time": "timestamp",
        "rps": "current_rps",
        "fails": "current_fail_per_sec",
        "p50": "response_time_percentile_0.5",
        "p95": "response_time_percentile_0.95",
        "users": "user_count",
    }
    return {
        column: [_finite(point.get(key, 0)) for point in points] for column, key in columns.items()
    }


def _finite(value: Any) -> float:
    number = float(value or 0)
    return round(number, 3) if math.isfinite(number) else 0.0


def _cell(value: Any) -> str:
    """A table cell: whole numbers with separators, others to two decimals."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int) or value.is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}"


def _table(rows: Iterable[Sequence[Any]]) -> list[list[str]]:
    return [[_cell(value) for value in row] for row in rows]


def _when(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@cache
def _environment() -> jinja2.Environment:
    loader = jinja2.FileSystemLoader(TEMPLATE_DIR)
    return jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined)


@cache
def _uplot() -> tuple[str, str, str]:
    """uPlot's licence, CSS and JS, as vendored."""
    return tuple(  # type: ignore[return-value]  # three names in, three texts out
        (UPLOT_DIR / name).read_text(encoding="utf-8")
        for name in ("LICENSE", "uPlot.min.css", "uPlot.iife.min.js")
    )


def render_html_report(stats: RequestStats, facts: RunFacts) -> str:
    """The whole report, one HTML document."""
    licence, uplot_css, uplot_js = _uplot()
    all_stats = _table(stats_rows(stats))
    entries = [e for e in stats.sorted_entries() if e.num_requests]
    context = {
        "facts": facts,
        "start": _when(facts.start),
        "end": _when(facts.end),
        "duration": format_duration(facts.duration),
        "stats_columns": STATS_COLUMNS[:STATS_TABLE_WIDTH],
        "stats_rows": [row[:STATS_TABLE_WIDTH] for row in all_stats],
        "percentile_columns": STATS_COLUMNS[:2] + STATS_COLUMNS[STATS_TABLE_WIDTH:],
        "percentile_rows": [row[:2] + row[STATS_TABLE_WIDTH:] for row in all_stats],
        "service_rows": _service_rows(stats) if facts.arrival is not None else [],
        "failure_columns": FAILURES_COLUMNS,
        "failure_rows": _table(failures_rows(stats)),
        "exception_columns": EXCEPTIONS_COLUMNS,
        "exception_rows": _table(exceptions_rows(stats)),
        "distributions": [Distribution(e.method, e.name, distribution(e)) for e in entries],
        "chart_data": Markup(script_json(chart_series(stats))),
        "uplot_licence": Markup(licence.replace("*/", "* /")),
        "uplot_css": Markup(uplot_css),
        "uplot_js": Markup(uplot_js),
    }
    return _environment().get_template("report.html").render(context)


def _service_rows(stats: RequestStats) -> list[list[str]]:
    """The service-time percentiles table: Type, Name, then the percentiles (as
    ``percentile_rows``), from the SERVICE_COLUMNS of ``PREFIX_stats.csv``."""
    if stats.service is None:
        return []
    rows = _table(stats_rows(stats, service_times=True))
    return [row[:2] + row[len(STATS_COLUMNS) :] for row in rows]


def write_html_report(stats: RequestStats, facts: RunFacts, path: str | os.PathLike[str]) -> Path:
    """Write the report to ``path`` (parents created, replaced atomically); returns the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    temporary.write_text(render_html_report(stats, facts), encoding="utf-8")
    os.replace(temporary, target)
    return target


def write_run_report(environment: Environment, template: str) -> Path:
    """Write ``environment``'s report where ``--html template`` says, placeholders filled from
    its options (or, for a test started in the web UI, from what the runner was asked for)."""
    options = environment.parsed_options
    runner = environment.runner
    users = getattr(options, "num_users", None)
    rate = getattr(options, "spawn_rate", None)
    if runner is not None:
        users = users if users is not None else runner.target_user_count
        rate = rate if rate is not None else (runner.spawn_rate or None)
    path = html_file_name(template, users, rate, getattr(options, "run_time", None))
    return write_html_report(environment.stats, run_facts(environment), path)
