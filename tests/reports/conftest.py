"""Fixtures of the report tests: an arrival-rate run's statistics, and its Environment."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fake_clock import FakeClock
from reports.arrival_run import PLAN, record_arrival_run

from swarm.env import Environment
from swarm.stats import RequestStats


@pytest.fixture
def arrival_stats(clock: FakeClock) -> RequestStats:
    stats = RequestStats(clock=clock)
    record_arrival_run(stats, clock)
    return stats


@pytest.fixture
def arrival_env(clock: FakeClock) -> Iterator[Environment]:
    """An Environment whose local runner ran ``PLAN`` and whose stats hold the run."""
    environment = Environment(user_classes=[], clock=clock)
    runner = environment.create_local_runner()
    runner.arrival_plan = PLAN
    record_arrival_run(environment.stats, clock)
    yield environment
    runner.quit()
