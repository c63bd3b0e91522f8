"""The swarm command as a user runs it: real processes, real sockets on 127.0.0.1."""

from __future__ import annotations

import json
import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from swarm.demo import DemoTarget

pytestmark = pytest.mark.integration

SHOPPER = """
    from swarm import HttpUser, constant, task

    class Shopper(HttpUser):
        wait_time = constant(0.01)

        def on_start(self):
            self.client.post("/login", data={"username": "u", "password": "p"})

        @task(3)
        def products(self):
            self.client.get("/products")

        @task(1)
        def product(self):
            self.client.get("/product/3", name="/product/[id]")
"""


def requests_in(report: list[dict[str, object]]) -> int:
    return sum(int(str(e["num_requests"])) for e in report)


def failures_in(report: list[dict[str, object]]) -> int:
    return sum(int(str(e["num_failures"])) for e in report)


def test_headless_run_counts_exactly_what_the_target_served(
    swarm_cmd, userfile: Callable[..., Path], target: DemoTarget
) -> None:
    path = userfile(SHOPPER)
    result = swarm_cmd.run(
        "-f", str(path), "--headless", "-u", "5", "-r", "5", "-t", "2s", "-s", "5",
        "-H", target.url, "--json-file", "report",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = swarm_cmd.json_report()
    names = {(e["method"], e["name"]) for e in report}
    assert names == {("POST", "/login"), ("GET", "/products"), ("GET", "/product/[id]")}
    logins = next(e for e in report if e["name"] == "/login")
    assert logins["num_requests"] == 5  # one on_start per user
    assert requests_in(report) == target.total_served > 0
    assert failures_in(report) == 0
    # the console shows the progress line, the summary and the percentiles
    assert "users 5" in result.stdout
    assert "Aggregated" in result.stdout
    assert "100%" in result.stdout


def test_failed_requests_give_exit_code_on_error(
    swarm_cmd, userfile: Callable[..., Path], target: DemoTarget
) -> None:
    path = userfile(
        """
        from swarm import HttpUser, constant, task

        class Lost(HttpUser):
            wait_time = constant(0.05)

            @task
            def missing(self):
                self.client.get("/product/999999", name="/product/[id]")
        """
    )
    args = ["-f", str(path), "--headless", "-u", "1", "-r", "1", "-t", "1s", "-H", target.url]
    assert swarm_cmd.run(*args).returncode == 1
    result = swarm_cmd.run(*args, "--exit-code-on-error", "7")
    assert result.returncode == 7
    assert "404" in result.stdout  # the errors table names the failure


def test_exception_in_a_task_gives_exit_code_on_error_and_is_reported(
    swarm_cmd, userfile: Callable[..., Path]
) -> None:
    path = userfile(
        """
        from swarm import User, constant, task

        class Buggy(User):
            wait_time = constant(0.1)

            @task
            def oops(self):
                raise ZeroDivisionError("the bug in the userfile")
        """
    )
    args = ["-f", str(path), "--headless", "-u", "1", "-r", "1", "-t", "1s"]
    result = swarm_cmd.run(*args)
    assert result.returncode == 1  # as in Locust: task exceptions count like failures
    assert "ZeroDivisionError" in result.stdout  # exceptions table in the summary
    assert "Traceback" not in result.stdout
    assert swarm_cmd.run(*args, "--exit-code-on-error", "0").returncode == 0


def test_listener_exception_gives_exit_code_2_but_the_test_runs(
    swarm_cmd, userfile: Callable[..., Path], target: DemoTarget
) -> None:
    path = userfile(
        SHOPPER
        + """
    from swarm import events

    @events.test_start.add_listener
    def broken(environment):
        raise RuntimeError("listener bug")
    """
    )
    result = swarm_cmd.run(
        "-f", str(path), "--headless", "-u", "2", "-r", "2", "-t", "1s", "-H", target.url,
        "--json-file", "report",
    )  # fmt: skip
    assert result.returncode == 2
    assert "listener bug" in result.stderr
    assert requests_in(swarm_cmd.json_report()) > 0


def test_process_exit_code_set_by_a_listener_wins(
    swarm_cmd, userfile: Callable[..., Path], target: DemoTarget
) -> None:
    path = userfile(
        SHOPPER
        + """
    from swarm import events

    @events.quitting.add_listener
    def judge(environment):
        environment.process_exit_code = 42
    """
    )
    result = swarm_cmd.run(
        "-f", str(path), "--headless", "-u", "1", "-r", "1", "-t", "1s", "-H", target.url
    )
    assert result.returncode == 42


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_ends_the_run_with_final_stats_and_reports(
    swarm_cmd, userfile: Callable[..., Path], target: DemoTarget, sig: signal.Signals
) -> None:
    path = userfile(SHOPPER)
    process = swarm_cmd.start(
        "-f", str(path), "--headless", "-u", "3", "-r", "3", "-t", "60s", "-H", target.url,
        "--json-file", "report", "--csv", "run",
    )  # fmt: skip
    assert process.stdout is not None
    for line in process.stdout:  # the first progress line: the test is running
        if line.startswith("[") and "users" in line:
            break
    process.send_signal(sig)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "Aggregated" in out
    assert "Traceback" not in err
    assert requests_in(swarm_cmd.json_report()) > 0
    header = (swarm_cmd.cwd / "run_stats.csv").read_text().splitlines()[0]
    assert header.startswith("Type,Name,Request Count,Failure Count,Median Response Time")


def test_csv_stats_file_has_locusts_columns(
    swarm_cmd, userfile: Callable[..., Path], target: DemoTarget
) -> None:
    path = userfile(SHOPPER)
    result = swarm_cmd.run(
        "-f", str(path), "--headless", "-u", "2", "-r", "2", "-t", "1s", "-H", target.url,
        "--csv", "out",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = (swarm_cmd.cwd / "out_stats.csv").read_text().splitlines()
    assert lines[0] == (
        "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
        "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,"
        "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%"
    )
    assert lines[-1].startswith(",Aggregated,")
    assert (swarm_cmd.cwd / "out_stats_history.csv").exists()
    assert (swarm_cmd.cwd / "out_failures.csv").exists()


def test_json_to_stdout(swarm_cmd, userfile: Callable[..., Path], target: DemoTarget) -> None:
    path = userfile(SHOPPER)
    result = swarm_cmd.run(
        "-f", str(path), "--headless", "-u", "1", "-r", "1", "-t", "1s", "-H", target.url,
        "--json", "--only-summary",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    start = result.stdout.index("[\n")
    entries = json.loads(result.stdout[start:])
    assert {e["name"] for e in entries} >= {"/login", "/products"}


def test_tags_and_user_class_selection(
    swarm_cmd, userfile: Callable[..., Path], target: DemoTarget
) -> None:
    path = userfile(
        """
        from swarm import HttpUser, constant, tag, task

        class Reader(HttpUser):
            wait_time = constant(0.05)

            @tag("read")
            @task
            def products(self):
                self.client.get("/products")

            @tag("write")
            @task
            def cart(self):
                self.client.get("/cart")

        class Other(HttpUser):
            wait_time = constant(0.05)

            @task
            def home(self):
                self.client.get("/")
        """
    )
    result = swarm_cmd.run(
        "-f", str(path), "--headless", "-u", "2", "-r", "2", "-t", "1s", "-H", target.url,
        "-T", "read", "--json-file", "report", "Reader",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert {e["name"] for e in swarm_cmd.json_report()} == {"/products"}
    # without naming a class: Other has no task tagged "read", so only Reader runs
    result = swarm_cmd.run(
        "-f", str(path), "--headless", "-u", "2", "-r", "2", "-t", "1s", "-H", target.url,
        "-T", "read", "--json-file", "report",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert {e["name"] for e in swarm_cmd.json_report()} == {"/products"}
    assert "Other has no tasks left" in result.stderr
    result = swarm_cmd.run(
        "-f", str(path), "--headless", "-t", "1s", "-H", target.url, "-T", "nosuchtag"
    )
    assert result.returncode == 1
    assert "no user class has tasks after --tags" in result.stderr


def test_list_user_classes(swarm_cmd, userfile: Callable[..., Path]) -> None:
    path = userfile(SHOPPER)
    result = swarm_cmd.run("-f", str(path), "-l")
    assert result.returncode == 0
    assert "Shopper" in result.stdout


def test_show_task_ratio(swarm_cmd, userfile: Callable[..., Path]) -> None:
    path = userfile(SHOPPER)
    result = swarm_cmd.run("-f", str(path), "--show-task-ratio")
    assert result.returncode == 0, result.stderr
    assert "products" in result.stdout and "75" in result.stdout


def test_custom_argument_from_the_userfile(
    swarm_cmd, userfile: Callable[..., Path], target: DemoTarget
) -> None:
    path = userfile(
        """
        from swarm import HttpUser, constant, events, task

        @events.init_command_line_parser.add_listener
        def add_arguments(parser):
            parser.add_argument("--product-id", type=int, default=1, env_var="SHOP_PRODUCT")
            parser.add_argument("--api-key", is_secret=True, default="")

        class Buyer(HttpUser):
            wait_time = constant(0.05)

            @task
            def product(self):
                options = self.environment.parsed_options
                self.client.get(f"/product/{options.product_id}", name=f"p{options.product_id}")
        """
    )
    result = swarm_cmd.run(
        "-f", str(path), "--headless", "-u", "1", "-r", "1", "-t", "1s", "-H", target.url,
        "--json-file", "report", "--product-id", "4",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert {e["name"] for e in swarm_cmd.json_report()} == {"p4"}
    result = swarm_cmd.run(
        "-f", str(path), "--headless", "-u", "1", "-r", "1", "-t", "1s", "-H", target.url,
        "--json-file", "report", env={"SHOP_PRODUCT": "5"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert {e["name"] for e in swarm_cmd.json_report()} == {"p5"}


def test_version(swarm_cmd) -> None:
    result = swarm_cmd.run("-V")
    assert result.returncode == 0
    assert result.stdout.startswith("swarm ")


def test_stop_test_from_a_test_start_listener_ends_the_run_cleanly(
    swarm_cmd, userfile: Callable[..., Path], target: DemoTarget
) -> None:
    path = userfile(
        SHOPPER
        + """
    from swarm import StopTest, events

    @events.test_start.add_listener
    def refuse(environment):
        raise StopTest()
    """
    )
    result = swarm_cmd.run(
        "-f", str(path), "--headless", "-u", "1", "-r", "1", "-t", "30s", "-H", target.url
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "Aggregated" in result.stdout
