"""Fixtures of the web UI tests (the harness is in ``harness.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from web.harness import Web, make_web


@pytest.fixture
def web() -> Iterator[Web]:
    yield from make_web()
