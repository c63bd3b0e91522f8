"""The JUnit report: one test case per threshold, read back as a CI system would."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from fake_clock import FakeClock

from swarm.reports.junit import junit_tree, write_junit
from swarm.reports.thresholds import evaluate, parse_thresholds
from swarm.stats import RequestStats


@pytest.fixture
def stats(clock: FakeClock) -> RequestStats:
    stats = RequestStats(clock=clock)
    for i in range(1, 11):
        clock.advance(0.1)
        stats.log_request("GET", '/search?q=<a&b>"', float(i * 100), 10)
    return stats


def test_each_threshold_is_a_test_case_and_failures_give_observed_and_limit(
    stats: RequestStats, tmp_path: Path
) -> None:
    texts = ["max<2s", 'GET /search?q=<a&b>": p95<300ms', "/missing: avg<1s"]
    path = write_junit(evaluate(parse_thresholds(texts), stats), tmp_path / "ci" / "junit.xml")
    assert path == tmp_path / "ci" / "junit.xml"
    assert path.read_bytes().startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "2", "0")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == texts
    assert cases[0].find("failure") is None
    failure = cases[1].find("failure")
    assert failure is not None
    assert failure.get("message") == f"{texts[1]}: observed 1,000 ms, limit < 300 ms"
    missing = cases[2].find("failure")
    assert missing is not None
    assert "observed no requests, limit < 1,000 ms" in str(missing.get("message"))


def test_no_thresholds_is_an_empty_suite() -> None:
    root = junit_tree([]).getroot()
    suite = root.find("testsuite")
    assert suite is not None
    assert suite.get("tests") == "0"
    assert suite.findall("testcase") == []


def test_characters_xml_cannot_hold_are_replaced(stats: RequestStats, tmp_path: Path) -> None:
    stats.log_request("GET", "/bell\x07", 5.0, 1)
    results = evaluate(parse_thresholds(["GET /bell\x07: max<1ms"]), stats)
    path = write_junit(results, tmp_path / "junit.xml", duration=12.5, timestamp=0.0)
    suite = ET.parse(path).getroot().find("testsuite")
    assert suite is not None
    assert suite.get("time") == "12.500"
    assert suite.get("timestamp") == "1970-01-01T00:00:00"
    case = suite.find("testcase")
    assert case is not None
    assert case.get("name") == "GET /bell?: max<1ms"
