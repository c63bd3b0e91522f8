"""The fast client's fixtures: a ``RawServer`` on 127.0.0.1, started and stopped per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from protocols.fast.raw_server import RawServer


@pytest.fixture
def server() -> Iterator[RawServer]:
    raw = RawServer()
    raw.start()
    yield raw
    raw.stop()
