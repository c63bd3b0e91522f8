"""Thresholds, JUnit and compare through the real swarm command against the demo target."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from swarm.demo import DemoTarget

pytestmark = pytest.mark.integration

SHOPPER = """
    from swarm import HttpUser, constant, task

    class Shopper(HttpUser):
        wait_time = constant(0.01)

        @task
        def products(self):
            self.client.get("/products")
"""


def test_a_failing_threshold_exits_3_and_writes_junit(
    swarm_cmd, userfile: Callable[..., Path], target: DemoTarget
) -> None:
    path = userfile(SHOPPER)
    result = swarm_cmd.run(
        "-f", str(path), "--headless", "-u", "2", "-r", "2", "-t", "1s", "-H", target.url,
        "--threshold", "GET /products: requests>0", "--threshold", "max<0.001ms",
        "--junit", "out/junit.xml",
    )  # fmt: skip
    assert result.returncode == 3, result.stderr
    assert "Thresholds:" in result.stdout
    assert "1 of 2 thresholds failed" in result.stdout
    suite = ET.parse(swarm_cmd.cwd / "out" / "junit.xml").getroot().find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["GET /products: requests>0", "max<0.001ms"]
    assert cases[0].find("failure") is None
    failure = cases[1].find("failure")
    assert failure is not None and "limit < 0.001 ms" in str(failure.get("message"))


def test_passing_thresholds_from_the_environment_exit_0(
    swarm_cmd, userfile: Callable[..., Path], target: DemoTarget
) -> None:
    path = userfile(SHOPPER)
    result = swarm_cmd.run(
        "-f", str(path), "--headless", "-u", "1", "-r", "1", "-t", "1s", "-H", target.url,
        env={"SWARM_THRESHOLD": "fail_ratio<0.01, GET /products: max<60s"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "All thresholds passed" in result.stdout


def test_threshold_abort_stops_the_run_early(
    swarm_cmd, userfile: Callable[..., Path], target: DemoTarget
) -> None:
    path = userfile(SHOPPER)
    result = swarm_cmd.run(
        "-f", str(path), "--headless", "-u", "1", "-r", "1", "-t", "60s", "-H", target.url,
        "--threshold", "requests<5", "--threshold-abort",
    )  # fmt: skip
    assert result.returncode == 3, result.stderr
    assert "'requests<5' can no longer pass (--threshold-abort)" in result.stderr
    assert "Run time limit" not in result.stderr


def test_a_malformed_threshold_is_refused_before_the_test(
    swarm_cmd, userfile: Callable[..., Path], target: DemoTarget
) -> None:
    path = userfile(SHOPPER)
    result = swarm_cmd.run(
        "-f", str(path), "--headless", "-t", "1s", "-H", target.url, "--threshold", "p95<3kg"
    )
    assert result.returncode == 1
    assert "invalid threshold 'p95<3kg'" in result.stderr
    assert "unknown unit 'kg'" in result.stderr
    assert "Traceback" not in result.stderr
    assert target.total_served == 0


def test_compare_two_runs(swarm_cmd, userfile: Callable[..., Path], target: DemoTarget) -> None:
    path = userfile(SHOPPER)

    def run(name: str, url: str) -> None:
        result = swarm_cmd.run(
            "-f", str(path), "--headless", "-u", "1", "-r", "1", "-t", "1s", "-H", url,
            "--json-file", name,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr

    run("base", target.url)
    with DemoTarget(latency_scale=1.0, error_rate=0.0, seed=7) as slow:
        run("slow", slow.url)
    same = swarm_cmd.run("compare", "base.json", "base.json")
    assert same.returncode == 0, same.stderr
    assert "GET /products" in same.stdout
    worse = swarm_cmd.run("compare", "base.json", "slow.json", "--tolerance", "5%")
    assert worse.returncode == 1, worse.stderr
    flagged = [line for line in worse.stdout.splitlines() if line.endswith("REGRESSION")]
    assert any(" p50 " in line for line in flagged), worse.stdout
