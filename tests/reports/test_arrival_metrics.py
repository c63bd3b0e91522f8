"""Prometheus metrics and thresholds of an arrival-rate run: iterations, drops, service times."""

from __future__ import annotations

import pytest
from fake_clock import FakeClock
from scrape import scrape, value

from swarm.env import Environment
from swarm.reports.thresholds import (
    ThresholdError,
    already_lost,
    evaluate,
    parse_threshold,
    parse_thresholds,
)
from swarm.stats import RequestStats

ARRIVAL_FAMILIES = {
    "swarm_iterations",
    "swarm_dropped_iterations",
    "swarm_service_time_seconds",
    "swarm_aggregated_service_time_seconds",
}


# -- Prometheus -------------------------------------------------------------------------------


def test_iterations_and_drops_are_counters(arrival_env: Environment) -> None:
    metrics = scrape(arrival_env)
    assert value(metrics["swarm_iterations"], "swarm_iterations_total") == 200
    assert value(metrics["swarm_dropped_iterations"], "swarm_dropped_iterations_total") == 3


def test_service_times_are_a_summary_beside_the_response_times(
    arrival_env: Environment,
) -> None:
    metrics = scrape(arrival_env)
    service = metrics["swarm_service_time_seconds"]
    item = {"method": "GET", "name": "/item"}
    assert value(service, "swarm_service_time_seconds", quantile="0.99", **item) == (
        pytest.approx(0.010, rel=0.005)
    )
    assert value(service, "swarm_service_time_seconds_count", **item) == 100
    assert value(service, "swarm_service_time_seconds_sum", **item) == pytest.approx(1.0)
    corrected = metrics["swarm_response_time_seconds"]
    assert value(corrected, "swarm_response_time_seconds", quantile="0.99", **item) == (
        pytest.approx(0.109, rel=0.01)
    )
    total = metrics["swarm_aggregated_service_time_seconds"]
    assert value(total, "swarm_aggregated_service_time_seconds_count") == 110
    assert value(total, "swarm_aggregated_service_time_seconds", quantile="0.5") == (
        pytest.approx(0.010, rel=0.005)
    )


def test_a_master_that_merged_service_times_exposes_them_before_it_knows_a_plan(
    clock: FakeClock,
) -> None:
    env = Environment(clock=clock)
    env.stats.keep_service_times().log_request("GET", "/a", 4.0, 0)
    env.stats.iterations = 1
    metrics = scrape(env)
    assert value(metrics["swarm_iterations"], "swarm_iterations_total") == 1
    assert value(metrics["swarm_dropped_iterations"], "swarm_dropped_iterations_total") == 0


def test_the_closed_model_exposes_none_of_them(clock: FakeClock) -> None:
    env = Environment(clock=clock)
    env.create_local_runner()
    env.stats.log_request("GET", "/a", 4.0, 0)
    metrics = scrape(env)
    assert not ARRIVAL_FAMILIES & metrics.keys()
    assert "swarm_response_time_seconds" in metrics
    assert env.runner is not None
    env.runner.quit()


# -- thresholds -------------------------------------------------------------------------------


def test_dropped_iterations_threshold_fails_a_run_that_dropped_any(
    arrival_stats: RequestStats,
) -> None:
    (result,) = evaluate(parse_thresholds(["dropped_iterations<1"]), arrival_stats)
    assert not result.passed
    assert (result.observed_text, result.limit_text) == ("3", "< 1")
    arrival_stats.dropped_iterations = 0
    assert evaluate(parse_thresholds(["dropped_iterations<1"]), arrival_stats)[0].passed


def test_iterations_threshold(arrival_stats: RequestStats) -> None:
    results = evaluate(parse_thresholds(["iterations>=200", "iterations>200"]), arrival_stats)
    assert [r.passed for r in results] == [True, False]


def test_a_closed_run_drops_nothing(clock: FakeClock) -> None:
    stats = RequestStats(clock=clock)
    (result,) = evaluate(parse_thresholds(["dropped_iterations<1"]), stats)
    assert result.passed and result.observed == 0.0


def test_a_drop_loses_the_threshold_for_good(arrival_stats: RequestStats) -> None:
    assert already_lost(parse_threshold("dropped_iterations<3"), arrival_stats)
    assert not already_lost(parse_threshold("dropped_iterations<4"), arrival_stats)
    assert not already_lost(parse_threshold("dropped_iterations>5"), arrival_stats)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("GET /item: dropped_iterations<1", "counts the whole run"),
        ("dropped_iterations<0.5", "whole number"),
        ("dropped_iterations<1%", "unknown unit"),
    ],
)
def test_malformed_run_thresholds(text: str, problem: str) -> None:
    with pytest.raises(ThresholdError, match=problem):
        parse_threshold(text)


def test_unknown_metric_message_lists_the_new_metrics() -> None:
    with pytest.raises(ThresholdError, match="iterations, dropped_iterations"):
        parse_threshold("drops<1")
