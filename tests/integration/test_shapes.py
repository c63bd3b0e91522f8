"""A userfile with a LoadTestShape, run headless by the real CLI against the demo target."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from swarm_nodes import free_port

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


SWITCHING = """
    from swarm import HttpUser, LoadTestShape, constant, task


    class Early(HttpUser):
        wait_time = constant(0.05)

        @task
        def early(self):
            self.client.get("/products", name="early")


    class Late(HttpUser):
        wait_time = constant(0.05)

        @task
        def late(self):
            self.client.get("/products", name="late")


    class EarlyThenLate(LoadTestShape):
        \"""Early users until the master has counted some of their requests, then Late users
        until it has counted theirs, then the end (after at most 60 ticks, switched or not).\"""

        def __init__(self):
            super().__init__()
            self.ticks = 0

        def counted(self, name):
            entry = self.runner.stats.entries.get((name, "GET"))
            return entry is not None and entry.num_requests > 0

        def tick(self):
            self.ticks += 1
            if self.ticks > 60:
                return None
            if not self.counted("early"):
                return (4, 100, [Early])
            if not self.counted("late"):
                return (4, 100, [Late])
            return None
"""


def test_a_master_runs_a_ticks_user_classes_on_its_workers(
    nodes, swarm_cmd, userfile: Callable[..., Path], target: DemoTarget
) -> None:
    path, port = userfile(SWITCHING), free_port()
    master = nodes(
        "-f", str(path), "--master", "--headless", "--master-bind-host", "127.0.0.1",
        "--master-bind-port", str(port), "-H", target.url, "--json-file", "report",
        "--stop-timeout", "0", "--expect-workers", "2", "-t", "60s",
    )  # fmt: skip
    worker_args = ["-f", str(path), "--worker", "--master-port", str(port)]
    # The second worker lists Early only: it starts Late users by name, from its userfile.
    workers = [
        nodes(*worker_args, "--report-interval", "0.5"),
        nodes(*worker_args, "--report-interval", "0.5", "Early"),
    ]
    assert master.finish() == 0, master.stderr
    assert [w.finish() for w in workers] == [0, 0], [w.stderr for w in workers]
    assert "Load shape: 4 users at 100/s of Early" in master.stderr
    assert "Load shape: 4 users at 100/s of Late" in master.stderr
    assert re.search(r"All users spawned: Early: 4 \(total 4\)", master.stderr)
    assert re.search(r"All users spawned: Late: 4 \(total 4\)", master.stderr)
    assert "tick() returned None" in master.stderr
    for node in (master, *workers):
        assert "has no user class" not in node.stderr and "Traceback" not in node.stderr
    report = swarm_cmd.json_report()
    assert {e["name"] for e in report if int(e["num_requests"]) > 0} == {"early", "late"}
    # cut off without a stop timeout: Early's 4 users' last requests, then Late's
    assert_counted(report, target, users=8)
