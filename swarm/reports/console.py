"""What a headless run prints: the live progress line and the final summary."""

from __future__ import annotations

from typing import TYPE_CHECKING

from swarm.log import console_logger
from swarm.reports.arrival import CORRECTED_TITLE, SERVICE_TITLE, arrival_summary
from swarm.stats import RequestStats
from swarm.stats.tables import errors_table, percentiles_table, stats_table

if TYPE_CHECKING:
    from swarm.runners.schedule import ArrivalPlan


def format_duration(seconds: float) -> str:
    """``75`` -> ``1m15s``; ``3725`` -> ``1h02m05s``; whole seconds."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{secs:02d}s"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


def progress_line(
    stats: RequestStats, elapsed: float, run_time: float | None, users: int, target: int | None
) -> str:
    """One line: elapsed / total time, users, current req/s and failures."""
    clock = format_duration(elapsed)
    if run_time:
        clock += f" / {format_duration(run_time)}"
    total = stats.total
    wanted = f"/{target}" if target is not None and target != users else ""
    failures = total.num_failures
    ratio = f" ({failures / total.num_requests:.1%})" if total.num_requests else ""
    return (
        f"[{clock}] users {users}{wanted} | {total.current_rps:,.1f} req/s | "
        f"{total.num_requests:,} requests | {failures:,} failures{ratio}"
    )


def exceptions_table(stats: RequestStats) -> list[str]:
    """Exceptions raised by user code, most frequent first, with their last frame."""
    rows = sorted(stats.exceptions.values(), key=lambda e: -e["count"])
    if not rows:
        return []
    lines = ["Exceptions in user code:", f"{'# occurrences':<15} exception"]
    lines.append("-" * 80)
    for row in rows:
        lines.append(f"{row['count']:<15} {row['msg']}")
        last = [line for line in row["traceback"].strip().splitlines() if line.strip()]
        if last:
            lines.extend(f"{'':<15} {line}" for line in last[-2:])
    lines.append("-" * 80)
    return lines


def print_lines(lines: list[str]) -> None:
    for line in lines:
        console_logger.info(line)


def arrival_status(stats: RequestStats, arrival_plan: ArrivalPlan | None) -> list[str]:
    """The line the periodic table ends with in an arrival-rate run (requested and achieved
    rate, dropped iterations); no line in the closed model (``arrival_plan`` None)."""
    summary = arrival_summary(stats, arrival_plan)
    return [] if summary is None else [summary.headline()]


def percentile_tables(stats: RequestStats, arrival_plan: ArrivalPlan | None = None) -> list[str]:
    """The percentile table; in an arrival-rate run, two, each titled for what it measures:
    the response times from each iteration's intended start, then the service times
    (``stats.service``, when kept)."""
    table = percentiles_table(stats)
    if arrival_plan is None:
        return table
    # The tables' first line is their title; the rest is the same layout for both.
    lines = [CORRECTED_TITLE, *table[1:]]
    if stats.service is not None:
        lines += ["", SERVICE_TITLE, *percentiles_table(stats.service)[1:]]
    return lines


def summary_lines(stats: RequestStats, arrival_plan: ArrivalPlan | None = None) -> list[str]:
    """The end-of-run report: totals table, the open model's rates and drops (with
    ``arrival_plan``), percentiles, errors and exceptions, blocks separated by a blank line."""
    lines = [*stats_table(stats, current=False), ""]
    summary = arrival_summary(stats, arrival_plan)
    if summary is not None:
        lines += [*summary.lines(), ""]
    lines += percentile_tables(stats, arrival_plan)
    if stats.errors:
        lines += ["", *errors_table(stats)]
    exceptions = exceptions_table(stats)
    if exceptions:
        lines += ["", *exceptions]
    return lines


def print_summary(stats: RequestStats, arrival_plan: ArrivalPlan | None = None) -> None:
    """Print ``summary_lines(stats, arrival_plan)`` on the console."""
    print_lines(summary_lines(stats, arrival_plan))
