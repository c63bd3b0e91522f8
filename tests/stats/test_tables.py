"""Console tables: layout, values, truncation, and logging on swarm.stats_logger."""

from __future__ import annotations

import logging

import pytest
from fake_clock import FakeClock

from swarm.stats import (
    RequestStats,
    errors_table,
    percentiles_table,
    print_error_report,
    print_percentile_stats,
    print_stats,
    stats_table,
)
from swarm.stats.tables import readable_percentiles, truncate


@pytest.fixture
def stats(clock: FakeClock) -> RequestStats:
    stats = RequestStats(clock=clock)
    start = clock.now
    for second in range(20):
        clock.now = start + second + 0.5
        for rt in (10.0, 20.0, 30.0, 40.0):
            stats.log_request("GET", "/b", rt, 100)
        stats.log_request("POST", "/a", 2.5, 10)
        stats.log_error("POST", "/a", ValueError("nope"))
    return stats


def _cells(line: str) -> list[str]:
    return line.replace("|", " ").split()


def test_stats_table_rows_sorted_by_name_with_aggregated_last(stats: RequestStats) -> None:
    lines = stats_table(stats)
    assert _cells(lines[0]) == [
        "Type", "Name", "#", "reqs", "#", "fails", "Avg", "Min", "Max", "Med", "req/s",
        "failures/s",
    ]  # fmt: skip
    assert set(lines[1]) == {"-", "|"}
    assert _cells(lines[2]) == ["POST", "/a", "20", "20(100.00%)", "2.5", "2.5", "2.5", "2.5",
                                "1.00", "1.00"]  # fmt: skip
    assert _cells(lines[3]) == ["GET", "/b", "80", "0(0.00%)", "25", "10", "40", "20", "4.00",
                                "0.00"]  # fmt: skip
    assert lines[4] == lines[1]
    assert _cells(lines[5])[:4] == ["Aggregated", "100", "20(20.00%)", "20"]
    assert len(lines) == 6


def test_stats_table_shows_run_totals_when_not_current(stats: RequestStats) -> None:
    total_row = _cells(stats_table(stats, current=False)[-1])
    # from the start (the fixture's first instant) to the last request, 19.5 s later
    assert total_row[-2:] == [f"{100 / 19.5:.2f}", f"{20 / 19.5:.2f}"]


def test_columns_line_up(stats: RequestStats) -> None:
    for table in (stats_table(stats), percentiles_table(stats)[1:]):
        bars = [i for i, ch in enumerate(table[1]) if ch == "|"]
        assert len({len(line) for line in table}) == 1
        for line in table:
            assert all(line[i] in "| " for i in bars)


def test_long_names_are_truncated_in_the_middle(clock: FakeClock) -> None:
    stats = RequestStats(clock=clock)
    long_name = "/api/v1/" + "x" * 200 + "/details"
    stats.log_request("GET", long_name, 1.0, 0)
    row = stats_table(stats, max_name_width=40)[2]
    name = _cells(row)[1]
    assert len(name) == 40
    assert name.startswith("/api/v1/xx")
    assert name.endswith("/details")
    assert "..." in name


def test_names_up_to_the_limit_are_shown_whole(clock: FakeClock) -> None:
    stats = RequestStats(clock=clock)
    name = "/" + "n" * 70
    stats.log_request("GET", name, 1.0, 0)
    assert _cells(stats_table(stats)[2])[1] == name


def test_truncate() -> None:
    assert truncate("abcdef", 10) == "abcdef"
    assert truncate("abcdefghij", 7) == "ab...ij"
    assert truncate("abcdefghij", 2) == "ab"


def test_readable_percentiles() -> None:
    assert readable_percentiles([0.5, 0.95, 0.999, 0.9999, 1.0]) == [
        "50%", "95%", "99.9%", "99.99%", "100%",
    ]  # fmt: skip


def test_percentiles_table(stats: RequestStats) -> None:
    lines = percentiles_table(stats)
    assert lines[0] == "Response time percentiles (approximated)"
    assert _cells(lines[1]) == ["Type", "Name", "50%", "66%", "75%", "80%", "90%", "95%", "98%",
                                "99%", "99.9%", "99.99%", "100%", "#", "reqs"]  # fmt: skip
    assert _cells(lines[3])[:3] == ["POST", "/a", "2.5"]
    b = _cells(lines[4])
    assert b[:2] == ["GET", "/b"]
    # 20 samples each of 10, 20, 30, 40 ms: rank ceil(q * 80) picks the value
    assert b[2:] == ["20", "30", "30", "40", "40", "40", "40", "40", "40", "40", "40", "80"]
    assert _cells(lines[-1])[0] == "Aggregated"
    assert _cells(lines[-1])[-1] == "100"


def test_percentiles_table_skips_entries_without_response_times(clock: FakeClock) -> None:
    stats = RequestStats(clock=clock)
    stats.log_request("GET", "/none", None, 0)
    lines = percentiles_table(stats)
    assert not any("/none" in line for line in lines)
    assert not any("Aggregated" in line for line in lines)


def test_errors_table_most_frequent_first(stats: RequestStats) -> None:
    stats.log_error("GET", "/b", "rare")
    lines = errors_table(stats)
    assert lines[0] == "Error report"
    assert _cells(lines[1]) == ["#", "occurrences", "Error"]
    assert _cells(lines[3]) == ["20", "POST", "/a:", "ValueError('nope')"]
    assert _cells(lines[4]) == ["1", "GET", "/b:", "rare"]
    assert lines[-1] == lines[2]


def test_print_functions_log_on_the_stats_logger(
    stats: RequestStats, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="swarm.stats_logger"):
        print_stats(stats)
        print_percentile_stats(stats)
        print_error_report(stats)
    logged = [r.getMessage() for r in caplog.records if r.name == "swarm.stats_logger"]
    expected = [*stats_table(stats), "", *percentiles_table(stats), "", *errors_table(stats), ""]
    assert logged == expected


def test_print_error_report_is_silent_without_errors(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="swarm.stats_logger"):
        print_error_report(RequestStats(clock=clock))
    assert caplog.records == []
