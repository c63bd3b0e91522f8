"""A user's mistakes get one clear paragraph and exit code 1, never a traceback."""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

GOOD = """
    from swarm import HttpUser, task

    class Shopper(HttpUser):
        @task
        def home(self):
            self.client.get("/")
"""


def assert_clean_error(result, *fragments: str) -> None:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert "swarm: error:" in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


def test_missing_userfile(swarm_cmd) -> None:
    result = swarm_cmd.run("-f", "nothere.py", "--headless", "-u", "1", "-t", "1s")
    assert_clean_error(result, "nothere.py")


def test_syntax_error_names_file_and_line(swarm_cmd, userfile: Callable[..., Path]) -> None:
    path = userfile("from swarm import User\n\nclass Broken(User)\n    pass\n")
    result = swarm_cmd.run("-f", str(path), "--headless", "-t", "1s")
    assert_clean_error(result, f"{path}:3", "syntax error")


def test_error_while_importing_names_file_and_line(
    swarm_cmd, userfile: Callable[..., Path]
) -> None:
    path = userfile("import swarm\n\nx = 1 / 0\n")
    result = swarm_cmd.run("-f", str(path), "--headless", "-t", "1s")
    assert_clean_error(result, f"{path}:3", "ZeroDivisionError")


def test_missing_module_hint(swarm_cmd, userfile: Callable[..., Path]) -> None:
    path = userfile("import no_such_module_for_swarm\n")
    result = swarm_cmd.run("-f", str(path), "--headless", "-t", "1s")
    assert_clean_error(result, "no_such_module_for_swarm", "installed")


def test_no_user_class(swarm_cmd, userfile: Callable[..., Path]) -> None:
    path = userfile("from swarm import User\n\nclass NotAUser:\n    pass\n")
    result = swarm_cmd.run("-f", str(path), "--headless", "-t", "1s")
    assert_clean_error(result, "no User class")


def test_unknown_user_class_lists_the_known_ones(swarm_cmd, userfile: Callable[..., Path]) -> None:
    path = userfile(GOOD)
    result = swarm_cmd.run("-f", str(path), "--headless", "-t", "1s", "-H", "http://x", "Nobody")
    assert_clean_error(result, "'Nobody'", "Shopper")


@pytest.mark.parametrize(
    ("flags", "fragment"),
    [
        (["-t", "5x"], "5x"),
        (["-u", "-3"], "-3"),
        (["-r", "0"], "spawn"),
    ],
)
def test_invalid_numbers(
    swarm_cmd, userfile: Callable[..., Path], flags: list[str], fragment: str
) -> None:
    path = userfile(GOOD)
    result = swarm_cmd.run("-f", str(path), "--headless", "-H", "http://127.0.0.1:1", *flags)
    assert_clean_error(result, fragment)


def test_http_user_without_host(swarm_cmd, userfile: Callable[..., Path]) -> None:
    path = userfile(GOOD)
    result = swarm_cmd.run("-f", str(path), "--headless", "-u", "1", "-t", "1s")
    assert_clean_error(result, "Shopper", "host")


def test_host_without_scheme(swarm_cmd, userfile: Callable[..., Path]) -> None:
    path = userfile(GOOD)
    result = swarm_cmd.run("-f", str(path), "--headless", "-t", "1s", "-H", "127.0.0.1:8080")
    assert_clean_error(result, "invalid host '127.0.0.1:8080'", "http://")


def test_only_weightless_classes(swarm_cmd, userfile: Callable[..., Path]) -> None:
    path = userfile(
        GOOD.replace("class Shopper(HttpUser):", "class Shopper(HttpUser):\n        weight = 0")
    )
    result = swarm_cmd.run("-f", str(path), "--headless", "-t", "1s", "-H", "http://127.0.0.1:1")
    assert_clean_error(result, "weight > 0")


def test_unknown_flag_suggests_the_right_one(swarm_cmd, userfile: Callable[..., Path]) -> None:
    path = userfile(GOOD)
    result = swarm_cmd.run("-f", str(path), "--headless", "--userss", "3")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "--users" in result.stderr and "did you mean" in result.stderr


SLOW_TO_LOAD = """
    import time

    print("loading the userfile", flush=True)
    time.sleep(60)  # ended by the SIGTERM long before

    from swarm import User, task


    class Idle(User):
        @task
        def idle(self):
            pass
"""


def test_sigterm_while_the_userfile_loads_ends_swarm_at_once(
    nodes, userfile: Callable[..., Path]
) -> None:
    """As PID 1 in a container the kernel ignores a signal nobody handles: swarm handles it
    from its first line, not only once the test's own handlers are in place."""
    node = nodes("-f", str(userfile(SLOW_TO_LOAD)), "--headless", "-t", "1s")
    node.wait_for("loading the userfile", stream="stdout")
    node.proc.send_signal(signal.SIGTERM)
    assert node.finish() == 128 + signal.SIGTERM
    assert "terminated (SIGTERM) before the test started" in node.stderr
    assert "Traceback" not in node.stderr
