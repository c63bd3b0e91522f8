"""Prometheus metrics: what a scrape of the collector, /metrics or --metrics-port exposes."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest
import requests
from fake_clock import FakeClock
from prometheus_client.parser import text_string_to_metric_families
from scrape import scrape, value

from swarm.__version__ import __version__
from swarm.env import Environment
from swarm.exceptions import CatchResponseError, ConfigError
from swarm.reports.metrics_server import MetricsServer
from swarm.reports.prometheus import MAX_ERROR_LABEL
from swarm.rpc.memory import MemoryNetwork
from swarm.runners.states import STATE_MISSING, STATE_RUNNING
from swarm.stats import RequestStats


def record(stats: RequestStats, clock: FakeClock) -> None:
    for i in range(100):
        clock.advance(0.01)
        stats.log_request("GET", "/items", float(i + 1), 10)
    stats.log_request("POST", "/cart", 250.0, 10)
    stats.log_error("POST", "/cart", "Got 500 from <Resp object at 0x7f00aa>")
    stats.log_error("POST", "/cart", "Got 500 from <Resp object at 0x7f00bb>")


@pytest.fixture
def env(clock: FakeClock) -> Environment:
    environment = Environment(clock=clock)
    environment.create_local_runner()
    record(environment.stats, clock)
    return environment


def test_request_and_failure_counters_per_endpoint(env: Environment) -> None:
    metrics = scrape(env)
    requests_total = metrics["swarm_requests"]
    assert value(requests_total, "swarm_requests_total", method="GET", name="/items") == 100
    assert value(requests_total, "swarm_requests_total", method="POST", name="/cart") == 1
    failures = metrics["swarm_request_failures"]
    assert value(failures, "swarm_request_failures_total", method="POST", name="/cart") == 2
    assert value(failures, "swarm_request_failures_total", method="GET", name="/items") == 0
    assert all(s.labels["name"] != "Aggregated" for s in requests_total)


def test_response_time_summary_is_in_seconds(env: Environment) -> None:
    samples = scrape(env)["swarm_response_time_seconds"]
    items = {"method": "GET", "name": "/items"}
    assert value(samples, "swarm_response_time_seconds_count", **items) == 100
    assert value(samples, "swarm_response_time_seconds_sum", **items) == pytest.approx(5.05)
    quantiles = {
        s.labels["quantile"]: s.value
        for s in samples
        if s.name == "swarm_response_time_seconds" and s.labels["name"] == "/items"
    }
    assert set(quantiles) == {"0.5", "0.9", "0.95", "0.99"}
    # 1..100 ms: the histogram is within 0.4% of the exact sample
    assert quantiles["0.5"] == pytest.approx(0.050, rel=0.01)
    assert quantiles["0.95"] == pytest.approx(0.095, rel=0.01)
    cart = value(
        samples, "swarm_response_time_seconds", method="POST", name="/cart", quantile="0.99"
    )
    assert cart == pytest.approx(0.25, rel=0.005)


def test_aggregated_quantiles_cover_every_endpoint(env: Environment) -> None:
    samples = scrape(env)["swarm_aggregated_response_time_seconds"]
    assert value(samples, "swarm_aggregated_response_time_seconds_count") == 101
    assert value(samples, "swarm_aggregated_response_time_seconds", quantile="0.99") == (
        pytest.approx(0.1, rel=0.01)
    )


def test_quantiles_follow_the_last_seconds_and_totals_the_run(
    env: Environment, clock: FakeClock
) -> None:
    clock.advance(60)
    env.stats.log_request("GET", "/items", 900.0, 10)
    samples = scrape(env)["swarm_response_time_seconds"]
    items = {"method": "GET", "name": "/items"}
    assert value(samples, "swarm_response_time_seconds", quantile="0.5", **items) == (
        pytest.approx(0.9, rel=0.005)
    )
    assert value(samples, "swarm_response_time_seconds_count", **items) == 101
    clock.advance(60)
    idle = scrape(env)["swarm_response_time_seconds"]
    assert not [s for s in idle if "quantile" in s.labels]
    assert value(idle, "swarm_response_time_seconds_count", **items) == 101


def test_errors_grouped_by_message_with_addresses_masked(env: Environment) -> None:
    samples = scrape(env)["swarm_errors"]
    labels = {"method": "POST", "name": "/cart", "error": "Got 500 from <Resp object at 0x....>"}
    assert value(samples, "swarm_errors_total", **labels) == 2
    assert len(samples) == 1


def test_error_label_is_the_message_and_is_bounded(clock: FakeClock) -> None:
    env = Environment(clock=clock)
    env.stats.log_error("GET", "/a", CatchResponseError("bad body"))
    env.stats.log_error("GET", "/b", "x" * 5000)
    samples = scrape(env)["swarm_errors"]
    assert value(samples, "swarm_errors_total", method="GET", name="/a", error="bad body") == 1
    long_label = next(s.labels["error"] for s in samples if s.labels["name"] == "/b")
    assert len(long_label) == MAX_ERROR_LABEL


def test_current_rps_users_and_info(env: Environment, clock: FakeClock) -> None:
    for _second in range(15):
        for _ in range(4):
            env.stats.log_request("GET", "/items", 5.0, 1)
        clock.advance(1)
    metrics = scrape(env)
    assert metrics["swarm_current_rps"][0].value == pytest.approx(env.stats.total.current_rps)
    assert metrics["swarm_current_rps"][0].value > 0
    assert metrics["swarm_users"][0].value == 0
    assert value(metrics["swarm_info"], "swarm_info", version=__version__) == 1
    assert "swarm_workers" not in metrics  # only a master has workers


def test_an_empty_run_exposes_zero_values_and_no_series(clock: FakeClock) -> None:
    metrics = scrape(Environment(clock=clock))
    assert metrics["swarm_requests"] == []
    assert metrics["swarm_response_time_seconds"] == []
    assert metrics["swarm_users"][0].value == 0
    assert not math.isnan(metrics["swarm_current_rps"][0].value)


def test_a_master_exposes_its_workers_by_state(clock: FakeClock) -> None:
    env = Environment(clock=clock)
    master = env.create_master_runner(transport=MemoryNetwork().server, clock=clock)
    try:
        for node_id in ("a", "b", "c"):
            master.clients.register(node_id, clock())
        master.clients.get("a").state = STATE_RUNNING  # type: ignore[union-attr]
        master.clients.get("b").state = STATE_MISSING  # type: ignore[union-attr]
        samples = scrape(env)["swarm_workers"]
    finally:
        master.greenlet.kill(block=True)
    assert value(samples, "swarm_workers", state="ready") == 1
    assert value(samples, "swarm_workers", state="running") == 1
    assert value(samples, "swarm_workers", state="missing") == 1
    assert value(samples, "swarm_workers", state="stopped") == 0


def test_each_registry_reads_its_own_environment(clock: FakeClock) -> None:
    one, two = Environment(clock=clock), Environment(clock=clock)
    one.stats.log_request("GET", "/one", 1.0, 0)
    names = {s.labels["name"] for s in scrape(two)["swarm_requests"]}
    assert names == set()
    assert {s.labels["name"] for s in scrape(one)["swarm_requests"]} == {"/one"}


# -- the --metrics-port server ---------------------------------------------------------------


@pytest.fixture
def server(env: Environment) -> Iterator[MetricsServer]:
    metrics = MetricsServer(env, "127.0.0.1", 0)
    metrics.start()
    yield metrics
    metrics.stop()


def test_metrics_port_serves_the_text_format(server: MetricsServer) -> None:
    reply = requests.get(server.url, timeout=10)
    assert reply.status_code == 200
    assert reply.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    families = {f.name for f in text_string_to_metric_families(reply.text)}
    assert {"swarm_requests", "swarm_response_time_seconds", "swarm_users"} <= families


def test_metrics_port_answers_404_elsewhere(server: MetricsServer) -> None:
    reply = requests.get(server.url.replace("/metrics", "/other"), timeout=10)
    assert reply.status_code == 404


def test_a_port_in_use_is_a_config_error(server: MetricsServer, env: Environment) -> None:
    with pytest.raises(ConfigError, match=r"cannot serve metrics on 127\.0\.0\.1"):
        MetricsServer(env, "127.0.0.1", server.port).start()


def test_a_star_serves_metrics_on_every_interface_as_the_web_host_does(env: Environment) -> None:
    metrics = MetricsServer(env, "*", 0)
    metrics.start()
    try:
        assert metrics.url.startswith("http://127.0.0.1:")
        assert requests.get(metrics.url, timeout=10).status_code == 200
    finally:
        metrics.stop()


# -- the web UI's /metrics -------------------------------------------------------------------


def test_the_web_ui_serves_metrics_at_its_base_path(env: Environment) -> None:
    from swarm.web import WebUI

    client = WebUI(env, port=0, base_path="/swarm").app.test_client()
    reply = client.get("/swarm/metrics")
    assert reply.status_code == 200
    assert reply.content_type == "text/plain; version=0.0.4; charset=utf-8"
    families = {f.name: f.samples for f in text_string_to_metric_families(reply.text)}
    samples = families["swarm_requests"]
    assert value(samples, "swarm_requests_total", method="GET", name="/items") == 100


def test_the_web_ui_metrics_need_the_login(env: Environment) -> None:
    from swarm.web import WebUI

    client = WebUI(env, port=0, auth_credentials="user:secret").app.test_client()
    assert client.get("/metrics").status_code == 401
    reply = client.get("/metrics", auth=("user", "secret"))
    assert reply.status_code == 200
