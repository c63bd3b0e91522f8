"""JSON, CSV and HTML reports of an arrival-rate run: rates, drops and service times added,
Locust's fields and columns kept first and unchanged; nothing added in the closed model."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from fake_clock import FakeClock
from reports.arrival_run import PLAN

from swarm.compare import load_report
from swarm.env import Environment
from swarm.reports import CsvReport, print_json, stats_to_json, write_json_file
from swarm.reports.arrival import arrival_summary
from swarm.reports.csv import (
    ARRIVAL_HISTORY_COLUMNS,
    HISTORY_COLUMNS,
    SERVICE_COLUMNS,
    STATS_COLUMNS,
)
from swarm.reports.html import RunFacts, render_html_report, run_facts
from swarm.stats import RequestStats

# -- JSON -------------------------------------------------------------------------------------


def test_every_item_carries_the_arrival_object_and_its_service_times(
    arrival_stats: RequestStats,
) -> None:
    items = stats_to_json(arrival_stats, arrival_plan=PLAN)
    assert isinstance(items, list)
    assert [(i["method"], i["name"]) for i in items] == [("POST", "/cart"), ("GET", "/item")]
    expected = arrival_summary(arrival_stats, PLAN)
    assert expected is not None
    for item in items:
        assert item["arrival"] == expected.to_dict()
        assert item["arrival"]["dropped_iterations"] == 3
        assert set(item["service_time_percentiles"]) == set(item["percentiles"])
    cart, item = items
    assert item["service_time_percentiles"]["0.5"] == 10.0
    assert item["percentiles"]["0.5"] == pytest.approx(60, rel=0.01)  # corrected
    assert cart["service_time_percentiles"]["0.99"] == 50.0
    assert cart["percentiles"]["0.99"] == 200.0


def test_closed_model_items_have_neither(clock: FakeClock) -> None:
    stats = RequestStats(clock=clock)
    stats.log_request("GET", "/a", 5.0, 0)
    (item,) = stats_to_json(stats)
    assert "arrival" not in item and "service_time_percentiles" not in item


def test_service_times_without_a_plan_come_without_the_arrival_object(
    arrival_stats: RequestStats,
) -> None:
    items = stats_to_json(arrival_stats)  # as a caller that passes none
    assert all("arrival" not in i and "service_time_percentiles" in i for i in items)


def test_an_endpoint_without_service_times_reads_zero(arrival_stats: RequestStats) -> None:
    arrival_stats.log_request("GET", "/uncounted", 7.0, 0)
    item = next(i for i in stats_to_json(arrival_stats) if i["name"] == "/uncounted")
    assert set(item["service_time_percentiles"].values()) == {0.0}


def test_files_and_printed_json_carry_it_and_swarm_compare_still_reads_them(
    arrival_stats: RequestStats, tmp_path: Path
) -> None:
    path = write_json_file(arrival_stats, tmp_path / "run", arrival_plan=PLAN)
    written = json.loads(path.read_text())
    assert written == json.loads(json.dumps(stats_to_json(arrival_stats, arrival_plan=PLAN)))
    out = io.StringIO()
    print_json(arrival_stats, out, arrival_plan=PLAN)
    assert json.loads(out.getvalue()) == written
    entries = load_report(path)
    assert entries[("GET", "/item")].num_requests == 100


# -- CSV --------------------------------------------------------------------------------------


def _read(path: Path) -> list[dict[str, str]]:
    """Rows as dicts by header, after checking every row has as many cells as the header."""
    with path.open(newline="") as f:
        rows = list(csv.reader(f))
    assert all(len(row) == len(rows[0]) for row in rows)
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def _header(path: Path) -> list[str]:
    with path.open(newline="") as f:
        return next(csv.reader(f))


def test_stats_csv_appends_service_percentiles_after_locust_s_columns(
    arrival_stats: RequestStats, tmp_path: Path
) -> None:
    CsvReport(arrival_stats, tmp_path / "run").write_final()
    path = tmp_path / "run_stats.csv"
    assert _header(path) == [*STATS_COLUMNS, *SERVICE_COLUMNS]
    assert SERVICE_COLUMNS[:3] == ["Service 50%", "Service 66%", "Service 75%"]
    assert SERVICE_COLUMNS[-1] == "Service 100%"
    cart, item, total = _read(path)
    assert (item["Name"], item["50%"], item["Service 50%"]) == ("/item", "60", "10")
    assert (cart["99%"], cart["Service 99%"]) == ("200", "50")
    assert (total["Name"], total["Service 100%"], total["100%"]) == ("Aggregated", "50", "200")


def test_stats_csv_of_an_endpoint_without_service_times(
    arrival_stats: RequestStats, tmp_path: Path
) -> None:
    arrival_stats.get("/never", "GET")
    CsvReport(arrival_stats, tmp_path / "run").write_final()
    never = next(r for r in _read(tmp_path / "run_stats.csv") if r["Name"] == "/never")
    assert {never[c] for c in SERVICE_COLUMNS} == {"N/A"}


def test_history_appends_iterations_per_second_and_drops(
    arrival_stats: RequestStats, clock: FakeClock, tmp_path: Path
) -> None:
    report = CsvReport(arrival_stats, tmp_path / "run", full_history=True)
    start = arrival_stats.start_time
    report.write_history_row(start + 10, user_count=8)
    arrival_stats.iterations += 50
    arrival_stats.dropped_iterations += 2
    report.write_history_row(start + 12, user_count=8)
    path = tmp_path / "run_stats_history.csv"
    assert _header(path) == [*HISTORY_COLUMNS, *ARRIVAL_HISTORY_COLUMNS]
    rows = _read(path)
    assert [r["Name"] for r in rows] == ["/cart", "/item", "Aggregated"] * 2
    # the first point: 200 iterations over the 10 s since the start; then 50 in 2 s
    assert {(r["Iterations/s"], r["Dropped Iterations"]) for r in rows[:3]} == {("20.000000", "3")}
    assert {(r["Iterations/s"], r["Dropped Iterations"]) for r in rows[3:]} == {("25.000000", "5")}


def test_history_keeps_the_columns_of_its_header(clock: FakeClock, tmp_path: Path) -> None:
    stats = RequestStats(clock=clock)
    report = CsvReport(stats, tmp_path / "run")
    report.write_history_row(clock.now, user_count=0)  # a closed test first (web UI)
    stats.keep_service_times()
    stats.iterations = 10
    report.write_history_row(clock.now + 1, user_count=0)
    path = tmp_path / "run_stats_history.csv"
    assert _header(path) == HISTORY_COLUMNS
    assert len(_read(path)) == 2  # _read checked the cells against the header


def test_closed_model_csv_has_locust_s_columns_only(clock: FakeClock, tmp_path: Path) -> None:
    stats = RequestStats(clock=clock)
    stats.log_request("GET", "/a", 5.0, 0)
    report = CsvReport(stats, tmp_path / "run")
    report.write_final()
    report.write_history_row(clock.now, user_count=1)
    assert _header(tmp_path / "run_stats.csv") == STATS_COLUMNS
    assert _header(tmp_path / "run_stats_history.csv") == HISTORY_COLUMNS


# -- HTML -------------------------------------------------------------------------------------


def _facts(stats: RequestStats, arrival: bool = True) -> RunFacts:
    summary = arrival_summary(stats, PLAN) if arrival else None
    return RunFacts(start=1_700_000_000, end=1_700_000_010, users=8, arrival=summary)


def _section(page: str, marker: str) -> str:
    found = re.search(rf"<section {marker}.*?</section>", page, re.S)
    assert found is not None, marker
    return found.group(0)


def test_the_arrival_section_states_rates_drops_and_the_pool(arrival_stats: RequestStats) -> None:
    page = render_html_report(arrival_stats, _facts(arrival_stats))
    section = _section(page, 'id="arrival"')
    assert 'class="dropped" role="alert"' in section
    assert "<dt>Requested</dt><dd>20/s</dd>" in section
    assert "<dt>Achieved</dt><dd>20.0/s (200 iterations)</dd>" in section
    assert "<dt>Dropped iterations</dt><dd>3 (1.5% of those due)</dd>" in section
    assert "up to 8 users (--max-users)" in section and "at most 0.5s" in section
    assert "WARNING: 3 iterations" in section
    assert page.index('id="arrival"') < page.index('id="facts"')  # seen first


def test_no_alert_when_nothing_was_dropped(arrival_stats: RequestStats) -> None:
    arrival_stats.dropped_iterations = 0
    section = _section(render_html_report(arrival_stats, _facts(arrival_stats)), 'id="arrival"')
    assert "dropped" not in section.split(">")[0] and "WARNING" not in section
    assert "<dt>Dropped iterations</dt><dd>0</dd>" in section


def test_service_percentiles_beside_the_corrected_ones(arrival_stats: RequestStats) -> None:
    page = render_html_report(arrival_stats, _facts(arrival_stats))
    corrected = page.index("<h2>Response time percentiles (ms), from each iteration's intended")
    service = page.index("<h2>Service time percentiles (ms), as the client timed each request")
    assert corrected < service
    table = page.split('<table id="service-percentiles">')[1].split("</table>")[0]
    body = table.split("<tbody>")[1]
    rows = re.findall(r"<tr( class=\"total\")?>(.*?)</tr>", body)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row) for _, row in rows]
    assert [row[1] for row in cells] == ["/cart", "/item", "Aggregated"]
    assert cells[1][2] == "10" and cells[0][2] == "50"  # the medians, uncorrected
    assert [bool(total) for total, _ in rows] == [False, False, True]


def test_the_closed_report_has_neither(arrival_stats: RequestStats) -> None:
    page = render_html_report(arrival_stats, _facts(arrival_stats, arrival=False))
    assert 'id="arrival"' not in page and "#arrival" not in page
    assert "Service time" not in page and "service-percentiles" not in page
    assert "<h2>Response time percentiles (ms)</h2>" in page


def test_run_facts_read_the_plan_from_the_runner(arrival_env: Environment) -> None:
    facts = run_facts(arrival_env)
    assert facts.arrival is not None and facts.arrival.iterations == 200
    assert facts.arrival.requested == "20/s"
    assert arrival_env.runner is not None
    arrival_env.runner.arrival_plan = None
    assert run_facts(arrival_env).arrival is None
