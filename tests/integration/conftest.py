"""Running the real ``swarm`` command in a subprocess against a demo target on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from swarm_nodes import Node

from swarm.demo import DemoTarget

#: A safety net against a hung subprocess, never a way to wait for something.
RUN_LIMIT_S = 90


@pytest.fixture
def target() -> Iterator[DemoTarget]:
    with DemoTarget(latency_scale=0.05, error_rate=0.0, seed=7) as server:
        yield server


@pytest.fixture
def userfile(tmp_path: Path) -> Callable[[str], Path]:
    """Write a userfile (dedented source) into the test's directory and return its path."""

    def write(source: str, name: str = "userfile.py") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(source))
        return path

    return write


def swarm_env(**extra: str) -> dict[str, str]:
    """This process's environment without SWARM_/LOCUST_ settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SWARM_", "LOCUST_"))}
    env["SWARM_STRICT_EVENTS"] = "1"
    env.update(extra)
    return env


class SwarmCommand:
    """The real ``swarm`` command (``python -m swarm``), run in a test's directory."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd

    def run(
        self, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run to completion; stdout and stderr captured as text. ``env`` adds variables."""
        return subprocess.run(
            [sys.executable, "-m", "swarm", *args],
            cwd=self.cwd,
            env=swarm_env(**(env or {})),
            capture_output=True,
            text=True,
            timeout=RUN_LIMIT_S,
            check=False,
        )

    def start(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        """Start in the background; read its stdout line by line. ``env`` adds variables."""
        return subprocess.Popen(
            [sys.executable, "-u", "-m", "swarm", *args],
            cwd=self.cwd,
            env=swarm_env(**(env or {})),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def json_report(self, name: str = "report") -> list[dict[str, Any]]:
        data = json.loads((self.cwd / f"{name}.json").read_text())
        assert isinstance(data, list)
        return data


@pytest.fixture
def swarm_cmd(tmp_path: Path) -> SwarmCommand:
    return SwarmCommand(tmp_path)


@pytest.fixture
def nodes(swarm_cmd: SwarmCommand) -> Iterator[Callable[..., Node]]:
    """Start swarm processes whose output is collected; the test's own are ended by PID."""
    started: list[Node] = []

    def start(*args: str) -> Node:
        node = Node(swarm_cmd.start(*args))
        started.append(node)
        return node

    yield start
    for node in started:
        if node.proc.poll() is None:
            node.proc.kill()
            node.proc.wait()
