"""WebUI on a real socket on 127.0.0.1: serving, binding errors, HTTPS."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from certs import self_signed
from web.harness import Idle

from swarm.env import Environment
from swarm.event import Events
from swarm.exceptions import ConfigError


@pytest.fixture
def env() -> Iterator[Environment]:
    environment = Environment(user_classes=[Idle], events=Events())
    environment.create_local_runner()
    yield environment
    if environment.web_ui is not None:
        environment.web_ui.stop()
    assert environment.runner is not None
    environment.runner.quit()


def test_it_serves_on_a_free_port_and_says_where(env: Environment) -> None:
    ui = env.create_web_ui("127.0.0.1", 0)
    assert env.web_ui is ui
    assert ui.url == f"http://127.0.0.1:{ui.port}/" and ui.port > 0
    reply = requests.get(f"{ui.url}stats/requests", timeout=10)
    assert reply.json()["state"] == "ready"


def test_a_port_in_use_is_a_config_error(env: Environment) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError, match=f"cannot serve the web UI on 127.0.0.1:{port}"):
            env.create_web_ui("127.0.0.1", port)


def test_tls_needs_both_files_that_can_be_read(env: Environment, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="go together"):
        env.create_web_ui("127.0.0.1", 0, tls_cert="cert.pem")
    missing = str(tmp_path / "none.pem")
    with pytest.raises(ConfigError, match="cannot use --tls-cert"):
        env.create_web_ui("127.0.0.1", 0, tls_cert=missing, tls_key=missing)


def test_it_serves_https_with_a_certificate(env: Environment, tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    ui = env.create_web_ui("127.0.0.1", 0, tls_cert=cert, tls_key=key)
    assert ui.url.startswith("https://127.0.0.1:")
    assert requests.get(f"{ui.url}stats/requests", verify=cert, timeout=10).status_code == 200
