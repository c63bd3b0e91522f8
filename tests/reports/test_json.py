"""The JSON report: Locust's --json list of entries, printed or written to NAME.json."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from fake_clock import FakeClock

from swarm.reports import print_json, stats_to_json, write_json_file
from swarm.stats import RequestStats, StatsEntry


@pytest.fixture
def stats(clock: FakeClock) -> RequestStats:
    stats = RequestStats(clock=clock)
    for i in range(50):
        clock.advance(0.1)
        stats.log_request("GET", "/b", float(i), 10)
        stats.log_request("POST", "/a", 3.0 * i, 20)
    stats.log_error("POST", "/a", "oops")
    stats.get("/unused", "GET")
    return stats


def test_one_item_per_used_entry_without_aggregated(stats: RequestStats) -> None:
    items = stats_to_json(stats)
    assert [(item["method"], item["name"]) for item in items] == [("POST", "/a"), ("GET", "/b")]
    a = items[0]
    assert a["num_requests"] == 50
    assert a["num_failures"] == 1
    assert a["total_content_length"] == 1000
    assert a["max_response_time"] == 147.0
    assert a["percentiles"]["1.0"] == 147.0


def test_write_json_file_writes_name_dot_json(stats: RequestStats, tmp_path: Path) -> None:
    path = write_json_file(stats, tmp_path / "out" / "report")
    assert path == tmp_path / "out" / "report.json"
    assert json.loads(path.read_text()) == json.loads(json.dumps(stats_to_json(stats)))
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["report.json"]


def test_json_round_trip_restores_the_entries(stats: RequestStats, tmp_path: Path) -> None:
    path = write_json_file(stats, tmp_path / "report")
    restored = [StatsEntry.unserialize(item) for item in json.loads(path.read_text())]
    originals = [stats.get("/a", "POST"), stats.get("/b", "GET")]
    for back, original in zip(restored, originals, strict=True):
        assert back.serialize() == original.serialize()
        assert back.histogram == original.histogram


def test_print_json_prints_the_same_list(stats: RequestStats) -> None:
    out = io.StringIO()
    print_json(stats, out)
    assert json.loads(out.getvalue()) == json.loads(json.dumps(stats_to_json(stats)))
