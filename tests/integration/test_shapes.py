"""A userfile with a LoadTestShape, run headless by the real CLI against the demo target."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from swarm.demo import DemoTarget

pytestmark = pytest.mark.integration

SHAPED = """
    from swarm import HttpUser, LoadTestShape, constant, task


    class Shopper(HttpUser):
        wait_time = constant(0.05)

        @task
        def products(self):
            self.client.get("/products")


    class OneStepThenDone(LoadTestShape):
        def __init__(self):
            super().__init__()
            self.ticks = 0

        def tick(self):
            self.ticks += 1
            if self.ticks == 1:
                return (2, 100)
            if self.ticks == 2:
                return (4, 100)
            return None
"""


def assert_counted(report: list[dict[str, object]], target: DemoTarget, users: int) -> None:
    """swarm counted what the target served, but for at most one request per user that was
    in flight when the shape ended the test (its user was stopped before the answer came)."""
    counted = sum(int(str(e["num_requests"])) for e in report)
    assert 0 < counted <= target.total_served <= counted + users


def test_the_shape_drives_the_run_and_its_none_ends_it(
    swarm_cmd, userfile: Callable[..., Path], target: DemoTarget
) -> None:
    path = userfile(SHAPED)
    result = swarm_cmd.run(
        "-f", str(path), "--headless", "-H", target.url, "--json-file", "report", "-t", "60s",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "shaped by OneStepThenDone" in result.stderr
    assert "Load shape: 2 users" in result.stderr
    assert "Load shape: 4 users" in result.stderr
    assert "tick() returned None" in result.stderr
    assert_counted(swarm_cmd.json_report(), target, users=4)


def test_two_shapes_in_a_userfile_are_refused_by_name(
    swarm_cmd, userfile: Callable[..., Path], target: DemoTarget
) -> None:
    path = userfile(SHAPED + "\n\n    class Another(OneStepThenDone):\n        pass\n")
    result = swarm_cmd.run("-f", str(path), "--headless", "-H", target.url, "-t", "5s")
    assert result.returncode != 0
    assert "more than one LoadTestShape" in result.stderr
    assert "OneStepThenDone" in result.stderr and "Another" in result.stderr
    assert "Traceback" not in result.stderr


def test_stages_on_the_command_line_shape_the_run(
    swarm_cmd, userfile: Callable[..., Path], target: DemoTarget
) -> None:
    path = userfile(SHAPED.split("    class OneStepThenDone", maxsplit=1)[0])
    result = swarm_cmd.run(
        "-f", str(path), "--headless", "-H", target.url, "--stages", "1s:2:100,1s:3:100",
        "--json-file", "report",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "shaped by StagesShape" in result.stderr
    assert "Load shape: 3 users" in result.stderr
    assert_counted(swarm_cmd.json_report(), target, users=4)


def test_a_wrong_stage_is_a_usage_error_naming_it(swarm_cmd, userfile: Callable[..., Path]) -> None:
    path = userfile(SHAPED)
    result = swarm_cmd.run("-f", str(path), "--headless", "--stages", "1s:2")
    assert result.returncode != 0
    assert "stage 1 ('1s:2')" in result.stderr
    assert "Traceback" not in result.stderr
