"""The open model's summary and console output: requested, achieved, dropped, both percentiles."""

from __future__ import annotations

import logging

import pytest
from fake_clock import FakeClock
from reports.arrival_run import DROPPED, ITERATIONS, PLAN

from swarm.reports.arrival import (
    CORRECTED_TITLE,
    SERVICE_TITLE,
    ArrivalSummary,
    arrival_summary,
    rate_since,
    run_seconds,
    share,
)
from swarm.reports.console import arrival_status, print_summary, summary_lines
from swarm.runners.schedule import ArrivalPlan, RateCurve, RateStage
from swarm.stats import RequestStats
from swarm.stats.tables import errors_table, percentiles_table, stats_table


def summary(**changes: object) -> ArrivalSummary:
    values: dict[str, object] = {
        "requested": "200/s",
        "peak_rate": 200.0,
        "iterations": 11_982,
        "dropped_iterations": 0,
        "seconds": 60.0,
        "max_users": 100,
        "max_lateness": 1.0,
    }
    values.update(changes)
    return ArrivalSummary(**values)  # type: ignore[arg-type]  # the test's own keyword table


def test_the_summary_reads_the_counts_and_the_plan(arrival_stats: RequestStats) -> None:
    result = arrival_summary(arrival_stats, PLAN)
    assert result is not None
    assert (result.iterations, result.dropped_iterations) == (ITERATIONS, DROPPED)
    assert result.seconds == pytest.approx(10.0)
    assert result.achieved_rate == pytest.approx(20.0)
    assert result.dropped_share == pytest.approx(3 / 203)
    assert (result.requested, result.max_users, result.max_lateness) == ("20/s", 8, 0.5)


def test_no_summary_in_the_closed_model(arrival_stats: RequestStats) -> None:
    assert arrival_summary(arrival_stats, None) is None


def test_the_headline_says_requested_achieved_and_dropped() -> None:
    assert summary(seconds=60.0).headline() == (
        "Arrival rate: requested 200/s, achieved 199.7/s (11,982 iterations), dropped iterations: 0"
    )


def test_a_staged_plan_is_described_in_words(arrival_stats: RequestStats) -> None:
    curve = RateCurve(0, [RateStage(10, 100), RateStage(20, 100), RateStage(10, 0)])
    result = arrival_summary(arrival_stats, ArrivalPlan(curve))
    assert result is not None
    assert result.headline().startswith(
        "Arrival rate: requested 0/s, then 3 stages over 40s up to 100/s, achieved"
    )
    assert result.to_dict()["requested_peak_rate"] == 100.0


def test_no_warning_without_drops_and_a_warning_naming_the_knobs_with_them() -> None:
    assert summary().drop_warning() is None
    assert summary().lines() == [summary().headline()]
    dropped = summary(iterations=990, dropped_iterations=10)
    warning = dropped.drop_warning()
    assert warning is not None and warning.startswith("WARNING: 10 iterations (1.0% of those")
    assert "all 100 users (--max-users)" in warning
    assert "--max-lateness (1s)" in warning
    assert dropped.lines() == [dropped.headline(), warning]


def test_the_json_object() -> None:
    assert summary(dropped_iterations=18, seconds=59.9).to_dict() == {
        "requested": "200/s",
        "requested_peak_rate": 200.0,
        "iterations": 11_982,
        "achieved_rate": 200.033,
        "dropped_iterations": 18,
        "dropped_share": 0.0015,
        "duration_s": 59.9,
        "max_users": 100,
        "max_lateness_s": 1.0,
    }


def test_nothing_achieved_before_any_time_passed() -> None:
    empty = summary(iterations=0, seconds=0.0)
    assert (empty.achieved_rate, empty.dropped_share) == (0.0, 0.0)
    assert empty.dropped_text() == "0"


def test_run_seconds_end_at_the_last_request_or_now(clock: FakeClock) -> None:
    stats = RequestStats(clock=clock)
    clock.advance(4)
    assert run_seconds(stats) == 4.0
    assert run_seconds(stats, now=clock.now + 1) == 5.0
    stats.log_request("GET", "/a", 1.0, 0)
    clock.advance(30)
    assert run_seconds(stats) == 4.0


def test_rate_since_the_previous_point_or_the_start() -> None:
    assert rate_since(None, now=110.0, iterations=50, start=100.0) == 5.0
    assert rate_since((110.0, 50), now=112.0, iterations=90, start=100.0) == 20.0
    # the statistics were reset at 111: the count went down, so from their new start
    assert rate_since((110.0, 50), now=113.0, iterations=6, start=111.0) == 3.0
    assert rate_since(None, now=100.0, iterations=0, start=100.0) == 0.0


@pytest.mark.parametrize(
    ("fraction", "text"), [(0.0, "0.0%"), (0.0001, "<0.1%"), (0.0123, "1.2%"), (1.0, "100.0%")]
)
def test_share(fraction: float, text: str) -> None:
    assert share(fraction) == text


# -- the console ------------------------------------------------------------------------------


def test_the_summary_shows_rates_drops_and_both_percentile_tables(
    arrival_stats: RequestStats,
) -> None:
    lines = summary_lines(arrival_stats, PLAN)
    table = stats_table(arrival_stats, current=False)
    assert lines[: len(table) + 1] == [*table, ""]
    rest = lines[len(table) + 1 :]
    assert rest[0] == (
        "Arrival rate: requested 20/s, achieved 20.0/s (200 iterations), dropped iterations: 3"
    )
    assert rest[1].startswith("WARNING: 3 iterations (1.5% of those due) were dropped")
    assert rest[2] == ""
    corrected = rest.index(CORRECTED_TITLE)
    service = rest.index(SERVICE_TITLE)
    assert corrected < service
    assert rest[corrected + 1] == percentiles_table(arrival_stats)[1]  # the same header
    item_corrected = _cells(rest, corrected, "/item")
    item_service = _cells(rest, service, "/item")
    assert item_service[2] == "10"  # the median service time
    assert float(item_corrected[2]) == pytest.approx(60, rel=0.01)  # from the intended start


def _cells(lines: list[str], title: int, name: str) -> list[str]:
    """The cells of ``name``'s row in the table under the title at index ``title``."""
    row = next(line for line in lines[title:] if line.split()[1:2] == [name])
    return row.split()


def test_the_closed_summary_is_unchanged(arrival_stats: RequestStats) -> None:
    arrival_stats.log_error("POST", "/cart", "boom")
    expected = [
        *stats_table(arrival_stats, current=False),
        "",
        *percentiles_table(arrival_stats),
        "",
        *errors_table(arrival_stats),
    ]
    assert summary_lines(arrival_stats) == expected
    assert not [line for line in expected if "Arrival" in line or "Service" in line]


def test_without_service_times_the_arrival_summary_has_one_titled_table(
    clock: FakeClock,
) -> None:
    stats = RequestStats(clock=clock)
    stats.log_request("GET", "/a", 5.0, 0)
    lines = summary_lines(stats, PLAN)
    assert CORRECTED_TITLE in lines and SERVICE_TITLE not in lines


def test_print_summary_logs_the_summary_lines(
    arrival_stats: RequestStats, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="swarm.stats_logger"):
        print_summary(arrival_stats, PLAN)
    assert [r.getMessage() for r in caplog.records] == summary_lines(arrival_stats, PLAN)


def test_the_periodic_status_line_only_in_arrival_mode(arrival_stats: RequestStats) -> None:
    assert arrival_status(arrival_stats, None) == []
    (line,) = arrival_status(arrival_stats, PLAN)
    assert line.startswith("Arrival rate: requested 20/s, achieved 20.0/s (200 iterations)")
