"""The HTML report: one self-contained page with the run's facts, tables, charts and failures."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fake_clock import FakeClock
from web.harness import Web, make_web

from swarm.reports.html import (
    RunFacts,
    chart_series,
    distribution,
    html_file_name,
    render_html_report,
    script_json,
    write_html_report,
)
from swarm.stats import RequestStats

HOSTILE = '</script><img src=x onerror="alert(1)">&amp;'


@pytest.fixture
def stats(clock: FakeClock) -> RequestStats:
    stats = RequestStats(clock=clock, use_response_times_cache=True)
    for second in range(5):
        for i in range(20):
            stats.log_request("GET", "/fast", 3.0 + i / 10, 10)
            stats.log_request("POST", HOSTILE, 150.0 + i, 20)
        stats.record_history(clock(), 10 + second)
        clock.advance(1)
    stats.log_error("POST", HOSTILE, f"ValueError({HOSTILE!r})")
    stats.log_exception(f"KeyError {HOSTILE}", f"Traceback (most recent call last):\n  {HOSTILE}")
    return stats


@pytest.fixture
def facts() -> RunFacts:
    return RunFacts(
        start=1_700_000_000,
        end=1_700_000_095,
        users=14,
        host="http://127.0.0.1:8080",
        user_classes=["Shopper", "Browser"],
    )


class _Collector(HTMLParser):
    """Element names, attributes and the text of ``<script>`` elements of a document."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data


def parse(document: str) -> _Collector:
    collector = _Collector()
    collector.feed(document)
    return collector


def test_the_report_states_the_run_facts(stats: RequestStats, facts: RunFacts) -> None:
    page = render_html_report(stats, facts)
    for text in ("2023-11-14 22:13:20 UTC", "2023-11-14 22:14:55 UTC", "1m35s", "14"):
        assert text in page
    assert "http://127.0.0.1:8080" in page and "Shopper, Browser" in page
    assert re.search(r"swarm version</dt><dd>\d+\.\d+", page)


def test_tables_hold_each_endpoint_then_aggregated(stats: RequestStats, facts: RunFacts) -> None:
    page = render_html_report(stats, facts)
    for table in ("stats", "percentiles"):
        body = page.split(f'<table id="{table}">')[1].split("</table>")[0]
        names = re.findall(r'<td class="name">(.*?)</td>', body)
        assert names == [
            "/fast",
            "&lt;/script&gt;&lt;img src=x onerror=&#34;alert(1)&#34;&gt;&amp;amp;",
            "Aggregated",
        ]
    assert "<td>100</td>" in page  # the 100 requests of each endpoint


def test_user_data_is_escaped_everywhere(stats: RequestStats, facts: RunFacts) -> None:
    page = render_html_report(stats, facts)
    document = parse(page)
    assert not [tag for tag, _ in document.tags if tag == "img"]
    assert HOSTILE not in page
    for script in document.scripts:
        assert "</script" not in script.lower()


def test_the_page_loads_nothing_from_elsewhere(stats: RequestStats, facts: RunFacts) -> None:
    document = parse(render_html_report(stats, facts))
    assert [attrs for tag, attrs in document.tags if {"src", "href"} & attrs.keys()] == []
    assert [tag for tag, _ in document.tags if tag in ("link", "iframe", "img")] == []
    uplot = document.scripts[0]
    assert "uPlot" in uplot and "Permission is hereby granted" in uplot  # code and licence


def test_chart_data_comes_from_the_history(stats: RequestStats, facts: RunFacts) -> None:
    series = chart_series(stats)
    assert series["users"] == [10, 11, 12, 13, 14]
    assert len(series["time"]) == 5 and series["time"] == sorted(series["time"])
    assert all(value > 0 for value in series["p95"])
    assert script_json(series) in render_html_report(stats, facts)


def test_script_json_cannot_end_the_script_element() -> None:
    text = script_json({"name": HOSTILE, "comment": "<!--"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"name": HOSTILE, "comment": "<!--"}


def test_distribution_counts_every_request_in_its_range(clock: FakeClock) -> None:
    stats = RequestStats(clock=clock)
    for ms in (0, 0.5, 3, 3, 4, 150, 4_000):
        stats.log_request("GET", "/x", ms, 0)
    rows = distribution(stats.get("/x", "GET"))
    assert [(r.low, r.high, r.count) for r in rows] == [
        (0, 1, 2),
        (1, 2, 0),
        (2, 5, 3),
        (5, 10, 0),
        (10, 20, 0),
        (20, 50, 0),
        (50, 100, 0),
        (100, 200, 1),
        (200, 500, 0),
        (500, 1_000, 0),
        (1_000, 2_000, 0),
        (2_000, 5_000, 1),
    ]
    assert sum(r.share for r in rows) == pytest.approx(1.0)
    assert rows[-1].label == "2,000 to 5,000 ms"


def test_distribution_of_slow_requests_ends_open(clock: FakeClock) -> None:
    stats = RequestStats(clock=clock)
    stats.log_request("GET", "/slow", 90_000, 0)
    (row,) = distribution(stats.get("/slow", "GET"))
    assert row.count == 1 and row.label == "≥ 50,000 ms"


def test_distribution_is_shown_per_endpoint(stats: RequestStats, facts: RunFacts) -> None:
    section = render_html_report(stats, facts).split('id="distributions"')[1]
    assert "<h3>GET /fast</h3>" in section and "<td>2 to 5 ms</td>" in section
    assert "<td>100 to 200 ms</td>" in section


def test_failures_and_exceptions_are_listed(stats: RequestStats, facts: RunFacts) -> None:
    page = render_html_report(stats, facts)
    failures = page.split('<table id="failures">')[1].split("</table>")[0]
    assert "ValueError(" in failures and "<td>1</td>" in failures
    exceptions = page.split('<table id="exceptions">')[1].split("</table>")[0]
    assert "KeyError &lt;/script&gt;" in exceptions and "Traceback (most recent" in exceptions


def test_an_empty_run_still_makes_a_page(clock: FakeClock, facts: RunFacts) -> None:
    page = render_html_report(RequestStats(clock=clock), facts)
    assert "No failures." in page and "No exceptions in user code." in page
    assert "No requests." in page and '"time": []' in page


def test_write_creates_parents_and_replaces(
    stats: RequestStats, facts: RunFacts, tmp_path: Path
) -> None:
    path = tmp_path / "out" / "report.html"
    path.parent.mkdir()
    path.write_text("old")
    assert write_html_report(stats, facts, path) == path
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in path.parent.iterdir()] == ["report.html"]


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("report_{u}u_{r}r_{t}s.html", "report_50u_2.5r_90s.html"),
        ("{u}-{u}.html", "50-50.html"),
        ("plain.html", "plain.html"),
    ],
)
def test_placeholders_in_the_file_name(template: str, expected: str) -> None:
    assert html_file_name(template, 50, 2.5, 90.0) == expected


def test_placeholders_without_values_are_left_empty() -> None:
    assert html_file_name("r{u}_{r}_{t}.html", None, None, None) == "r__.html"


@pytest.fixture
def web() -> Iterator[Web]:
    yield from make_web()


def test_web_ui_shows_the_report_of_now(web: Web) -> None:
    web.request("/shown", 12)
    reply = web.client.get("/stats/report")
    assert reply.status_code == 200 and reply.mimetype == "text/html"
    assert "Content-Disposition" not in reply.headers
    page = reply.get_data(as_text=True)
    assert '<td class="name">/shown</td>' in page and "Idle" in page


def test_web_ui_report_download_is_an_attachment(web: Web) -> None:
    reply = web.client.get("/stats/report", query_string={"download": "1"})
    disposition = reply.headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename=swarm_")
    assert disposition.endswith("_report.html")
    assert reply.get_data(as_text=True).startswith("<!DOCTYPE html>")
