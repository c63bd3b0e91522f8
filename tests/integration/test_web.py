"""The real ``swarm`` command in web mode, driven over HTTP as a user's browser or script would.

Each test starts the command in a subprocess on 127.0.0.1 and synchronises on its log lines
(a userfile listener logs when its users have made 10 requests), never on time passing.
"""

from __future__ import annotations

import csv
import io
import json
import signal
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from certs import self_signed
from swarm_nodes import Node, free_port

from swarm.demo import DemoTarget
from swarm.reports.csv import STATS_COLUMNS

pytestmark = pytest.mark.integration

SHOPPER = """
    import logging

    from swarm import HttpUser, constant, events, task

    made = 0

    @events.request.add_listener
    def count(**kwargs):
        global made
        made += 1
        if made == 10:
            logging.getLogger("userfile").info("10 requests made")

    class Shopper(HttpUser):
        wait_time = constant(0.02)

        @task
        def products(self):
            self.client.get("/products")
"""

#: A bound on any one HTTP call to the UI.
HTTP_TIMEOUT = 10


def web_args(path: Path, target: DemoTarget, port: int, *extra: str) -> list[str]:
    return ["-f", str(path), "-H", target.url, "--web-port", str(port), *extra]


def ui_url(node: Node) -> str:
    return node.wait_for(r"Web UI at (\S+)").group(1)


def test_a_test_started_steered_and_stopped_over_http_then_ctrl_c(
    nodes, swarm_cmd, userfile: Callable[..., Path], target: DemoTarget
) -> None:
    path = userfile(SHOPPER)
    node = nodes(*web_args(path, target, free_port(), "--json-file", "report"))
    url = ui_url(node)
    assert url.startswith("http://127.0.0.1:")
    page = requests.get(url, timeout=HTTP_TIMEOUT)
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]

    started = requests.post(
        f"{url}swarm", data={"user_count": "2", "spawn_rate": "20"}, timeout=HTTP_TIMEOUT
    )
    assert started.json()["success"] is True
    node.wait_for("10 requests made")
    stats = requests.get(f"{url}stats/requests", timeout=HTTP_TIMEOUT).json()
    assert stats["stats"][-1]["name"] == "Aggregated"
    assert stats["stats"][-1]["num_requests"] >= 10
    assert stats["user_count"] == 2

    requests.post(f"{url}swarm", data={"user_count": "3", "spawn_rate": "20"}, timeout=HTTP_TIMEOUT)
    node.wait_for(r"All users spawned: Shopper: 3")
    bad = requests.post(f"{url}swarm", data={"user_count": "many"}, timeout=HTTP_TIMEOUT)
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"user_count", "spawn_rate"}

    assert requests.post(f"{url}stop", timeout=HTTP_TIMEOUT).json()["success"] is True
    assert requests.get(f"{url}stats/requests", timeout=HTTP_TIMEOUT).json()["state"] == "stopped"
    download = requests.get(f"{url}stats/requests/csv", timeout=HTTP_TIMEOUT)
    rows = list(csv.reader(io.StringIO(download.text)))
    assert rows[0] == STATS_COLUMNS and rows[-1][1] == "Aggregated"
    counted = int(rows[-1][2])

    node.proc.send_signal(signal.SIGINT)
    assert node.finish() == 0, node.stderr
    report = swarm_cmd.json_report()
    assert sum(e["num_requests"] for e in report) == counted
    assert "Aggregated" in node.stdout


def test_autostart_and_autoquit_run_without_a_click(
    swarm_cmd, userfile: Callable[..., Path], target: DemoTarget
) -> None:
    path = userfile(SHOPPER)
    args = web_args(path, target, free_port(), "--autostart", "--autoquit", "0")
    result = swarm_cmd.run(*args, "-u", "2", "-r", "20", "-t", "1s", "--csv", "auto")
    assert result.returncode == 0, result.stderr
    assert "--autostart: Swarming started: 2 users at 20/s" in result.stderr
    assert "Run time limit (1s) reached" in result.stderr
    assert (swarm_cmd.cwd / "auto_stats.csv").read_text().count("Aggregated") == 1


def test_web_login_and_base_path(nodes, userfile: Callable[..., Path], target: DemoTarget) -> None:
    path = userfile(SHOPPER)
    port = free_port()
    node = nodes(
        *web_args(path, target, port, "--web-login", "admin:pw", "--web-base-path", "/load")
    )
    url = ui_url(node)
    assert url == f"http://127.0.0.1:{port}/load/"
    assert requests.get(f"{url}stats/requests", timeout=HTTP_TIMEOUT).status_code == 401
    wrong = requests.get(f"{url}stats/requests", auth=("admin", "no"), timeout=HTTP_TIMEOUT)
    assert wrong.status_code == 401
    right = requests.get(f"{url}stats/requests", auth=("admin", "pw"), timeout=HTTP_TIMEOUT)
    assert right.status_code == 200 and right.json()["state"] == "ready"
    outside = requests.get(
        f"http://127.0.0.1:{port}/stats/requests", auth=("admin", "pw"), timeout=HTTP_TIMEOUT
    )
    assert outside.status_code == 404
    node.proc.send_signal(signal.SIGTERM)
    assert node.finish() == 0, node.stderr


def test_tls(nodes, tmp_path: Path, userfile: Callable[..., Path], target: DemoTarget) -> None:
    cert, key = self_signed(tmp_path)
    path = userfile(SHOPPER)
    node = nodes(*web_args(path, target, free_port(), "--tls-cert", cert, "--tls-key", key))
    url = ui_url(node)
    assert url.startswith("https://127.0.0.1:")
    reply = requests.get(f"{url}stats/requests", verify=cert, timeout=HTTP_TIMEOUT)
    assert reply.json()["state"] == "ready"
    node.proc.send_signal(signal.SIGTERM)
    assert node.finish() == 0, node.stderr


def test_a_master_in_web_mode_drives_its_worker(
    nodes, swarm_cmd, userfile: Callable[..., Path], target: DemoTarget
) -> None:
    path = userfile(SHOPPER)
    master_port = free_port()
    master = nodes(
        *web_args(path, target, free_port(), "--master", "--master-bind-host", "127.0.0.1",
                  "--master-bind-port", str(master_port), "--json-file", "report")
    )  # fmt: skip
    url = ui_url(master)
    worker = nodes("-f", str(path), "--worker", "--master-port", str(master_port))
    master.wait_for(r"Worker \S+ connected")
    started = requests.post(
        f"{url}swarm", data={"user_count": "2", "spawn_rate": "20"}, timeout=HTTP_TIMEOUT
    )
    assert started.json()["success"] is True, started.text
    worker.wait_for("10 requests made")
    requests.post(f"{url}stop", timeout=HTTP_TIMEOUT)  # returns once the final reports are in
    stats = requests.get(f"{url}stats/requests", timeout=HTTP_TIMEOUT).json()
    assert stats["is_distributed"] is True and stats["worker_count"] == 1
    assert [w["state"] for w in stats["workers"]] == ["stopped"]
    served = stats["stats"][-1]["num_requests"]
    assert 10 <= served <= target.total_served
    master.proc.send_signal(signal.SIGTERM)
    assert master.finish() == 0, master.stderr
    assert worker.finish() == 0
    assert (
        sum(e["num_requests"] for e in json.loads((swarm_cmd.cwd / "report.json").read_text()))
        == served
    )
