"""A real Prometheus scrapes a running headless swarm (``--metrics-port``) and sees it count.

Prometheus (Debian's package, installed by ``.ci/run``) runs as this test's own process,
bound to 127.0.0.1 with its configuration and storage in the test's directory; the test is
skipped when the binary is missing.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import gevent
import pytest
import requests
from swarm_nodes import Node, free_port

from swarm.demo import DemoTarget

pytestmark = pytest.mark.integration

PROMETHEUS = shutil.which("prometheus")

#: Prometheus's first scrape comes within a scrape interval of its start; this bounds it all.
SCRAPE_LIMIT_S = 30
#: Between two queries of Prometheus's API (polling: there is nothing to wait on instead).
POLL_S = 0.25

SHOPPER = """
    from swarm import HttpUser, constant, task

    class Shopper(HttpUser):
        wait_time = constant(0.05)

        @task
        def products(self):
            self.client.get("/products")
"""

CONFIG = """\
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: swarm
    static_configs:
      - targets: ["{target}"]
"""


@pytest.fixture
def prometheus(tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """Start Prometheus scraping ``host:port``; returns its API's base URL."""
    if PROMETHEUS is None:
        pytest.skip("the prometheus binary is not installed (Debian package prometheus)")
    started: list[subprocess.Popen[bytes]] = []

    def start(target: str) -> str:
        config = tmp_path / "prometheus.yml"
        config.write_text(CONFIG.format(target=target))
        port = free_port()
        with (tmp_path / "prometheus.log").open("wb") as log:
            proc = subprocess.Popen(
                [
                    str(PROMETHEUS),
                    f"--config.file={config}",
                    f"--storage.tsdb.path={tmp_path / 'data'}",
                    f"--web.listen-address=127.0.0.1:{port}",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        started.append(proc)
        return f"http://127.0.0.1:{port}"

    yield start
    for proc in started:
        proc.terminate()
        proc.wait(timeout=SCRAPE_LIMIT_S)


def query(api: str, promql: str) -> list[float]:
    """The values of an instant query; empty while Prometheus is starting or has no data."""
    try:
        reply = requests.get(f"{api}/api/v1/query", params={"query": promql}, timeout=5)
    except requests.ConnectionError:
        return []
    if reply.status_code != 200:
        return []
    return [float(item["value"][1]) for item in reply.json()["data"]["result"]]


def growing_counter(api: str, promql: str) -> tuple[float, float]:
    """Two values of ``promql``, the second larger, as Prometheus reports them over time."""
    deadline = time.monotonic() + SCRAPE_LIMIT_S
    first: float | None = None
    while time.monotonic() < deadline:
        values = query(api, promql)
        if values:
            if first is None:
                first = values[0]
            elif values[0] > first:
                return first, values[0]
        gevent.sleep(POLL_S)
    raise AssertionError(f"{promql} never grew within {SCRAPE_LIMIT_S}s (first value {first})")


def test_prometheus_sees_the_request_counter_grow(
    nodes: Callable[..., Node],
    userfile: Callable[..., Path],
    target: DemoTarget,
    prometheus: Callable[[str], str],
) -> None:
    metrics_port = free_port()
    swarm = nodes(
        "-f", str(userfile(SHOPPER)), "--headless", "-u", "2", "-r", "2", "-t", "60s",
        "-H", target.url, "--metrics-port", str(metrics_port), "--only-summary",
    )  # fmt: skip
    swarm.wait_for(rf"Prometheus metrics at http://127\.0\.0\.1:{metrics_port}/metrics")
    api = prometheus(f"127.0.0.1:{metrics_port}")

    selector = 'swarm_requests_total{method="GET",name="/products",job="swarm"}'
    first, later = growing_counter(api, selector)
    assert 0 < first < later
    assert query(api, 'swarm_info{job="swarm"}') == [1.0]
    assert query(api, "swarm_users") == [2.0]

    swarm.proc.send_signal(signal.SIGTERM)
    assert swarm.finish() == 0, swarm.stderr
