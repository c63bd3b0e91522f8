"""Per-endpoint chart history: bounded, downsampled evenly, capped in endpoints."""

from __future__ import annotations

from itertools import pairwise

import pytest
from fake_clock import FakeClock

from swarm.stats import RequestStats
from swarm.web.history import DownsamplingRing, EndpointHistory


def test_a_ring_keeps_everything_until_full() -> None:
    ring = DownsamplingRing(8)
    for i in range(7):
        ring.append({"i": i})
    assert [p["i"] for p in ring] == list(range(7))


def test_a_full_ring_spreads_its_points_over_the_whole_run() -> None:
    ring = DownsamplingRing(8)
    for i in range(1, 1001):
        ring.append({"i": i})
    kept = [p["i"] for p in ring]
    assert len(kept) < 8
    gaps = {b - a for a, b in pairwise(kept)}
    assert len(gaps) == 1  # evenly spaced
    gap = gaps.pop()
    assert kept[-1] > 1000 - gap  # reaches the end of the run
    assert kept[0] <= gap  # and still shows its start


def test_a_ring_needs_room_for_two_points() -> None:
    with pytest.raises(ValueError, match="2 or more"):
        DownsamplingRing(1)


def stats_with(clock: FakeClock, *names: str) -> RequestStats:
    stats = RequestStats(clock=clock)
    for name in names:
        stats.log_request("GET", name, 10.0, 5)
    return stats


def test_each_endpoint_gets_points_with_the_totals_keys() -> None:
    clock = FakeClock()
    stats = stats_with(clock, "/a", "/b")
    history = EndpointHistory()
    for _ in range(3):
        clock.advance(1)
        stats.log_request("GET", "/a", 20.0, 5)
        history.record(stats.entries.values(), clock(), user_count=4)
    points = history.points("/a", "GET")
    assert len(points) == 3
    assert points[-1]["user_count"] == 4
    assert points[-1]["response_time_percentile_0.95"] == pytest.approx(20.0, rel=0.01)
    assert set(points[0]) == {
        "time",
        "timestamp",
        "user_count",
        "current_rps",
        "current_fail_per_sec",
        "response_time_percentile_0.5",
        "response_time_percentile_0.95",
    }
    assert len(history.points("/b", "GET")) == 3
    assert history.points("/a", "POST") == []


def test_endpoints_beyond_the_cap_have_no_history() -> None:
    clock = FakeClock()
    stats = stats_with(clock, "/a", "/b", "/c")
    history = EndpointHistory(max_points=4, max_endpoints=2)
    history.record(stats.sorted_entries(), clock(), 1)
    assert history.points("/b", "GET") and not history.points("/c", "GET")


def test_clear_forgets_every_endpoint() -> None:
    clock = FakeClock()
    history = EndpointHistory()
    history.record(stats_with(clock, "/a").entries.values(), clock(), 1)
    history.clear()
    assert history.points("/a", "GET") == []
