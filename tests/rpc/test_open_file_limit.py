"""raise_open_file_limit: what to ask for (pure), and the real limit of this process."""

from __future__ import annotations

import resource
from collections.abc import Iterator

import pytest

from swarm.rpc.zmq import raise_open_file_limit, soft_limit_to_set

INFINITY = resource.RLIM_INFINITY


@pytest.mark.parametrize(
    ("soft", "hard", "wanted", "expected"),
    [
        (1024, 1_048_576, 65536, 65536),  # room to grow: exactly what is wanted
        (1024, 4096, 65536, 4096),  # capped by the hard limit
        (1024, INFINITY, 65536, 65536),
        (100_000, 1_048_576, 65536, 100_000),  # already enough: never lowered
        (INFINITY, INFINITY, 65536, INFINITY),
        (4096, 4096, 65536, 4096),  # nothing to gain
    ],
)
def test_soft_limit_to_set(soft: int, hard: int, wanted: int, expected: int) -> None:
    assert soft_limit_to_set(soft, hard, wanted) == expected


@pytest.fixture
def low_soft_limit() -> Iterator[int]:
    """This process's soft limit lowered to 256 (restored after the test); yields the hard one."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))
    yield hard
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_the_limit_is_raised_when_the_hard_limit_allows(low_soft_limit: int) -> None:
    wanted = 4096 if low_soft_limit == INFINITY else min(4096, low_soft_limit)
    assert raise_open_file_limit(wanted) is None
    assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] == wanted


def test_a_limit_it_cannot_reach_is_explained(low_soft_limit: int) -> None:
    if low_soft_limit == INFINITY:
        pytest.skip("no hard open file limit here: every wish can be granted")
    warning = raise_open_file_limit(low_soft_limit + 1)
    # raised as far as it could go, and the text says where it stopped and how to go further
    assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] == low_soft_limit
    assert warning is not None
    assert f"the open file limit is {low_soft_limit}" in warning
    assert f"ulimit -n {low_soft_limit + 1}" in warning
    assert "--ulimit nofile=" in warning


def test_an_ample_limit_is_left_alone(low_soft_limit: int) -> None:
    assert raise_open_file_limit(100) is None
    assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] == 256
