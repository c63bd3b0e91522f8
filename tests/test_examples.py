"""The example userfiles load, and each shape example is found as the shape it shows."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from swarm.cli import pick_shape
from swarm.shapes import ArrivalRateShape, SpikeShape, StagesShape, StepLoadShape
from swarm.user.shape import LoadTestShape
from swarm.userfile import load_userfiles

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
NO_OPTIONS = argparse.Namespace(
    stages=None,
    arrival_rate=None,
    arrival_stages=None,
    max_users=None,
    pre_allocated_users=None,
    max_lateness=None,
)


@pytest.mark.parametrize(
    ("example", "shape"),
    [
        ("shape_stages.py", StagesShape),
        ("shape_step.py", StepLoadShape),
        ("shape_spike.py", SpikeShape),
        ("shape_custom.py", LoadTestShape),
        ("arrival_rate.py", ArrivalRateShape),
        ("coordinated_omission.py", type(None)),
    ],
)
def test_each_load_model_example_loads_with_its_shape(example: str, shape: type) -> None:
    userfiles = load_userfiles([EXAMPLES / example])
    assert userfiles.user_classes
    assert isinstance(pick_shape(userfiles, NO_OPTIONS), shape)


def test_the_stages_example_asks_for_what_its_docstring_says() -> None:
    found = pick_shape(load_userfiles([EXAMPLES / "shape_stages.py"]), NO_OPTIONS)
    assert [found.users_at(s) for s in (0, 30, 65, 75, 95)] == [
        (20, 2), (20, 2), (60, 20), (0, 10), None,
    ]  # fmt: skip
