"""Saturation watched by real runners: a blocked event loop, workers' heartbeats, the summary.

The stimulus of the local test is a deliberate CPU-bound block of the hub for 30 ms; the test
then waits for the lag probe's next measurement (an event), never for time to pass.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import gevent
import pytest
from cluster_users import LIMIT_S, Browser, Shopper, gate
from fake_clock import FakeClock
from gevent.event import Event

from swarm.env import Environment
from swarm.lifecycle import run_notes
from swarm.rpc.memory import MemoryNetwork
from swarm.rpc.messages import Message
from swarm.runners import base
from swarm.runners.base import Runner
from swarm.runners.local import LocalRunner
from swarm.runners.master import MasterRunner
from swarm.runners.saturation import LOOP_LAG_LIMIT_S
from swarm.runners.worker import WorkerRunner

#: The hub is blocked this long: three times the lag limit, many times the probe's interval.
BLOCK_S = 0.030


@pytest.fixture(autouse=True)
def _gate() -> Iterator[None]:
    gate.clear()
    yield
    gate.set()


def block_the_hub(seconds: float) -> None:
    """Keep the CPU busy without yielding, as heavy user code would."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


@pytest.fixture
def local(monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalRunner]:
    monkeypatch.setattr(Runner, "loop_lag_interval", 0.005)
    env = Environment(user_classes=[Shopper])
    runner = env.create_local_runner()
    yield runner
    gate.set()
    runner.quit()


def test_a_blocked_event_loop_marks_the_local_generator_saturated(
    local: LocalRunner, caplog: pytest.LogCaptureFixture
) -> None:
    measured = Event()
    local.loop_lag.listener = lambda lateness: measured.set()
    with gevent.Timeout(LIMIT_S):
        local.start(2, spawn_rate=1000, wait=True)
        measured.wait()  # the probe is asleep in its loop now
        measured.clear()
        block_the_hub(BLOCK_S)
        measured.wait()
    with caplog.at_level(logging.WARNING):
        local.read_usage()
    assert local.current_loop_lag >= LOOP_LAG_LIMIT_S
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    saturated = [w for w in warnings if "saturated" in w]
    assert len(saturated) == 1
    assert saturated[0].startswith("Generator saturated — latencies may be inflated: local at")
    summary = local.saturation
    assert summary.saturated_processes.keys() == {"local"}
    assert summary.peak_loop_lag >= LOOP_LAG_LIMIT_S
    local.stop()
    notes = run_notes(local)
    assert notes[0].startswith("Generator saturated for ")
    assert "latencies may be inflated" in notes[0]
    assert local.saturation == summary  # the stopped test's verdict stays readable


def test_a_quiet_loop_is_not_saturated(local: LocalRunner) -> None:
    with gevent.Timeout(LIMIT_S):
        local.start(2, spawn_rate=1000, wait=True)
    local.saturation_monitor.observe("local", time.monotonic(), cpu=5.0, loop_lag=0.001)
    local.stop()
    assert not local.saturation.saturated
    assert run_notes(local) == []


def test_the_last_stretch_of_a_test_is_sampled_when_it_stops(
    local: LocalRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(base, "FINAL_SAMPLE_MIN_INTERVAL", 0.0)
    with gevent.Timeout(LIMIT_S):
        local.start(2, spawn_rate=1000, wait=True)
    local.stop()
    assert local.saturation_monitor.processes["local"].observed_time > 0
    # and nothing after the stop is the test's
    assert local.saturation_monitor.observe("local", time.monotonic() + 60, 99.0, 1.0) is None


class Cluster:
    """A master and workers in one process over the in-memory transport, on a fake clock."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.network = MemoryNetwork()
        self.master: MasterRunner = Environment(
            user_classes=[Shopper, Browser]
        ).create_master_runner(transport=self.network.server, clock=clock)
        self.workers: list[WorkerRunner] = []

    def add_worker(self) -> WorkerRunner:
        worker = Environment(user_classes=[Shopper, Browser]).create_worker_runner(
            transport=self.network.client(f"host{len(self.workers)}_w"), clock=self.clock
        )
        with gevent.Timeout(LIMIT_S):
            worker.wait_for_master()
        self.workers.append(worker)
        return worker

    def settle(self) -> None:
        for _ in range(20):
            gevent.sleep(0)

    def close(self) -> None:
        for worker in self.workers:
            worker.user_greenlets.kill(block=True)
            worker.greenlet.kill(block=True)
            logging.getLogger().removeHandler(worker.log_buffer)
        self.master.greenlet.kill(block=True)


@pytest.fixture
def cluster(clock: FakeClock) -> Iterator[Cluster]:
    c = Cluster(clock)
    yield c
    gate.set()
    c.close()


def test_a_saturated_worker_is_named_by_the_master_and_in_its_verdict(
    cluster: Cluster, caplog: pytest.LogCaptureFixture
) -> None:
    hot, cool = cluster.add_worker(), cluster.add_worker()
    with gevent.Timeout(LIMIT_S):
        cluster.master.start(4, spawn_rate=1000, wait=True)
    cluster.settle()
    cpu_warnings: list[float] = []

    def on_cpu_warning(cpu_usage: float) -> None:  # the event passes arguments by name
        cpu_warnings.append(cpu_usage)

    cluster.master.environment.events.cpu_warning.add_listener(on_cpu_warning)
    for worker, cpu in ((hot, 97.0), (cool, 20.0)):
        monitor = worker.saturation_monitor
        assert monitor.started is not None  # the worker's test began with its first spawn
        monitor.observe(worker.client_id, monitor.started + 3.0, cpu, 0.0)
        monitor.observe(worker.client_id, monitor.started + 4.0, 20.0, 0.0)
        monitor.observe(worker.client_id, monitor.started + 5.0, cpu, 0.0)
        worker.current_cpu_usage = cpu
    with caplog.at_level(logging.WARNING):
        for worker in (hot, cool):
            worker.heartbeat(cluster.clock())
        cluster.settle()
    summary = cluster.master.saturation
    assert summary.saturated_processes == {hot.client_id: 0.8}
    assert summary.saturated_share == 0.8
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        f"Generator saturated — latencies may be inflated: {hot.client_id} at CPU 97%, "
        "event-loop lag 0 ms (limits: 90%, 10 ms). Spread the users over more processes "
        "(--processes, more workers)."
    ]  # said once: the CPU warning of the same heartbeat is not logged twice
    assert cpu_warnings == [97.0]  # but Locust's event still fires
    assert run_notes(cluster.master)[0].startswith("Generator saturated for 80% of the test")


def test_a_heartbeat_without_saturation_fields_is_still_taken(cluster: Cluster) -> None:
    worker = cluster.add_worker()
    old_style = {"state": "ready", "current_cpu_usage": 12.0, "user_count": 0}
    worker.client.send(Message("heartbeat", old_style, worker.client_id))
    cluster.settle()
    node = cluster.master.clients.get(worker.client_id)
    assert node is not None and node.cpu_usage == 12.0
    assert node.loop_lag == 0.0
    assert cluster.master.protocol_errors == 0
    assert not cluster.master.saturation.saturated


def test_a_worker_s_heartbeat_carries_its_lag_and_totals(cluster: Cluster) -> None:
    worker = cluster.add_worker()
    beats: list[dict[str, object]] = []
    cluster.master.handle = lambda route, message: beats.append(message.data)  # type: ignore[method-assign]  # listen only
    worker.current_loop_lag = 0.012
    worker.heartbeat(cluster.clock())
    cluster.settle()
    assert beats[-1]["current_loop_lag"] == 0.012
    assert beats[-1]["saturation"] == {
        "observed_time": 0.0,
        "saturated_time": 0.0,
        "peak_cpu": 0.0,
        "peak_loop_lag": 0.0,
    }
