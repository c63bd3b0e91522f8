"""The console and history loops, stepped through with a sleep that counts instead of waiting."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from fake_clock import FakeClock

from swarm.stats import (
    CONSOLE_STATS_INTERVAL_SEC,
    HISTORY_STATS_INTERVAL_SEC,
    RequestStats,
    stats_history,
    stats_printer,
)


class LoopDone(Exception):
    pass


class StepSleep:
    """Stands in for gevent.sleep: records each delay, ends the loop after ``steps`` of them."""

    def __init__(self, steps: int, between: Callable[[int], None] = lambda n: None) -> None:
        self.steps = steps
        self.delays: list[float] = []
        self.between = between

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        self.between(len(self.delays))
        if len(self.delays) >= self.steps:
            raise LoopDone


@dataclass
class FakeRunner:
    stats: RequestStats
    user_count: int = 0
    state: str = "ready"


def test_stats_printer_logs_the_table_every_interval(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    stats = RequestStats(clock=clock)
    stats.log_request("GET", "/", 1.0, 0)
    sleep = StepSleep(3)
    with caplog.at_level(logging.INFO, logger="swarm.stats_logger"), pytest.raises(LoopDone):
        stats_printer(stats, sleep=sleep)()
    headers = [r for r in caplog.records if r.getMessage().startswith("Type ")]
    assert len(headers) == 3
    assert sleep.delays == [CONSOLE_STATS_INTERVAL_SEC] * 3


def test_stats_history_records_only_while_a_test_runs(clock: FakeClock) -> None:
    runner = FakeRunner(RequestStats(clock=clock))
    plan = {1: ("spawning", 5), 2: ("running", 10), 3: ("running", 10), 4: ("stopped", 0)}

    def step(n: int) -> None:
        if n in plan:
            runner.state, runner.user_count = plan[n]
        clock.advance(HISTORY_STATS_INTERVAL_SEC)

    sleep = StepSleep(6, between=step)
    with pytest.raises(LoopDone):
        stats_history(runner, sleep=sleep, clock=clock)

    assert [p["user_count"] for p in runner.stats.history] == [5, 10, 10]
    assert sleep.delays == [HISTORY_STATS_INTERVAL_SEC] * 6
