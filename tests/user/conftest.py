"""Fixtures for the user API: a stand-in environment, a fake clock, recorders of errors, waits."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from fake_clock import FakeClock

from swarm.event import Events
from swarm.user import wait_time
from swarm.user.task import TaskSet


@pytest.fixture
def environment() -> SimpleNamespace:
    """The parts of an Environment a User relies on, and nothing else."""
    return SimpleNamespace(
        events=Events(), catch_exceptions=True, runner=None, host=None, stop_timeout=None
    )


@pytest.fixture
def user_errors(environment: SimpleNamespace) -> list[dict[str, Any]]:
    """Every user_error fired in ``environment``, as its keyword arguments."""
    fired: list[dict[str, Any]] = []
    environment.events.user_error.add_listener(lambda **kwargs: fired.append(kwargs))
    return fired


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """Replaces the clock pacing reads."""
    fake = FakeClock(1000.0)
    monkeypatch.setattr(wait_time, "clock", fake)
    return fake


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch, clock: FakeClock) -> list[float]:
    """Replaces every task loop's sleep: records the seconds and moves the fake clock instead."""
    recorded: list[float] = []

    def fake_sleep(self: TaskSet, seconds: float) -> None:
        recorded.append(seconds)
        clock.advance(seconds)

    monkeypatch.setattr(TaskSet, "_sleep", fake_sleep)
    return recorded
