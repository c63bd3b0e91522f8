"""What a swarm process sets up before its runner starts."""

from __future__ import annotations

import argparse
import resource
from collections.abc import Iterator

import pytest

from swarm.cluster import USER_OPEN_FILES, create_runner
from swarm.env import Environment


@pytest.fixture
def low_open_file_limit() -> Iterator[int]:
    """The soft open-file limit at a common default for the test, restored after it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(1024, soft), hard))
    yield hard
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_a_process_running_users_raises_its_open_file_limit(low_open_file_limit: int) -> None:
    hard = low_open_file_limit
    wanted = USER_OPEN_FILES if hard == resource.RLIM_INFINITY else min(hard, USER_OPEN_FILES)
    options = argparse.Namespace(master=False, worker=False, master_secret=None)
    runner = create_runner(Environment(user_classes=[]), options)
    try:
        assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] >= wanted
    finally:
        runner.quit()  # type: ignore[attr-defined]  # a LocalRunner
