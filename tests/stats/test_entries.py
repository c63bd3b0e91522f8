"""StatsEntry: counters, rates, current percentiles, merging and shipping."""

from __future__ import annotations

import json

import msgpack
import pytest
from fake_clock import FakeClock

from swarm.stats import PERCENTILES_TO_REPORT, RequestStats, StatsEntry
from swarm.stats.entries import PER_SECOND_WINDOW


def _entry(clock: FakeClock, cache: bool = True) -> StatsEntry:
    return StatsEntry(None, "/items", "GET", use_response_times_cache=cache, clock=clock)


def test_log_counts_requests_sizes_and_response_times(clock: FakeClock) -> None:
    entry = _entry(clock)
    for rt, size in ((10.0, 100), (30.0, 300), (20.0, 200)):
        entry.log(rt, size)
    entry.log(None, 50)

    assert entry.num_requests == 4
    assert entry.num_none_requests == 1
    assert entry.total_content_length == 650
    assert entry.avg_content_length == 162.5
    assert entry.min_response_time == 10.0
    assert entry.max_response_time == 30.0
    assert entry.total_response_time == 60.0
    assert entry.avg_response_time == 20.0  # None requests have no response time
    assert entry.median_response_time == pytest.approx(20.0, rel=0.004)
    assert entry.last_request_timestamp == clock.now


def test_an_entry_without_requests_reports_zeros(clock: FakeClock) -> None:
    entry = _entry(clock)
    assert entry.min_response_time is None
    assert entry.max_response_time == 0
    assert entry.avg_response_time == 0
    assert entry.median_response_time == 0
    assert entry.current_rps == 0
    assert entry.total_rps == 0
    assert entry.fail_ratio == 0
    assert entry.get_current_response_time_percentile(0.95) == 0


def test_fail_ratio(clock: FakeClock) -> None:
    entry = _entry(clock)
    entry.log_error("boom")
    assert entry.fail_ratio == 1.0  # failures without any request
    for _ in range(4):
        entry.log(5.0, 0)
    assert entry.fail_ratio == 0.25


def test_rates_over_the_recent_seconds_and_over_the_run(clock: FakeClock) -> None:
    entry = _entry(clock)
    start = clock.now
    for second in range(30):
        clock.now = start + second + 0.5
        for _ in range(10 if second < 15 else 40):
            entry.log(5.0, 0)
        if second >= 15:
            entry.log_error("boom")

    # the ten settled seconds before the last one (the last two may still be filling)
    assert entry.current_rps == 40.0
    assert entry.current_fail_per_sec == 1.0
    assert entry.total_rps == pytest.approx(entry.num_requests / 29.5)
    assert entry.total_fail_per_sec == pytest.approx(15 / 29.5)


def test_rates_use_the_time_frame_of_the_owning_stats(clock: FakeClock) -> None:
    stats = RequestStats(clock=clock)
    start = clock.now
    for second in range(40):
        clock.now = start + second + 0.5
        stats.log_request("GET", "/busy", 1.0, 0)
        if second < 10:
            for _ in range(10):
                stats.log_request("GET", "/early", 1.0, 0)
    # /early was busy long ago only: its current rate is read over the same recent seconds
    # as every other row (before the last request of the run), so it is 0 now
    assert stats.get("/busy", "GET").current_rps == 1.0
    assert stats.get("/early", "GET").current_rps == 0.0
    assert stats.total.current_rps == 1.0


def test_per_second_counts_keep_a_bounded_window(clock: FakeClock) -> None:
    entry = _entry(clock)
    for _ in range(1000):
        clock.advance(1)
        entry.log(1.0, 0)
        entry.log_error("x")
    assert len(entry.num_reqs_per_sec) <= PER_SECOND_WINDOW + 1
    assert len(entry.num_fail_per_sec) <= PER_SECOND_WINDOW + 1
    assert max(entry.num_reqs_per_sec) == int(clock.now)


def test_current_percentiles_cover_the_last_ten_seconds(clock: FakeClock) -> None:
    entry = _entry(clock)
    start = int(clock.now)
    for second in range(50):
        clock.now = start + second + 0.5
        for _ in range(5):
            entry.log(1000.0 if second < 30 else 10.0, 0)

    clock.now = start + 49.9
    assert entry.get_current_response_time_percentile(0.5) == pytest.approx(10.0, rel=0.004)
    assert entry.get_current_response_time_percentile(1.0) == pytest.approx(10.0, rel=0.01)
    assert entry.get_response_time_percentile(0.5) == pytest.approx(1000.0, rel=0.004)

    clock.advance(30)  # nothing happened in the last 10 s
    assert entry.get_current_response_time_percentile(0.5) == 0


def test_current_window_is_exactly_the_requests_after_the_second_ten_seconds_ago(
    clock: FakeClock,
) -> None:
    entry = _entry(clock)
    start = int(clock.now)
    for second in range(40):
        clock.now = start + second + 0.25
        entry.log(float(100 + second), 0)
        if second % 7 == 3:
            clock.advance(0.5)  # some seconds see two requests
            entry.log(float(100 + second), 0)

    clock.now = start + 39.8
    window = entry.current_histogram()
    seconds_in_window = range(30, 40)  # after the end of second 29
    assert window.count == sum(2 if s % 7 == 3 else 1 for s in seconds_in_window)
    assert window.min == pytest.approx(130.0, rel=0.01)


def test_current_window_survives_a_gap_without_requests(clock: FakeClock) -> None:
    entry = _entry(clock)
    start = int(clock.now)
    clock.now = start + 0.5
    entry.log(500.0, 0)
    clock.now = start + 20.5  # a long pause, then a new request
    entry.log(5.0, 0)
    clock.now = start + 25.5
    window = entry.current_histogram()
    assert window.count == 1
    assert window.percentile(1.0) == pytest.approx(5.0, rel=0.01)


def test_current_percentiles_need_the_response_times_cache(clock: FakeClock) -> None:
    entry = _entry(clock, cache=False)
    entry.log(1.0, 0)
    with pytest.raises(ValueError, match="use_response_times_cache"):
        entry.get_current_response_time_percentile(0.5)


def test_reset_forgets_everything_and_restarts_now(clock: FakeClock) -> None:
    entry = _entry(clock)
    entry.log(1.0, 10)
    entry.log_error("x")
    clock.advance(100)
    entry.reset()
    assert entry.serialize() == _entry(clock).serialize()
    assert entry.start_time == clock.now


def test_response_times_are_rounded_like_locust(clock: FakeClock) -> None:
    entry = _entry(clock)
    for rt in (0.0, 4.4, 147.0, 3432.0, 58760.0):
        entry.log(rt, 0)
    assert entry.response_times == {0: 1, 4: 1, 150: 1, 3400: 1, 59000: 1}


def _filled(clock: FakeClock, name: str = "/items", requests: int = 300) -> StatsEntry:
    entry = StatsEntry(None, name, "GET", use_response_times_cache=True, clock=clock)
    for i in range(requests):
        clock.advance(0.1)
        entry.log(float(i % 97) * 3.3, i)
        if i % 10 == 0:
            entry.log_error("boom")
    return entry


def test_extend_equals_logging_everything_in_one_entry(clock: FakeClock) -> None:
    one = StatsEntry(None, "/items", "GET", clock=clock)
    parts = [StatsEntry(None, "/items", "GET", clock=clock) for _ in range(3)]
    for i in range(600):
        clock.advance(0.05)
        rt = float(i % 41) ** 1.5
        one.log(rt, 7)
        parts[i % 3].log(rt, 7)
        if i % 9 == 0:
            one.log_error("x")
            parts[i % 3].log_error("x")

    merged = StatsEntry(None, "/items", "GET", clock=clock)
    for part in parts:
        merged.extend(part)

    assert merged.histogram == one.histogram
    for field in ("num_requests", "num_failures", "total_content_length", "num_none_requests"):
        assert getattr(merged, field) == getattr(one, field)
    assert merged.num_reqs_per_sec == one.num_reqs_per_sec
    assert merged.num_fail_per_sec == one.num_fail_per_sec
    assert merged.last_request_timestamp == one.last_request_timestamp
    assert merged.get_response_time_percentiles(PERCENTILES_TO_REPORT) == (
        one.get_response_time_percentiles(PERCENTILES_TO_REPORT)
    )


@pytest.mark.parametrize(
    ("dumps", "loads"),
    [(json.dumps, json.loads), (msgpack.packb, msgpack.unpackb)],
    ids=["json", "msgpack"],
)
def test_serialize_round_trip(clock: FakeClock, dumps, loads) -> None:
    entry = _filled(clock)
    entry.log(None, 5)
    back = StatsEntry.unserialize(loads(dumps(entry.serialize())))
    assert back.serialize() == entry.serialize()
    assert back.histogram == entry.histogram
    assert back.num_reqs_per_sec == entry.num_reqs_per_sec


def test_to_dict_has_locust_fields_and_percentiles(clock: FakeClock) -> None:
    entry = _filled(clock)
    data = json.loads(json.dumps(entry.to_dict()))

    locust_fields = [
        "name",
        "method",
        "last_request_timestamp",
        "start_time",
        "num_requests",
        "num_none_requests",
        "num_failures",
        "total_response_time",
        "max_response_time",
        "min_response_time",
        "total_content_length",
        "response_times",
        "num_reqs_per_sec",
        "num_fail_per_sec",
    ]
    assert list(data)[: len(locust_fields)] == locust_fields
    assert data["num_requests"] == 300
    assert data["num_failures"] == 30
    assert sum(data["response_times"].values()) == 300
    assert list(data["percentiles"]) == [str(q) for q in PERCENTILES_TO_REPORT]
    assert data["percentiles"]["1.0"] == entry.max_response_time
    assert data["percentiles"]["0.5"] == entry.median_response_time
    for extra in ("avg_response_time", "median_response_time", "current_rps", "total_rps"):
        assert data[extra] == getattr(entry, extra)
    assert data["fail_ratio"] == 0.1
    assert StatsEntry.unserialize(data).serialize() == entry.serialize()


def test_unserialize_reads_locust_dicts_without_a_histogram(clock: FakeClock) -> None:
    locust_style = {
        "name": "/old",
        "method": "POST",
        "last_request_timestamp": 1_700_000_010.5,
        "start_time": 1_700_000_000.0,
        "num_requests": 4,
        "num_none_requests": 0,
        "num_failures": 1,
        "total_response_time": 1165.25,
        "max_response_time": 1003.25,
        "min_response_time": 12.0,
        "total_content_length": 40,
        "response_times": {"12": 1, "50": 2, "1000": 1},
        "num_reqs_per_sec": {"1700000010": 4},
        "num_fail_per_sec": {1_700_000_010: 1},
    }
    entry = StatsEntry.unserialize(locust_style)
    assert entry.num_requests == 4
    assert entry.min_response_time == 12.0
    assert entry.max_response_time == 1003.25
    assert entry.total_response_time == 1165.25
    assert entry.median_response_time == pytest.approx(50.0, rel=0.004)
    assert entry.get_response_time_percentile(1.0) == 1003.25
    assert entry.num_reqs_per_sec == {1_700_000_010: 4}
    assert entry.num_fail_per_sec == {1_700_000_010: 1}


def test_get_stripped_report_returns_the_data_and_resets(clock: FakeClock) -> None:
    entry = _filled(clock)
    expected = entry.serialize()
    assert entry.get_stripped_report() == expected
    assert entry.num_requests == 0
    assert entry.histogram.count == 0


def test_a_clock_that_steps_back_counts_in_the_current_second(clock: FakeClock) -> None:
    entry = _entry(clock)
    start = int(clock.now)
    clock.now = start + 5.5
    entry.log(1.0, 0)
    clock.now = start + 4.9  # the system clock was set back a little
    entry.log(1.0, 0)
    entry.log_error("x")
    clock.now = start + 6.5
    entry.log(1.0, 0)
    assert entry.num_reqs_per_sec == {start + 5: 2, start + 6: 1}
    assert entry.num_fail_per_sec == {start + 5: 1}
