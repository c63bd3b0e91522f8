"""The ready-made shapes, asked at chosen moments (no clock, no runner)."""

from __future__ import annotations

from typing import ClassVar

import pytest

from swarm.shapes import SpikeShape, Stage, StagesShape, StepLoadShape, parse_stages


class Ramp(StagesShape):
    stages: ClassVar = [Stage(10, 5, 5), (20, 50, 10), Stage(5, 0, 50)]


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(0, (5, 5)), (9.9, (5, 5)), (10, (50, 10)), (29.9, (50, 10)), (30, (0, 50)), (35, None)],
)
def test_stages_follow_one_another_then_end(seconds: float, expected: object) -> None:
    assert Ramp().users_at(seconds) == expected


def test_stages_can_be_given_from_code_and_none_is_refused() -> None:
    assert StagesShape([(1, 3, 3)]).users_at(0.5) == (3, 3)
    with pytest.raises(ValueError, match="no stages"):
        StagesShape()


class Steps(StepLoadShape):
    step_users = 10
    step_duration = 30
    steps = 3
    spawn_rate = 5


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(0, (10, 5)), (29, (10, 5)), (30, (20, 5)), (89, (30, 5)), (90, None)],
)
def test_step_load_adds_users_every_step_then_ends(seconds: float, expected: object) -> None:
    assert Steps().users_at(seconds) == expected


class Spike(SpikeShape):
    base_users = 10
    spike_users = 200
    spike_at = 60
    spike_duration = 20
    duration = 120
    spawn_rate = 2
    spike_rate = 100


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(0, (10, 2)), (59, (10, 2)), (60, (200, 100)), (79, (200, 100)), (80, (10, 100)),
     (120, None)],
)  # fmt: skip
def test_a_spike_rises_fast_and_falls_back(seconds: float, expected: object) -> None:
    assert Spike().users_at(seconds) == expected


def test_the_ready_made_shapes_are_bases_and_subclasses_run() -> None:
    assert StagesShape.abstract and StepLoadShape.abstract and SpikeShape.abstract
    assert not Ramp.abstract and not Steps.abstract and not Spike.abstract
    assert Ramp().tick() == (5, 5)  # tick() asks users_at for the run time so far


def test_stages_are_read_from_the_command_line_form() -> None:
    assert parse_stages("30s:10:5, 2m:50:10,1:0:50") == [
        Stage(30, 10, 5),
        Stage(120, 50, 10),
        Stage(1, 0, 50),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("30s:10", r"stage 1 \('30s:10'\): expected DURATION:USERS:RATE"),
        ("30s:10:5,x:1:1", r"stage 2 \('x:1:1'\)"),
        ("30s:ten:5", r"stage 1 .*invalid literal"),
        ("0s:10:5", r"stage 1 .*above 0"),
        ("30s:10:0", r"stage 1 .*above 0"),
    ],
)
def test_a_wrong_stage_is_named_with_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_stages(text)
