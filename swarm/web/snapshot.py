"""The live statistics the dashboard polls (``GET /stats/requests``), in Locust's shape.

Pure reads of the statistics and the runner: nothing here changes either. Field names are
Locust's (``num_requests``, ``current_rps``, ``median_response_time``, ...) so scripts written
against Locust's UI keep working; swarm adds a few (``target_user_count``, ``spawn_rate``,
``run_time_left``, ``cpu_warning``, ``shape``, ``generator``, every percentile the table shows).

An arrival-rate run (the open model, ``runner.arrival_plan`` set) adds ``arrival``, the rates
and drops of the JSON report's ``arrival`` object as they stand, and per row
``service_time_percentiles``: the uncorrected times the table shows beside the row's own
(corrected) percentiles. In the closed model ``arrival`` is None and the rows are as before.
"""

from __future__ import annotations

import html
from typing import Any

from swarm.reports.arrival import arrival_summary
from swarm.runners.base import Runner
from swarm.runners.master import MasterRunner
from swarm.stats.entries import StatsEntry
from swarm.stats.errors import StatsError
from swarm.stats.request_stats import RequestStats

#: Rows shown at most (besides Aggregated): more would make the page crawl, as in Locust.
MAX_ROWS = 500
#: The cumulative percentiles of each row: (fraction, Locust's field names for it).
ROW_PERCENTILES: tuple[tuple[float, tuple[str, ...]], ...] = (
    (0.5, ("median_response_time",)),
    (0.9, ("ninetieth_response_time", "response_time_percentile_0.9")),
    (0.95, ("response_time_percentile_0.95",)),
    (0.99, ("ninety_ninth_response_time", "response_time_percentile_0.99")),
)
#: The current (last ~10 s) percentiles of the total, for the charts.
CHART_PERCENTILES = (0.5, 0.95)
#: The service-time (uncorrected) percentiles of each row in an arrival-rate run.
SERVICE_PERCENTILES = (0.95, 0.99)


def entry_row(entry: StatsEntry) -> dict[str, Any]:
    """One row of the stats table: Locust's ``StatsEntry.to_dict`` fields, and more."""
    row: dict[str, Any] = {
        "method": entry.method,
        "name": entry.name,
        "safe_name": html.escape(entry.name, quote=False),
        "num_requests": entry.num_requests,
        "num_failures": entry.num_failures,
        "avg_response_time": entry.avg_response_time,
        "min_response_time": round(entry.min_response_time or 0),
        "max_response_time": round(entry.max_response_time),
        "current_rps": entry.current_rps,
        "current_fail_per_sec": entry.current_fail_per_sec,
        "total_rps": entry.total_rps,
        "total_fail_per_sec": entry.total_fail_per_sec,
        "avg_content_length": entry.avg_content_length,
    }
    values = entry.get_response_time_percentiles([p for p, _ in ROW_PERCENTILES])
    for (_, names), value in zip(ROW_PERCENTILES, values, strict=True):
        row.update(dict.fromkeys(names, value if entry.num_requests else 0))
    return row


def service_time_percentiles(stats: RequestStats, entry: StatsEntry) -> dict[str, float]:
    """The service times (ms) of ``entry``'s endpoint (or of all, for ``stats.total``) at
    SERVICE_PERCENTILES, keyed ``"0.95"`` as the JSON report keys them; 0 without any."""
    service = stats.service
    twin = None
    if service is not None:
        key = (entry.name, entry.method)
        twin = service.total if entry is stats.total else service.entries.get(key)
    values = [0.0] * len(SERVICE_PERCENTILES)
    if twin is not None and twin.num_requests:
        values = twin.get_response_time_percentiles(SERVICE_PERCENTILES)
    return {str(p): v for p, v in zip(SERVICE_PERCENTILES, values, strict=True)}


def arrival_snapshot(stats: RequestStats, runner: Runner) -> dict[str, Any] | None:
    """The arrival-rate run's rates and drops so far (``ArrivalSummary.to_dict()``) with the
    console's words for the drops (``dropped_text``, and ``drop_warning``: None when none was
    dropped); None in the closed model."""
    summary = arrival_summary(stats, runner.arrival_plan)
    if summary is None:
        return None
    return {
        **summary.to_dict(),
        "dropped_text": summary.dropped_text(),
        "drop_warning": summary.drop_warning(),
    }


def error_row(error: StatsError) -> dict[str, Any]:
    """One row of the failures tab (``StatsError.to_dict()``)."""
    return error.to_dict()


def current_percentiles(stats: RequestStats) -> dict[str, float]:
    """The total's current percentiles, keyed ``response_time_percentile_<fraction>``."""
    total = stats.total
    values = [0.0] * len(CHART_PERCENTILES)
    if total.use_response_times_cache and total.num_requests:
        values = total.current_histogram().percentiles(CHART_PERCENTILES)
    return {
        f"response_time_percentile_{p}": v for p, v in zip(CHART_PERCENTILES, values, strict=True)
    }


def workers(runner: Runner) -> list[dict[str, Any]]:
    """Each worker's ``to_dict()`` on a master; none elsewhere."""
    if not isinstance(runner, MasterRunner):
        return []
    now = runner.clock()
    # the age, not only the time: the browser's clock may differ from the master's
    return [
        {**node.to_dict(), "heartbeat_age": max(0.0, now - node.last_heartbeat)}
        for node in runner.clients
    ]


def cpu_warning(runner: Runner) -> bool:
    """Whether this process, or any worker, ran hot during the test."""
    hot = runner.cpu_warning_emitted
    if isinstance(runner, MasterRunner):
        hot = hot or runner.worker_cpu_warning_emitted
    return hot


def generator(runner: Runner) -> dict[str, Any]:
    """The load generator's saturation verdict of the test so far (or of the last one).

    The JSON report's ``generator`` fields (``SaturationSummary.to_dict()``) and the banner's
    sentences, as the HTML report words them: ``headline`` and ``detail`` when a
    load-generating process was saturated, ``master_note`` when the master was; each None
    otherwise, and the page shows no banner when all three are None.
    """
    summary = runner.saturation
    return {
        **summary.to_dict(),
        "headline": summary.headline() if summary.saturated else None,
        "detail": summary.detail() if summary.saturated else None,
        "master_note": summary.master_note(),
    }


def requests_snapshot(
    stats: RequestStats,
    runner: Runner,
    *,
    host: str | None,
    run_time_left: float | None,
    shape: str | None = None,
    max_rows: int = MAX_ROWS,
) -> dict[str, Any]:
    """The whole ``GET /stats/requests`` reply; the last row of ``stats`` is Aggregated.

    ``shape`` is the name of the load shape that sets the users (None without one).
    """
    total = stats.total
    entries = [*stats.sorted_entries()[:max_rows], total]
    rows = [entry_row(e) for e in entries]
    if stats.service is not None:
        for row, entry in zip(rows, entries, strict=True):
            row["service_time_percentiles"] = service_time_percentiles(stats, entry)
    nodes = workers(runner)
    return {
        "timestamp": stats.clock(),
        "stats": rows,
        "errors": [error_row(e) for e in list(stats.errors.values())[:max_rows]],
        "total_rps": total.total_rps,
        "total_fail_per_sec": total.total_fail_per_sec,
        "current_rps": total.current_rps,
        "current_fail_per_sec": total.current_fail_per_sec,
        "fail_ratio": total.fail_ratio,
        "total_avg_response_time": total.avg_response_time,
        "current_response_time_percentiles": current_percentiles(stats),
        "state": runner.state,
        "user_count": runner.user_count,
        "target_user_count": runner.target_user_count,
        "spawn_rate": runner.spawn_rate,
        "host": host,
        "run_time_left": run_time_left,
        "cpu_warning": cpu_warning(runner),
        "generator": generator(runner),
        "shape": shape,
        "arrival": arrival_snapshot(stats, runner),
        "is_distributed": isinstance(runner, MasterRunner),
        "workers": nodes,
        "worker_count": runner.worker_count if isinstance(runner, MasterRunner) else 0,
    }


def exceptions_rows(stats: RequestStats) -> list[dict[str, Any]]:
    """The exceptions tab: Locust's ``GET /exceptions`` rows, most frequent first."""
    rows = sorted(stats.exceptions.values(), key=lambda row: -row["count"])
    return [
        {
            "count": row["count"],
            "msg": row["msg"],
            "traceback": row["traceback"],
            "nodes": ", ".join(sorted(row["nodes"])),
        }
        for row in rows
    ]
