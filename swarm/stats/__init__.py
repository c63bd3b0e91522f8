"""Statistics of a test: the model (histograms, entries, errors), console tables, loops.

Everything but ``loops`` is pure: no gevent, sockets or threads, time from an injected clock.
"""

from __future__ import annotations

from swarm.stats.entries import (
    CURRENT_RESPONSE_TIME_PERCENTILE_WINDOW,
    PERCENTILES_TO_REPORT,
    StatsEntry,
)
from swarm.stats.errors import StatsError
from swarm.stats.histogram import Histogram
from swarm.stats.loops import (
    CONSOLE_STATS_INTERVAL_SEC,
    HISTORY_STATS_INTERVAL_SEC,
    stats_history,
    stats_printer,
)
from swarm.stats.request_stats import RequestStats
from swarm.stats.tables import (
    errors_table,
    percentiles_table,
    print_error_report,
    print_percentile_stats,
    print_stats,
    stats_table,
)

__all__ = [
    "CONSOLE_STATS_INTERVAL_SEC",
    "CURRENT_RESPONSE_TIME_PERCENTILE_WINDOW",
    "HISTORY_STATS_INTERVAL_SEC",
    "PERCENTILES_TO_REPORT",
    "Histogram",
    "RequestStats",
    "StatsEntry",
    "StatsError",
    "errors_table",
    "percentiles_table",
    "print_error_report",
    "print_percentile_stats",
    "print_stats",
    "stats_history",
    "stats_printer",
    "stats_table",
]
