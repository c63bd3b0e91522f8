"""The public surface of swarm.stats and swarm.reports is exactly what is intended.

The order of ``__all__`` is kept sorted by ruff (RUF022).
"""

from __future__ import annotations

import swarm.reports
import swarm.stats


def test_stats_exports() -> None:
    assert len(swarm.stats.__all__) == len(set(swarm.stats.__all__))
    assert set(swarm.stats.__all__) == {
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
    }
    assert swarm.stats.PERCENTILES_TO_REPORT == [
        0.5, 0.66, 0.75, 0.8, 0.9, 0.95, 0.98, 0.99, 0.999, 0.9999, 1.0,
    ]  # fmt: skip


def test_reports_exports() -> None:
    assert len(swarm.reports.__all__) == len(set(swarm.reports.__all__))
    assert set(swarm.reports.__all__) == {
        "CsvReport",
        "print_json",
        "stats_to_json",
        "write_json_file",
    }
