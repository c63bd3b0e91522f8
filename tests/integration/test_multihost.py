"""Master, target and two workers on four "hosts" (network namespaces of a private network).

Cutting one worker's link is what a dead switch port or a crashed host looks like to the
master: no goodbye, no TCP reset, just silence. The master must mark that worker missing,
give its users to the other, finish the run and say so in the summary.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from netns import Network, available
from swarm_nodes import LIMIT_S, Node

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(available() is not None, reason=str(available())),
]

USERFILE = """
from swarm import HttpUser, constant, task

class Shopper(HttpUser):
    wait_time = constant(0.02)

    @task
    def products(self):
        self.client.get("/products")
"""


@pytest.fixture
def network() -> Iterator[Network]:
    net = Network({"master": 1, "target": 100, "w1": 11, "w2": 12})
    try:
        net.up()
    except subprocess.CalledProcessError as error:  # a container without CAP_NET_ADMIN
        net.down()
        pytest.skip(f"cannot create network namespaces here: {error.stderr.strip()}")
    yield net
    net.down()


@pytest.fixture
def hosts(network: Network, tmp_path: Path) -> Iterator[dict[str, object]]:
    started: list[Node] = []

    def run(host: str, *argv: str) -> Node:
        proc = subprocess.Popen(
            network.command(host, [sys.executable, "-u", *argv]),
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        node = Node(proc)
        started.append(node)
        return node

    yield {"run": run, "net": network, "dir": tmp_path}
    for node in started:  # only what this test started, by PID
        if node.proc.poll() is None:
            node.proc.kill()
            node.proc.wait(timeout=LIMIT_S)


def served_by(network: Network, host: str, url: str) -> int:
    """What the demo target counted, asked from inside ``host``."""
    code = (
        f"import urllib.request; print(urllib.request.urlopen({url!r}, timeout=10).read().decode())"
    )
    out = subprocess.run(
        network.command(host, [sys.executable, "-c", code]),
        capture_output=True, text=True, timeout=LIMIT_S, check=True,
    ).stdout  # fmt: skip
    return int(json.loads(out)["total"])


def test_cutting_a_workers_link_makes_the_master_carry_on_without_it(hosts) -> None:  # type: ignore[no-untyped-def]
    run, net, folder = hosts["run"], hosts["net"], hosts["dir"]
    (folder / "userfile.py").write_text(USERFILE)
    master_ip, target_ip = net.addresses["master"], net.addresses["target"]
    target_url = f"http://{target_ip}:8080"
    target = run("target", "-m", "swarm.demo", "--host", target_ip, "--port", "8080",
                 "--latency-scale", "0.05", "--error-rate", "0")  # fmt: skip
    target.wait_for("demo shop on", stream="stdout")
    master = run("master", "-m", "swarm", "-f", "userfile.py", "--master", "--headless",
                 "--master-bind-host", master_ip, "-u", "4", "-r", "20", "-t", "10s",
                 "--expect-workers", "2", "-H", target_url, "--json-file", "report",
                 "--stop-timeout", "0")  # fmt: skip
    worker_args = ["-m", "swarm", "-f", "userfile.py", "--worker", "--master-host", master_ip]
    workers = [run(name, *worker_args, "--report-interval", "0.5") for name in ("w1", "w2")]
    master.wait_for("All users spawned")
    net.cut("w2")
    master.wait_for(r"sent no heartbeat for 3s: marked missing; moving its 2 users")
    assert master.finish() == 0, master.stderr
    assert workers[0].finish() == 0, workers[0].stderr
    assert "was lost at" in master.stdout
    report = json.loads((folder / "report.json").read_text())
    counted = sum(int(e["num_requests"]) for e in report)
    served = served_by(net, "master", f"{target_url}/__stats")
    # the cut worker's last half-second report never arrived (2 users, ≤ 50 req/s each)
    assert served - 60 <= counted <= served and counted > 0
