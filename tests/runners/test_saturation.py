"""The saturation verdict as pure bookkeeping: samples and times in, warnings and shares out."""

from __future__ import annotations

import pytest

from swarm.runners.saturation import (
    CPU_LIMIT,
    LOOP_LAG_LIMIT_S,
    REWARN_AFTER,
    SaturationMonitor,
    SaturationSummary,
    percent,
)
from swarm.runners.usage import LoopLagProbe


@pytest.fixture
def monitor() -> SaturationMonitor:
    m = SaturationMonitor()
    m.begin(100.0)
    return m


def test_the_limits_are_90_percent_cpu_and_10_ms_of_lag() -> None:
    m = SaturationMonitor()
    assert (CPU_LIMIT, LOOP_LAG_LIMIT_S) == (90.0, 0.010)
    assert m.is_saturated(90.0, 0.0)
    assert m.is_saturated(0.0, 0.010)
    assert not m.is_saturated(89.9, 0.0099)


def test_a_process_that_never_saturates_gives_no_warning_and_no_note(
    monitor: SaturationMonitor,
) -> None:
    for t in (105.0, 110.0, 115.0):
        assert monitor.observe("local", t, cpu=40.0, loop_lag=0.002) is None
    summary = monitor.summary()
    assert not summary.saturated
    assert summary.saturated_share == 0.0
    assert summary.notes() == []
    assert summary.peak_cpu == 40.0


def test_each_sample_covers_the_interval_since_the_previous_one(
    monitor: SaturationMonitor,
) -> None:
    monitor.observe("local", 105.0, cpu=95.0, loop_lag=0.0)  # 100..105 saturated (CPU)
    monitor.observe("local", 110.0, cpu=30.0, loop_lag=0.0)
    monitor.observe("local", 115.0, cpu=30.0, loop_lag=0.025)  # 110..115 saturated (lag)
    monitor.observe("local", 120.0, cpu=30.0, loop_lag=0.0)
    record = monitor.processes["local"]
    assert (record.observed_time, record.saturated_time) == (20.0, 10.0)
    summary = monitor.summary()
    assert summary.saturated_share == 0.5
    assert summary.peak_loop_lag == 0.025
    assert summary.saturated_processes == {"local": 0.5}


def test_one_warning_per_episode_and_none_within_a_minute_of_the_last(
    monitor: SaturationMonitor,
) -> None:
    def warned(t: float, cpu: float) -> bool:
        return monitor.observe("local", t, cpu, 0.0) is not None

    assert warned(105.0, 97.0)  # an episode begins
    assert not warned(110.0, 99.0)  # the same episode
    assert not warned(115.0, 10.0)
    assert not warned(120.0, 97.0)  # a new episode, but 15 s after the warning
    assert not warned(125.0, 10.0)
    assert warned(105.0 + REWARN_AFTER + 10, 97.0)  # a new episode a minute later


def test_the_warning_names_the_process_and_says_latencies_may_be_inflated(
    monitor: SaturationMonitor,
) -> None:
    warning = monitor.observe("local", 105.0, cpu=50.0, loop_lag=0.031)
    assert warning is not None
    assert warning.startswith("Generator saturated — latencies may be inflated: local at")
    assert "event-loop lag 31 ms" in warning


def test_a_new_test_forgets_the_last_one_and_warns_again(monitor: SaturationMonitor) -> None:
    assert monitor.observe("local", 105.0, 97.0, 0.0) is not None
    monitor.end()
    monitor.begin(110.0)
    assert not monitor.summary().saturated
    assert monitor.observe("local", 111.0, 97.0, 0.0) is not None
    assert monitor.processes["local"].observed_time == 1.0


def test_samples_outside_a_test_are_ignored(monitor: SaturationMonitor) -> None:
    monitor.observe("local", 105.0, 10.0, 0.0)
    monitor.end()
    assert monitor.observe("local", 110.0, 99.0, 0.5) is None
    assert monitor.since_last("local", 110.0) == 0.0
    summary = monitor.summary()
    assert (summary.saturated, summary.peak_cpu) == (False, 10.0)
    assert SaturationMonitor().observe("local", 1.0, 99.0, 0.0) is None  # before any test


def test_since_last_counts_from_the_begin_then_from_the_last_sample(
    monitor: SaturationMonitor,
) -> None:
    assert monitor.since_last("local", 103.0) == 3.0
    monitor.observe("local", 105.0, 10.0, 0.0)
    assert monitor.since_last("local", 105.5) == 0.5


def test_a_worker_s_own_totals_replace_what_was_known_so_lost_beats_do_not_matter(
    monitor: SaturationMonitor,
) -> None:
    totals = {"observed_time": 10.0, "saturated_time": 2.0, "peak_cpu": 95.0, "peak_loop_lag": 0}
    monitor.update("w1", 200.0, cpu=95.0, loop_lag=0.0, totals=totals)
    # beats in between were lost: the next one still carries the whole story
    totals = {"observed_time": 40.0, "saturated_time": 10.0, "peak_cpu": 99.0, "peak_loop_lag": 0}
    monitor.update("w1", 230.0, cpu=20.0, loop_lag=0.0, totals=totals)
    assert monitor.summary().saturated_processes == {"w1": 0.25}
    assert monitor.summary().peak_cpu == 99.0


def test_the_run_share_is_the_worst_generator_s_and_the_master_is_apart(
    monitor: SaturationMonitor,
) -> None:
    monitor.update("w1", 200.0, 20.0, 0.0, {"observed_time": 10.0, "saturated_time": 1.0})
    monitor.update("w2", 200.0, 20.0, 0.0, {"observed_time": 10.0, "saturated_time": 4.0})
    monitor.update("w3", 200.0, 20.0, 0.0, {"observed_time": 10.0, "saturated_time": 0.0})
    monitor.observe("master", 110.0, 99.0, 0.0, generates_load=False)
    summary = monitor.summary()
    assert summary.saturated_share == 0.4
    assert summary.saturated_processes == {"w1": 0.1, "w2": 0.4}
    assert summary.master_share == 1.0
    assert summary.peak_cpu == 20.0  # the master's CPU is not a generator's
    notes = summary.notes()
    assert notes[0].startswith("Generator saturated for 40% of the test")
    assert "w2 40%, w1 10%" in notes[0]
    assert notes[1].startswith("The master was saturated for 100% of the test")


def test_only_a_saturated_master_says_so_without_blaming_the_latencies(
    monitor: SaturationMonitor,
) -> None:
    warning = monitor.observe("master", 105.0, 99.0, 0.0, generates_load=False)
    assert warning is not None
    assert warning.startswith("The master is saturated")
    assert "not affected" in warning
    summary = monitor.summary()
    assert not summary.saturated
    assert len(summary.notes()) == 1


@pytest.mark.parametrize(
    "totals",
    [
        {},
        {"observed_time": "ten", "saturated_time": None},
        {"observed_time": float("nan"), "saturated_time": 1.0},
        {"observed_time": 5.0, "saturated_time": 9.0},  # never more than observed
        ["not", "a", "dict"],
    ],
)
def test_unreadable_totals_never_break_or_exceed_the_observed_time(
    monitor: SaturationMonitor, totals: object
) -> None:
    monitor.update("w1", 200.0, 20.0, 0.0, totals)  # type: ignore[arg-type]  # the point
    record = monitor.processes["w1"]
    assert 0.0 <= record.saturated_time <= record.observed_time
    assert 0.0 <= record.share <= 1.0


def test_the_json_object_gives_share_peaks_and_limits() -> None:
    summary = SaturationSummary(
        saturated_share=0.37,
        peak_cpu=97.04,
        peak_loop_lag=0.0251,
        saturated_processes={"local": 0.37},
    )
    assert summary.to_dict() == {
        "saturated": True,
        "saturated_share": 0.37,
        "peak_cpu": 97.0,
        "peak_loop_lag_ms": 25.1,
        "saturated_processes": {"local": 0.37},
        "master_saturated_share": 0.0,
        "cpu_limit": 90.0,
        "loop_lag_limit_ms": 10.0,
    }
    assert summary.headline() == (
        "Generator saturated for 37% of the test (CPU ≥ 90% or event-loop lag ≥ 10 ms): "
        "latencies may be inflated"
    )


def test_a_small_share_never_reads_zero() -> None:
    shares = (0.0, 0.001, 0.006, 0.37, 1.0)
    assert [percent(s) for s in shares] == ["0%", "<1%", "1%", "37%", "100%"]


class _Done(Exception):
    """Ends a probe's endless loop after the scripted wake-ups."""


def test_the_lag_probe_keeps_the_largest_lateness_until_taken() -> None:
    now = [0.0]
    wakeups = iter([0.1, 0.13, 0.1, 0.102])  # how long each 0.1 s sleep really took

    def sleep(seconds: float) -> None:
        try:
            now[0] += next(wakeups)
        except StopIteration:
            raise _Done from None

    seen: list[float] = []
    probe = LoopLagProbe(sleep, interval=0.1, clock=lambda: now[0])
    probe.listener = seen.append
    with pytest.raises(_Done):
        probe.run()
    assert [round(s, 3) for s in seen] == [0.0, 0.03, 0.0, 0.002]
    assert round(probe.take(), 3) == 0.03
    assert probe.take() == 0.0
