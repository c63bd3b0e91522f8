"""``--autostart`` in a web run: the test starts without a click, a load shape's if any."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from web.harness import Idle, Orders, Script

from swarm.config import parse_options
from swarm.env import Environment
from swarm.event import Events
from swarm.runners.base import STATE_RUNNING, STATE_SPAWNING
from swarm.user.shape import LoadTestShape
from swarm.webrun import WebRun, create_web_ui


def autostarted(tmp_path: Path, shape: LoadTestShape | None, *argv: str) -> Environment:
    """A web run of ``argv`` (with --autostart) whose autostart has happened."""
    options = parse_options(
        ["--autostart", "--web-port", "0", *argv], environ={}, cwd=tmp_path, home=tmp_path
    )
    env = Environment(user_classes=[Idle], events=Events(), shape_class=shape)
    env.create_local_runner()
    create_web_ui(env, options)
    WebRun(env, options)._autostart()  # what run() spawns, without serving or waiting
    return env


def test_autostart_with_a_shape_starts_the_shape(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="swarm.webrun"):
        env = autostarted(tmp_path, Script((4, 100.0)), "-u", "50", "-r", "5")
    runner = env.runner
    assert runner is not None
    try:
        assert runner.shape_greenlet is not None and not runner.shape_greenlet.dead
        assert (runner.state, runner.target_user_count) == (STATE_SPAWNING, 4)  # not -u 50
        assert "--autostart: Swarming started with the load shape Script" in caplog.text
    finally:
        runner.quit()


def test_autostart_without_a_shape_uses_users_and_rate(tmp_path: Path) -> None:
    env = autostarted(tmp_path, None, "-u", "3", "-r", "100")
    runner = env.runner
    assert runner is not None
    try:
        assert runner.shape_greenlet is None
        assert (runner.target_user_count, runner.spawn_rate) == (3, 100)
    finally:
        runner.quit()


def test_autostart_with_an_arrival_rate_starts_the_open_model(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="swarm.webrun"):
        env = autostarted(tmp_path, Orders(), "-u", "50", "-r", "5")
    runner = env.runner
    assert runner is not None
    try:
        assert runner.arrival_plan is not None and runner.arrival_plan.describe() == "200/s"
        assert runner.state in (STATE_SPAWNING, STATE_RUNNING)
        assert "--autostart: Swarming started with the arrival rate 200/s (Orders)" in caplog.text
    finally:
        runner.quit()
