"""Fixtures for the statistics tests: a clock the test moves by hand."""

from __future__ import annotations

import pytest


class FakeClock:
    """Epoch seconds that only change when the test says so."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
