"""The open model, coordinated omission and -i, run by the real CLI against the demo target."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from swarm_nodes import free_port

from swarm.demo import DemoTarget
from swarm.runners.schedule import ArrivalSchedule, RateCurve, RateStage

pytestmark = pytest.mark.integration

VISITOR = """
    from swarm import HttpUser, constant, task


    class Visitor(HttpUser):
        wait_time = constant(0.01)  # the closed model's; the open model has none

        @task
        def home(self):
            self.client.get("/")
"""

SHAPED = (
    VISITOR
    + """

    from swarm.shapes import ArrivalRateShape, RateStage


    class Orders(ArrivalRateShape):
        stages = (RateStage(1, 100),)
        max_users = 4
"""
)


def aggregated(report: list[dict[str, Any]]) -> dict[str, Any]:
    """The report's one row for ``GET /`` (the userfiles here make no other request)."""
    (row,) = [row for row in report if row["name"] == "/"]
    return row


def test_an_arrival_rate_runs_exactly_the_iterations_asked_and_reports_them(
    swarm_cmd, userfile: Callable[..., Path], target: DemoTarget
) -> None:
    result = swarm_cmd.run(
        "-f", str(userfile(VISITOR)), "--headless", "-H", target.url,
        "--arrival-rate", "200/s", "--max-users", "5", "-i", "400", "--json-file", "report",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert target.total_served == 400
    row = aggregated(swarm_cmd.json_report())
    assert row["num_requests"] == 400
    assert row["arrival"]["iterations"] == 400
    assert row["arrival"]["dropped_iterations"] == 0
    assert row["arrival"]["requested"] == "200/s"
    assert "Arrival rate: requested 200/s" in result.stdout + result.stderr


def test_a_stall_shows_in_the_corrected_p99_and_not_in_the_service_time(
    swarm_cmd, userfile: Callable[..., Path], target: DemoTarget
) -> None:
    """Two users, 100 iterations/s, and the target pausing 1 s a third of the way in: the
    iterations due in the pause start late, and only the corrected times show it."""
    target.shop.stall_after(requests=150, seconds=1.0)
    result = swarm_cmd.run(
        "-f", str(userfile(VISITOR)), "--headless", "-H", target.url,
        "--arrival-rate", "100/s", "--max-users", "2", "--max-lateness", "5s", "-i", "500",
        "--json-file", "report",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    row = aggregated(swarm_cmd.json_report())
    assert row["num_requests"] == 500
    # only the 2 requests in flight when it paused waited for it: under 1% of 500
    assert row["service_time_percentiles"]["0.99"] < 500
    # about 100 iterations were due during the pause: a fifth of the run started late
    assert row["percentiles"]["0.99"] > 500
    assert row["arrival"]["dropped_iterations"] == 0


def test_an_arrival_rate_shape_in_the_userfile_ends_with_its_last_stage(
    swarm_cmd, userfile: Callable[..., Path], target: DemoTarget
) -> None:
    result = swarm_cmd.run(
        "-f", str(userfile(SHAPED)), "--headless", "-H", target.url, "--json-file", "report",
        "-t", "60s",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "shaped by Orders" in result.stderr
    curve = RateCurve(0, [RateStage(1, 100)])
    due = len(ArrivalSchedule(curve).take_due(curve.end or 0))
    row = aggregated(swarm_cmd.json_report())
    assert row["arrival"]["iterations"] + row["arrival"]["dropped_iterations"] == due
    assert target.total_served == row["num_requests"] == row["arrival"]["iterations"]


def test_iterations_end_a_closed_model_run_at_the_total(
    swarm_cmd, userfile: Callable[..., Path], target: DemoTarget
) -> None:
    result = swarm_cmd.run(
        "-f", str(userfile(VISITOR)), "--headless", "-H", target.url, "-u", "3", "-r", "100",
        "-i", "50", "-t", "60s",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "50 iterations done" in result.stderr
    assert target.total_served == 50


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--arrival-rate", "fast"), "'fast' is not a rate"),
        (("--arrival-stages", "30s:5/s,1m"), "stage 2 ('1m')"),
        (("--arrival-rate", "5/s", "--stages", "1s:1:1"), "exclude each other"),
        (("--arrival-rate", "5/s", "--max-users", "0"), "--max-users"),
    ],
)
def test_a_wrong_open_model_option_is_a_clear_error(
    swarm_cmd, userfile: Callable[..., Path], args: tuple[str, ...], message: str
) -> None:
    result = swarm_cmd.run("-f", str(userfile(VISITOR)), "--headless", *args)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_an_arrival_rate_shape_and_a_command_line_rate_are_refused_together(
    swarm_cmd, userfile: Callable[..., Path]
) -> None:
    result = swarm_cmd.run("-f", str(userfile(SHAPED)), "--headless", "--arrival-rate", "5/s")
    assert result.returncode != 0
    assert "--arrival-rate and the userfile's Orders both shape the load" in result.stderr


@pytest.mark.parametrize(
    "load",
    [
        ("--arrival-rate", "200/s", "--max-users", "6", "-i", "300"),
        ("-u", "4", "-r", "100", "-i", "300"),
    ],
    ids=["open", "closed"],
)
def test_iterations_hold_in_total_across_workers(
    nodes, swarm_cmd, userfile: Callable[..., Path], target: DemoTarget, load: tuple[str, ...]
) -> None:
    path, port = userfile(VISITOR), free_port()
    master = nodes(
        "-f", str(path), "--master", "--headless", "--master-bind-host", "127.0.0.1",
        "--master-bind-port", str(port), "-H", target.url, "--json-file", "report",
        "--expect-workers", "2", "-t", "60s", *load,
    )  # fmt: skip
    workers = [nodes("-f", str(path), "--worker", "--master-port", str(port)) for _ in range(2)]
    assert master.finish() == 0, master.stderr
    assert [w.finish() for w in workers] == [0, 0], [w.stderr for w in workers]
    assert "Every worker's part of the test is over" in master.stderr
    assert target.total_served == 300
    assert aggregated(swarm_cmd.json_report())["num_requests"] == 300


def test_the_coordinated_omission_example_shows_what_its_docs_say(swarm_cmd) -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "coordinated_omission.py"
    result = swarm_cmd.run(
        "-f", str(example), "--headless", "--arrival-rate", "200/s", "--max-users", "2",
        "--max-lateness", "5s", "-i", "600", "--json-file", "report",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    row = aggregated(swarm_cmd.json_report())
    assert row["percentiles"]["0.99"] > 500 > row["service_time_percentiles"]["0.99"]


def test_pool_options_without_an_arrival_rate_are_refused(
    swarm_cmd, userfile: Callable[..., Path]
) -> None:
    result = swarm_cmd.run("-f", str(userfile(VISITOR)), "--headless", "--max-users", "5")
    assert result.returncode != 0
    assert "--max-users sizes the open model's pool" in result.stderr
    assert "Traceback" not in result.stderr
