"""Thresholds: the grammar users write, and the verdicts CI reads."""

from __future__ import annotations

import argparse

import pytest
from fake_clock import FakeClock

from swarm.reports.thresholds import (
    ThresholdError,
    already_lost,
    evaluate,
    first_lost,
    parse_threshold,
    parse_thresholds,
    results_table,
    threshold_option,
)
from swarm.stats import RequestStats


@pytest.fixture
def stats(clock: FakeClock) -> RequestStats:
    """100 requests per endpoint over 10 s: GET /item/[id] takes 1..100 ms, POST 500 ms."""
    stats = RequestStats(clock=clock)
    for i in range(1, 101):
        clock.advance(0.1)
        stats.log_request("GET", "/item/[id]", float(i), 10)
        stats.log_request("POST", "/item/[id]", 500.0, 10)
    for _ in range(4):
        stats.log_error("POST", "/item/[id]", "boom")
    return stats


@pytest.mark.parametrize(
    ("text", "metric", "op", "limit"),
    [
        ("p95<300ms", "p95", "<", 300.0),
        ("p99.9<1s", "p99.9", "<", 1000.0),
        ("avg<200", "avg", "<", 200.0),
        ("max<2s", "max", "<", 2000.0),
        ("median <= 1.5m", "median", "<=", 90_000.0),
        ("min>=5ms", "min", ">=", 5.0),
        ("fail_ratio<0.01", "fail_ratio", "<", 0.01),
        ("fail_ratio<2.5%", "fail_ratio", "<", 0.025),
        ("rps>100", "rps", ">", 100.0),
        ("rps > 12.5/s", "rps", ">", 12.5),
        ("requests>1000", "requests", ">", 1000.0),
        ("failures<=3", "failures", "<=", 3.0),
        ("P95<300MS", "p95", "<", 300.0),
    ],
)
def test_expressions_parse_into_base_units(text: str, metric: str, op: str, limit: float) -> None:
    threshold = parse_threshold(text)
    assert (threshold.metric, threshold.op, threshold.limit) == (metric, op, limit)
    assert threshold.name is None
    assert threshold.scope == "Aggregated"
    assert threshold.text == text


@pytest.mark.parametrize(
    ("text", "method", "name"),
    [
        ("GET /item/[id]: p99<500ms", "GET", "/item/[id]"),
        ("/item/[id]: p99<500ms", None, "/item/[id]"),
        ("POST http://host:8080/a: max<1s", "POST", "http://host:8080/a"),
        ("Login flow: avg<1s", None, "Login flow"),
    ],
)
def test_a_scope_names_an_endpoint_with_an_optional_method(
    text: str, method: str | None, name: str
) -> None:
    threshold = parse_threshold(text)
    assert (threshold.method, threshold.name) == (method, name)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("p95 300ms", "no comparison"),
        ("p95<300ms<400ms", "more than one comparison"),
        ("p101<1s", "out of range"),
        ("p0<1s", "out of range"),
        ("latency<1s", "unknown metric 'latency'"),
        ("<1s", "unknown metric nothing"),
        ("p95<300kg", "unknown unit 'kg'"),
        ("fail_ratio<1s", "unknown unit 's'"),
        ("requests>1.5", "whole number"),
        ("p95<fast", "not a number"),
        (": p95<1s", "nothing before ':'"),
    ],
)
def test_malformed_expressions_name_the_expression_and_the_problem(text: str, problem: str) -> None:
    with pytest.raises(ThresholdError) as caught:
        parse_threshold(text)
    assert f"invalid threshold {text!r}" in str(caught.value)
    assert problem in str(caught.value)


def test_the_option_type_keeps_the_text_and_turns_errors_into_usage_errors() -> None:
    assert threshold_option("GET /a: p95<1s") == "GET /a: p95<1s"
    with pytest.raises(argparse.ArgumentTypeError, match="unknown metric 'p'"):
        threshold_option("p<1")


def test_unscoped_thresholds_read_the_aggregated_row(stats: RequestStats) -> None:
    results = evaluate(
        parse_thresholds(["requests>=200", "max<=500ms", "fail_ratio<0.01", "rps>25"]), stats
    )
    observed = [r.observed for r in results]
    assert observed[0] == 200
    assert observed[1] == 500.0
    assert observed[2] == pytest.approx(4 / 200)
    assert observed[3] == pytest.approx(200 / 10, rel=0.02)
    assert [r.passed for r in results] == [True, True, False, False]


def test_a_scoped_threshold_reads_its_endpoint(stats: RequestStats) -> None:
    results = evaluate(
        parse_thresholds(["GET /item/[id]: p99<500ms", "POST /item/[id]: p99<500ms"]), stats
    )
    assert results[0].observed == pytest.approx(99.0, rel=0.005)
    assert results[0].passed
    assert results[1].observed == pytest.approx(500.0)
    assert not results[1].passed


def test_without_a_method_every_method_of_the_name_is_merged(stats: RequestStats) -> None:
    (merged,) = evaluate(parse_thresholds(["/item/[id]: median<=100ms"]), stats)
    (requests,) = evaluate(parse_thresholds(["/item/[id]: requests>=200"]), stats)
    assert merged.observed == pytest.approx(100.0, rel=0.005)
    assert requests.observed == 200 and requests.passed
    # reading them changed nothing
    assert len(stats.entries) == 2


def test_an_endpoint_without_requests_fails_except_for_counts(stats: RequestStats) -> None:
    results = evaluate(parse_thresholds(["/nothing: p95<1s", "/nothing: requests<1"]), stats)
    assert results[0].observed is None
    assert not results[0].passed
    assert results[0].observed_text == "no requests"
    assert results[1].observed == 0
    assert results[1].passed


def test_percentiles_and_averages_are_never_lost_early(stats: RequestStats) -> None:
    for text in ("p95<1ms", "avg<1ms", "fail_ratio<0.001", "rps>1000", "median<1"):
        assert not already_lost(parse_threshold(text), stats), text


def test_only_growing_metrics_crossing_an_upper_limit_are_lost(stats: RequestStats) -> None:
    lost = ["max<400ms", "p100<400ms", "requests<=199", "failures<4", "min>2ms"]
    alive = ["max<1s", "requests<1000", "failures<=4", "min>0.5ms", "requests>1000", "max>1s"]
    for text in lost:
        assert already_lost(parse_threshold(text), stats), text
    for text in alive:
        assert not already_lost(parse_threshold(text), stats), text


def test_first_lost_names_the_threshold_to_abort_on(stats: RequestStats) -> None:
    thresholds = parse_thresholds(["p95<1ms", "max<1s", "GET /item/[id]: max<50ms"])
    lost = first_lost(thresholds, stats)
    assert lost is not None
    assert lost.text == "GET /item/[id]: max<50ms"
    assert first_lost(thresholds[:2], stats) is None


def test_the_table_shows_each_verdict_with_limit_and_observed_value(stats: RequestStats) -> None:
    lines = results_table(evaluate(parse_thresholds(["max<=500ms", "/none: p95<1s"]), stats))
    assert lines[0] == "Thresholds:"
    passed = next(line for line in lines if "max<=500ms" in line)
    failed = next(line for line in lines if "/none" in line)
    assert passed.startswith("PASS") and "<= 500 ms" in passed
    assert failed.startswith("FAIL") and "no requests" in failed
    assert lines[-1] == "1 of 2 thresholds failed"
    assert results_table([]) == []
