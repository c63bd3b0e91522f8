"""A saturated generator marks the JSON and HTML reports; an unsaturated one leaves them plain."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from fake_clock import FakeClock

from swarm.compare import load_report
from swarm.env import Environment
from swarm.reports import print_json, stats_to_json, write_json_file
from swarm.reports.html import RunFacts, render_html_report, run_facts
from swarm.runners.saturation import SaturationSummary
from swarm.stats import RequestStats

SATURATED = SaturationSummary(
    saturated_share=0.37, peak_cpu=97.0, peak_loop_lag=0.025, saturated_processes={"local": 0.37}
)
CALM = SaturationSummary(peak_cpu=35.0, peak_loop_lag=0.002)


@pytest.fixture
def stats(clock: FakeClock) -> RequestStats:
    stats = RequestStats(clock=clock)
    for i in range(20):
        clock.advance(0.1)
        stats.log_request("GET", "/b", float(i), 10)
        stats.log_request("POST", "/a", 2.0 * i, 20)
    return stats


def facts(generator: SaturationSummary | None) -> RunFacts:
    return RunFacts(start=1_700_000_000, end=1_700_000_060, users=10, generator=generator)


def test_every_json_item_carries_the_verdict_and_the_document_stays_a_list(
    stats: RequestStats,
) -> None:
    items = stats_to_json(stats, SATURATED)
    assert isinstance(items, list) and len(items) == 2
    for item in items:
        assert item["generator"]["saturated"] is True
        assert item["generator"]["saturated_share"] == 0.37
        assert item["generator"]["peak_loop_lag_ms"] == 25.0
    assert all(item["generator"]["saturated"] is False for item in stats_to_json(stats, CALM))
    assert all("generator" not in item for item in stats_to_json(stats))  # e.g. /api/stats/json


def test_a_marked_json_file_is_still_read_by_swarm_compare(
    stats: RequestStats, tmp_path: Path
) -> None:
    path = write_json_file(stats, tmp_path / "run", SATURATED)
    assert json.loads(path.read_text())[0]["generator"]["saturated_processes"] == {"local": 0.37}
    entries = load_report(path)
    assert entries[("POST", "/a")].num_requests == 20


def test_printed_json_carries_the_verdict_too(stats: RequestStats) -> None:
    out = io.StringIO()
    print_json(stats, out, SATURATED)
    assert json.loads(out.getvalue())[0]["generator"]["saturated"] is True


def test_the_html_report_shows_a_banner_when_the_generator_was_saturated(
    stats: RequestStats,
) -> None:
    page = render_html_report(stats, facts(SATURATED))
    banner = re.search(r'<section id="saturation".*?</section>', page, re.S)
    assert banner is not None
    text = banner.group(0)
    assert "Generator saturated for 37% of the test" in text
    assert "latencies may be inflated" in text
    assert "local 37%" in text
    assert page.index('id="saturation"') < page.index('id="stats"')  # seen first


@pytest.mark.parametrize("generator", [None, CALM])
def test_no_banner_without_saturation(
    stats: RequestStats, generator: SaturationSummary | None
) -> None:
    assert 'id="saturation"' not in render_html_report(stats, facts(generator))


def test_a_saturated_master_alone_gets_its_own_note_in_the_banner(stats: RequestStats) -> None:
    page = render_html_report(stats, facts(SaturationSummary(master_share=0.5)))
    assert "The master was saturated for 50% of the test" in page
    assert "Generator saturated" not in page


def test_the_report_reads_the_verdict_from_the_runner() -> None:
    env = Environment(user_classes=[])
    runner = env.create_local_runner()
    monitor = runner.saturation_monitor
    monitor.begin(0.0)
    monitor.observe("local", 5.0, cpu=99.0, loop_lag=0.0)
    monitor.observe("local", 10.0, cpu=10.0, loop_lag=0.0)
    generator = run_facts(env).generator
    assert generator is not None and generator.saturated_share == 0.5
    runner.quit()
