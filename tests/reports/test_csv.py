"""CSV reports: Locust 2.x file names, headers and values."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from fake_clock import FakeClock

from swarm.reports import CsvReport
from swarm.stats import RequestStats

STATS_HEADER = (
    "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
    "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,"
    "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%"
)
HISTORY_HEADER = (
    "Timestamp,User Count,Type,Name,Requests/s,Failures/s,"
    "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%,"
    "Total Request Count,Total Failure Count,Total Median Response Time,"
    "Total Average Response Time,Total Min Response Time,Total Max Response Time,"
    "Total Average Content Size"
)


@pytest.fixture
def stats(clock: FakeClock) -> RequestStats:
    """/b: 100 requests of 1..100 ms over 10 s; /a: 10 failing requests; /empty: none."""
    stats = RequestStats(clock=clock)
    start = clock.now
    for i in range(100):
        clock.now = start + i / 10
        stats.log_request("GET", "/b", float(i + 1), 1000)
        if i % 10 == 0:
            stats.log_request("POST", "/a", 500.0, 0)
            stats.log_error("POST", "/a", ValueError("server said no"))
    clock.now = start + 10
    stats.get("/empty", "GET")
    stats.log_exception("ZeroDivisionError: division by zero", "Traceback ...", node="w1")
    return stats


def _read(path: Path) -> list[list[str]]:
    with path.open(newline="") as f:
        return list(csv.reader(f))


def test_stats_csv_has_locust_header_and_one_row_per_entry(
    stats: RequestStats, tmp_path: Path
) -> None:
    CsvReport(stats, tmp_path / "run").write_final()
    rows = _read(tmp_path / "run_stats.csv")

    assert ",".join(rows[0]) == STATS_HEADER
    assert [row[:4] for row in rows[1:]] == [
        ["POST", "/a", "10", "10"],
        ["GET", "/b", "100", "0"],
        ["GET", "/empty", "0", "0"],
        ["", "Aggregated", "110", "10"],
    ]
    b = dict(zip(rows[0], rows[2], strict=True))
    assert b["Median Response Time"] == "50"
    assert float(b["Average Response Time"]) == pytest.approx(50.5)
    assert float(b["Min Response Time"]) == 1.0
    assert float(b["Max Response Time"]) == 100.0
    assert float(b["Average Content Size"]) == 1000.0
    assert float(b["Requests/s"]) == pytest.approx(100 / 9.9)
    assert float(b["Failures/s"]) == 0.0
    percentiles = [b[c] for c in ("50%", "66%", "75%", "90%", "99%", "100%")]
    assert percentiles == ["50", "66", "75", "90", "99", "100"]
    assert rows[3][4:] == ["0", "0.0", "0", "0.0", "0.0", "0.0", "0.0"] + ["N/A"] * 11


def test_failures_and_exceptions_csv(stats: RequestStats, tmp_path: Path) -> None:
    CsvReport(stats, tmp_path / "run").write_final()
    assert _read(tmp_path / "run_failures.csv") == [
        ["Method", "Name", "Error", "Occurrences"],
        ["POST", "/a", "ValueError('server said no')", "10"],
    ]
    assert _read(tmp_path / "run_exceptions.csv") == [
        ["Count", "Message", "Traceback", "Nodes"],
        ["1", "ZeroDivisionError: division by zero", "Traceback ...", "w1"],
    ]


def test_final_files_are_written_where_asked_and_replace_older_ones(
    stats: RequestStats, tmp_path: Path
) -> None:
    report = CsvReport(stats, tmp_path / "deep" / "dir" / "load")
    report.write_final()
    stats.log_request("GET", "/late", 1.0, 0)
    report.write_final()

    names = sorted(p.name for p in (tmp_path / "deep" / "dir").iterdir())
    assert names == ["load_exceptions.csv", "load_failures.csv", "load_stats.csv"]
    assert any(row[1] == "/late" for row in _read(tmp_path / "deep/dir/load_stats.csv"))


def test_history_appends_one_aggregated_row_per_call(
    stats: RequestStats, clock: FakeClock, tmp_path: Path
) -> None:
    report = CsvReport(stats, tmp_path / "run")
    report.write_history_row(clock.now, user_count=3)
    stats.log_request("GET", "/b", 7.0, 0)
    report.write_history_row(clock.now + 1, user_count=4)

    rows = _read(tmp_path / "run_stats_history.csv")
    assert ",".join(rows[0]) == HISTORY_HEADER
    assert [row[:4] for row in rows[1:]] == [
        [str(int(clock.now)), "3", "", "Aggregated"],
        [str(int(clock.now) + 1), "4", "", "Aggregated"],
    ]
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["Total Request Count"] == "110"
    assert first["Total Failure Count"] == "10"
    assert first["100%"] == "500"
    assert float(first["Requests/s"]) == pytest.approx(stats.total.current_rps, abs=1e-6)
    assert rows[2][17] == "111"


def test_full_history_adds_a_row_per_entry(
    stats: RequestStats, clock: FakeClock, tmp_path: Path
) -> None:
    report = CsvReport(stats, tmp_path / "run", full_history=True)
    report.write_history_row(clock.now, user_count=1)
    rows = _read(tmp_path / "run_stats_history.csv")
    assert [row[3] for row in rows[1:]] == ["/a", "/b", "/empty", "Aggregated"]
    empty = dict(zip(rows[0], rows[3], strict=True))
    assert empty["50%"] == "N/A"


def test_reports_do_not_change_the_stats(stats: RequestStats, tmp_path: Path) -> None:
    before = (stats.serialize_stats(), stats.total.serialize(), stats.serialize_errors())
    report = CsvReport(stats, tmp_path / "run", full_history=True)
    report.write_final()
    report.write_history_row(0.0, 0)
    assert (stats.serialize_stats(), stats.total.serialize(), stats.serialize_errors()) == before
