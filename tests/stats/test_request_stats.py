"""RequestStats: the request listener, caps, history, resets, and worker/master merging."""

from __future__ import annotations

import itertools
import logging

import msgpack
import pytest
from fake_clock import FakeClock

from swarm.event import Events
from swarm.stats import PERCENTILES_TO_REPORT, RequestStats, StatsEntry


def _fire(events: Events, method: str, name: str, rt: float | None, exc: object = None) -> None:
    events.request.fire(
        request_type=method,
        name=name,
        response_time=rt,
        response_length=123,
        response=None,
        context={},
        exception=exc,
        start_time=0.0,
        url=name,
    )


def test_request_event_feeds_entries_total_and_errors(clock: FakeClock) -> None:
    stats = RequestStats(clock=clock)
    events = Events()
    events.request.add_listener(stats.on_request)

    _fire(events, "GET", "/a", 10.0)
    _fire(events, "GET", "/a", 20.0, ValueError("bad"))
    _fire(events, "POST", "/b", 30.0)

    a = stats.get("/a", "GET")
    assert (a.num_requests, a.num_failures) == (2, 1)
    assert stats.get("/b", "POST").num_requests == 1
    assert (stats.num_requests, stats.num_failures) == (3, 1)
    assert stats.total.max_response_time == 30.0
    assert stats.total.total_content_length == 369
    assert stats.fail_ratio == pytest.approx(1 / 3)
    assert stats.last_request_timestamp == clock.now
    [error] = stats.errors.values()
    assert (error.method, error.name, error.occurrences) == ("GET", "/a", 1)
    assert events.request.errors == 0


def test_the_request_listener_records_as_entry_log_does(clock: FakeClock) -> None:
    fast = RequestStats(clock=clock)
    slow = RequestStats(clock=clock)
    values = [None, 0.0, 0.25, 3.0, 250.0, 99_999.5, 7.0]
    for i in range(200):
        clock.advance(0.3)
        rt = values[i % len(values)]
        name = f"/n{i % 3}"
        fast.on_request("GET", name, rt, i)
        slow.get(name, "GET").log(rt, i)

    for key, entry in slow.entries.items():
        assert fast.entries[key].serialize() == entry.serialize()
    assert fast.last_request_timestamp == slow.last_request_timestamp == clock.now


def test_the_aggregated_row_equals_one_entry_that_saw_every_request(clock: FakeClock) -> None:
    stats = RequestStats(clock=clock)
    alone = StatsEntry(None, "Aggregated", "", use_response_times_cache=True, clock=clock)
    values = [None, 0.0, 0.25, 3.0, 250.0, 99_999.5, 7.0]
    for i in range(300):
        clock.advance(0.3)
        rt = values[i % len(values)]
        exc = ValueError("x") if i % 7 == 0 else None
        stats.on_request("GET", f"/n{i % 3}", rt, i, exception=exc)
        alone.log(rt, i)
        if exc is not None:
            alone.log_error(exc)

    assert stats.total.serialize() == alone.serialize()
    assert stats.total.current_rps == pytest.approx(alone.current_rps)
    assert stats.total.response_times == alone.response_times
    window, alone_window = stats.total.current_histogram(), alone.current_histogram()
    assert (window.counts, window.count) == (alone_window.counts, alone_window.count)


def test_the_aggregated_row_follows_its_entries_and_cannot_be_written(clock: FakeClock) -> None:
    stats = RequestStats(clock=clock)
    total = stats.total
    stats.log_request("GET", "/a", 10.0, 1)
    assert (total.num_requests, total.max_response_time) == (1, 10.0)
    stats.log_request("GET", "/b", 30.0, 1)
    assert (total.num_requests, total.max_response_time) == (2, 30.0)
    stats.get("/a", "GET").reset()
    assert (total.num_requests, total.max_response_time) == (1, 30.0)
    with pytest.raises(AttributeError, match="sum of the entries"):
        total.num_requests = 5
    with pytest.raises(TypeError, match="sum of the entries"):
        total.log(1.0, 0)


class Thing:
    pass


def test_errors_that_differ_only_by_memory_address_are_grouped(clock: FakeClock) -> None:
    stats = RequestStats(clock=clock)
    for _ in range(3):
        stats.log_error("GET", "/a", RuntimeError(repr(Thing())))
    stats.log_error("GET", "/b", RuntimeError(repr(Thing())))
    assert sorted(e.occurrences for e in stats.errors.values()) == [1, 3]
    assert stats.get("/a", "GET").num_failures == 3
    assert stats.num_failures == 4


def test_distinct_names_are_capped_with_one_overflow_entry_and_one_warning(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    stats = RequestStats(clock=clock, max_names=3)
    with caplog.at_level(logging.WARNING):
        for i in range(10):
            stats.log_request("GET", f"/item/{i}", 5.0, 0)
            stats.log_error("GET", f"/item/{i}", "boom")

    assert len(stats.entries) == 4
    overflow = stats.get("/item/999", "GET")
    assert overflow.name == "Other (more than 3 names)"
    assert (overflow.num_requests, overflow.num_failures) == (7, 7)
    assert stats.num_requests == 10
    assert len([r for r in caplog.records if "more than 3" in r.getMessage()]) == 1


def test_distinct_errors_are_capped_with_one_overflow_row_and_one_warning(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    stats = RequestStats(clock=clock, max_errors=2)
    with caplog.at_level(logging.WARNING):
        for i in range(6):
            stats.log_error("GET", "/a", f"error number {i}")
    assert len(stats.errors) == 3
    assert sorted(e.occurrences for e in stats.errors.values()) == [1, 1, 4]
    assert stats.num_failures == 6
    assert len([r for r in caplog.records if "distinct errors" in r.getMessage()]) == 1


def test_exceptions_are_grouped_by_traceback_with_their_nodes_and_capped(
    clock: FakeClock,
) -> None:
    stats = RequestStats(clock=clock, max_errors=2)
    stats.log_exception("boom", "Traceback: line 1", node="w1")
    stats.log_exception("boom", "Traceback: line 1", node="w2")
    stats.log_exception("other", "Traceback: line 2")
    for i in range(5):
        stats.log_exception("more", f"Traceback: line {10 + i}")

    rows = sorted(stats.exceptions.values(), key=lambda row: row["msg"])
    assert [(row["msg"], row["count"]) for row in rows] == [
        ("Other (more than 2 distinct exceptions)", 5),
        ("boom", 2),
        ("other", 1),
    ]
    assert rows[1]["nodes"] == {"w1", "w2"}
    assert rows[2]["nodes"] == {"local"}


def test_history_points_hold_what_a_chart_needs(clock: FakeClock) -> None:
    stats = RequestStats(clock=clock)
    start = clock.now
    for second in range(20):
        clock.now = start + second + 0.5
        for _ in range(4):
            stats.log_request("GET", "/", 100.0, 0)
        stats.log_error("GET", "/", "x")
    stats.record_history(clock.now, user_count=7)

    [point] = stats.history
    assert point["timestamp"] == clock.now
    assert point["user_count"] == 7
    assert point["current_rps"] == 4.0
    assert point["current_fail_per_sec"] == 1.0
    assert point["response_time_percentile_0.5"] == pytest.approx(100.0, rel=0.004)
    assert point["response_time_percentile_0.95"] == pytest.approx(100.0, rel=0.004)
    assert point["num_requests"] == 80
    assert point["num_failures"] == 20


def test_history_stays_bounded_and_keeps_the_whole_run_at_lower_resolution(
    clock: FakeClock,
) -> None:
    stats = RequestStats(clock=clock, history_size=10)
    start = clock.now
    for second in range(1000):
        stats.record_history(start + second, user_count=1)

    times = [point["timestamp"] - start for point in stats.history]
    assert len(times) <= 10
    assert times == sorted(times)
    assert times[0] < 200  # the start of the run is still there
    assert times[-1] > 800  # and its end, to within the current spacing
    gaps = {b - a for a, b in itertools.pairwise(times)}
    assert len(gaps) == 1  # evenly spaced


def test_reset_all_zeroes_entries_and_forgets_errors_and_history(clock: FakeClock) -> None:
    stats = RequestStats(clock=clock)
    stats.log_request("GET", "/a", 1.0, 1)
    stats.log_error("GET", "/a", "x")
    stats.log_exception("boom", "tb")
    stats.record_history(clock.now, 1)

    stats.reset_all()

    assert list(stats.entries) == [("/a", "GET")]
    assert stats.get("/a", "GET").num_requests == 0
    assert stats.num_requests == 0
    assert stats.errors == {}
    assert len(stats.history) == 0
    assert len(stats.exceptions) == 1  # exceptions belong to the test, as in Locust


def test_clear_all_removes_everything(clock: FakeClock) -> None:
    stats = RequestStats(clock=clock)
    stats.log_request("GET", "/a", 1.0, 1)
    stats.log_error("GET", "/a", "x")
    stats.log_exception("boom", "tb")
    stats.clear_all()
    assert stats.entries == {}
    assert stats.errors == {}
    assert stats.exceptions == {}
    assert stats.num_requests == 0
    assert stats.total.name == "Aggregated"


def test_sorted_entries_and_serialize_stats_skip_nothing_but_empty_entries(
    clock: FakeClock,
) -> None:
    stats = RequestStats(clock=clock)
    stats.log_request("GET", "/b", 1.0, 0)
    stats.log_request("GET", "/a", 1.0, 0)
    stats.get("/never", "GET")
    assert [e.name for e in stats.sorted_entries()] == ["/a", "/b", "/never"]
    assert sorted(d["name"] for d in stats.serialize_stats()) == ["/a", "/b"]


def _workload(i: int) -> tuple[str, str, float | None, object]:
    name = ("/a", "/b", "/c")[i % 3]
    rt = None if i % 50 == 0 else float((i * 37) % 1000) / 7
    return "GET", name, rt, (ValueError(f"code {i % 4}") if i % 11 == 0 else None)


def test_master_merging_worker_reports_equals_one_process_seeing_everything() -> None:
    clock = FakeClock()
    single = RequestStats(clock=clock)
    workers = [RequestStats(clock=clock, use_response_times_cache=False) for _ in range(3)]
    master = RequestStats(clock=clock)

    for i in range(3000):
        clock.advance(0.01)
        method, name, rt, exc = _workload(i)
        single.on_request(method, name, rt, 10, exception=exc)
        workers[i % 3].on_request(method, name, rt, 10, exception=exc)
        if i % 500 == 499:  # every few seconds each worker reports
            for worker in workers:
                wire = msgpack.unpackb(msgpack.packb(worker.take_report()))
                master.merge_report(wire)

    assert master.num_requests == single.num_requests == 3000
    assert master.num_failures == single.num_failures
    assert master.total.histogram == single.total.histogram
    assert master.total.num_none_requests == single.total.num_none_requests
    for key, entry in single.entries.items():
        merged = master.entries[key]
        assert merged.histogram == entry.histogram
        assert merged.num_reqs_per_sec == entry.num_reqs_per_sec
        assert merged.get_response_time_percentiles(PERCENTILES_TO_REPORT) == (
            entry.get_response_time_percentiles(PERCENTILES_TO_REPORT)
        )
    assert {k: e.occurrences for k, e in master.errors.items()} == {
        k: e.occurrences for k, e in single.errors.items()
    }
    assert all(w.num_requests == 0 and w.errors == {} for w in workers)


def test_entries_of_a_stats_object_use_its_clock(clock: FakeClock) -> None:
    stats = RequestStats(clock=clock)
    entry = stats.get("/a", "GET")
    assert isinstance(entry, StatsEntry)
    assert entry.start_time == clock.now
    clock.advance(5)
    entry.log(1.0, 0)
    assert entry.last_request_timestamp == clock.now


def test_a_report_merged_twice_over_adds_up_like_one_process() -> None:
    """Workers -> a host's relay -> the master: merging merged reports stays exact."""
    clock = FakeClock()
    single = RequestStats(clock=clock)
    workers = [RequestStats(clock=clock) for _ in range(4)]
    relays = [RequestStats(clock=clock) for _ in range(2)]
    master = RequestStats(clock=clock)
    for i in range(2000):
        clock.advance(0.013)
        method, name, rt, exc = _workload(i)
        single.on_request(method, name, rt, 10, exception=exc)
        workers[i % 4].on_request(method, name, rt, 10, exception=exc)
        if i % 400 == 399:
            for n, worker in enumerate(workers):
                relays[n % 2].merge_report(msgpack.unpackb(msgpack.packb(worker.take_report())))
            for relay in relays:
                master.merge_report(msgpack.unpackb(msgpack.packb(relay.take_report())))
    for key, entry in single.entries.items():
        merged = master.entries[key]
        assert merged.histogram == entry.histogram
        assert merged.num_reqs_per_sec == entry.num_reqs_per_sec
        assert merged.num_fail_per_sec == entry.num_fail_per_sec
        assert (merged.num_none_requests, merged.total_content_length) == (
            entry.num_none_requests,
            entry.total_content_length,
        )
    assert master.total.current_rps == single.total.current_rps
    assert master.total.max_response_time == single.total.max_response_time
    assert master.total.min_response_time == single.total.min_response_time


def test_an_arrival_rate_run_s_counts_and_service_times_travel_to_the_master() -> None:
    clock = FakeClock()
    workers = [RequestStats(clock=clock, use_response_times_cache=False) for _ in range(2)]
    master = RequestStats(clock=clock)
    for n, worker in enumerate(workers, start=1):
        worker.keep_service_times().on_request("GET", "/a", 10.0 * n, 1)
        worker.on_request("GET", "/a", 500.0 * n, 1)
        worker.iterations += 3 * n
        worker.dropped_iterations += n
    for worker in workers:
        master.merge_report(msgpack.unpackb(msgpack.packb(worker.take_report())))

    assert (master.iterations, master.dropped_iterations) == (9, 3)
    assert master.service is not None
    assert master.service.entries[("/a", "GET")].max_response_time == 20.0
    assert master.entries[("/a", "GET")].max_response_time == 1000.0
    # what was sent is not sent again
    assert all(w.iterations == w.dropped_iterations == 0 for w in workers)
    assert all(w.service is not None and w.service.num_requests == 0 for w in workers)


def test_a_new_test_forgets_the_arrival_counts_and_service_times() -> None:
    stats = RequestStats()
    stats.keep_service_times().on_request("GET", "/a", 10.0, 1)
    stats.iterations, stats.dropped_iterations = 5, 2
    stats.reset_all()
    assert (stats.iterations, stats.dropped_iterations) == (0, 0)
    assert stats.service is not None and stats.service.num_requests == 0
    stats.clear_all()
    assert stats.service is None
