"""End to end: a headless run whose users hog the CPU says so in its summary, JSON and HTML."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

#: A safety net against a hung subprocess, never a way to wait for something.
RUN_LIMIT_S = 60

#: Users that block the event loop 30 ms per task: the generator, not a target, is the limit.
HOG = """
    import time

    from swarm import User, constant, task

    class Hog(User):
        wait_time = constant(0)

        @task
        def crunch(self):
            end = time.perf_counter() + 0.03
            while time.perf_counter() < end:
                pass
            self.environment.events.request.fire(
                request_type="CPU", name="crunch", response_time=30.0, response_length=0,
                exception=None, context={},
            )
"""


@pytest.mark.integration
def test_a_cpu_bound_run_is_marked_saturated_everywhere(tmp_path: Path) -> None:
    (tmp_path / "hog.py").write_text(textwrap.dedent(HOG))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SWARM_", "LOCUST_"))}
    env["SWARM_STRICT_EVENTS"] = "1"
    run = ["-f", "hog.py", "--headless", "-u", "2", "-r", "100", "-t", "2s"]
    reports = ["--json-file", "report", "--html", "report.html"]
    result = subprocess.run(
        [sys.executable, "-m", "swarm", *run, *reports],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_LIMIT_S,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Generator saturated for " in output
    assert "latencies may be inflated" in output
    items = json.loads((tmp_path / "report.json").read_text())
    assert isinstance(items, list) and items[0]["name"] == "crunch"
    generator = items[0]["generator"]
    assert generator["saturated"] is True
    assert generator["saturated_share"] > 0
    assert set(generator["saturated_processes"]) == {"local"}
    assert 'id="saturation"' in (tmp_path / "report.html").read_text()
