"""A host's relay between a master and its worker processes, all in one process.

The master must see each worker (dispatch, heartbeats) but only the relay's merged reports,
and stopping must still bring it every request.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import gevent
import pytest
from cluster_users import LIMIT_S, Shopper, gate
from fake_clock import FakeClock

from swarm.env import Environment
from swarm.rpc.memory import MemoryNetwork
from swarm.runners import STATE_STOPPED
from swarm.runners.relay import Relay
from swarm.runners.worker import WorkerRunner


class Host:
    """A master, and one host whose workers reach it through a relay."""

    def __init__(self, clock: FakeClock, workers: int) -> None:
        self.upstream, self.downstream = MemoryNetwork(), MemoryNetwork()
        self.master_env = Environment(user_classes=[Shopper])
        self.master = self.master_env.create_master_runner(
            transport=self.upstream.server, clock=clock
        )
        self.relay = Relay(self.upstream.client("host_relay"), self.downstream.server, clock=clock)
        self.workers: list[WorkerRunner] = []
        for i in range(workers):
            env = Environment(user_classes=[Shopper])
            worker = env.create_worker_runner(
                transport=self.downstream.client(f"host_w{i}"), clock=clock
            )
            with gevent.Timeout(LIMIT_S):
                worker.wait_for_master()
            self.workers.append(worker)
        self.senders: list[str] = []
        self.master_env.events.worker_report.add_listener(
            lambda client_id, data: self.senders.append(client_id)
        )

    def close(self) -> None:
        for worker in self.workers:
            worker.user_greenlets.kill(block=True)  # users would spin once the gate opens
            worker.greenlet.kill(block=True)
            logging.getLogger().removeHandler(worker.log_buffer)
        self.relay.greenlet.kill(block=True)
        self.master.greenlet.kill(block=True)


@pytest.fixture
def host(clock: FakeClock) -> Iterator[Host]:
    gate.clear()
    h = Host(clock, workers=3)
    yield h
    gate.set()
    h.close()


def settle() -> None:
    for _ in range(30):
        gevent.sleep(0)


def test_the_master_sees_every_worker_behind_the_relay(host: Host) -> None:
    assert host.master.worker_count == 3
    assert sorted(w.worker_index for w in host.workers) == [0, 1, 2]
    with gevent.Timeout(LIMIT_S):
        host.master.start(6, spawn_rate=1000, wait=True)
    settle()
    assert [w.user_count for w in host.workers] == [2, 2, 2]


def test_reports_reach_the_master_merged_once_per_interval(host: Host) -> None:
    with gevent.Timeout(LIMIT_S):
        host.master.start(6, spawn_rate=1000, wait=True)
    settle()
    for worker in host.workers:
        worker.send_report()
    settle()
    assert host.master.stats.total.num_requests == 0  # held by the relay until it reports
    host.relay.send_report()
    settle()
    assert host.master.stats.total.num_requests == 6
    assert host.senders == ["host_relay"]


def test_stopping_brings_every_request_to_the_master(host: Host) -> None:
    with gevent.Timeout(LIMIT_S):
        host.master.start(6, spawn_rate=1000, wait=True)
        settle()
        host.master.stop()
    assert host.master.state == STATE_STOPPED
    assert host.master.stats.total.num_requests == 6
    assert all(w.state == STATE_STOPPED for w in host.workers)


def test_a_worker_leaving_through_the_relay_is_forgotten_after_its_numbers(host: Host) -> None:
    with gevent.Timeout(LIMIT_S):
        host.master.start(6, spawn_rate=1000, wait=True)
        settle()
        host.workers[2].quit()
        host.relay.all_left.clear()
        settle()
        host.master.spawning_greenlet.join()  # type: ignore[union-attr]
    settle()
    assert host.workers[2].client_id not in host.master.clients
    assert host.master.stats.total.num_requests >= 2
    assert sum(w.user_count for w in host.workers[:2]) == 6


def test_heartbeats_reach_the_master_in_one_message_per_host(host: Host, clock: FakeClock) -> None:
    beats: list[str] = []
    host.master_env.events.heartbeat_sent.add_listener(
        lambda client_id, timestamp: beats.append(client_id)
    )
    clock.advance(2)
    for n, worker in enumerate(host.workers):
        worker.current_cpu_usage = 10.0 * (n + 1)
        worker.heartbeat(clock())
    settle()
    assert all(w.last_master_heartbeat == clock() for w in host.workers)  # the relay answered
    host.relay.send_heartbeats()
    settle()
    assert beats == ["host_relay"]  # one reply for the whole host
    nodes = {n.id: n for n in host.master.clients}
    assert [nodes[w.client_id].cpu_usage for w in host.workers] == [10.0, 20.0, 30.0]
    assert all(nodes[w.client_id].last_heartbeat == clock() for w in host.workers)


def test_a_relay_cut_off_from_its_master_stops_answering_its_workers(
    host: Host, clock: FakeClock
) -> None:
    host.upstream.cut("host_relay")
    clock.advance(4)
    before = [w.last_master_heartbeat for w in host.workers]
    for worker in host.workers:
        worker.heartbeat(clock())
    settle()
    assert [w.last_master_heartbeat for w in host.workers] == before
    assert all(w.master_lost for w in host.workers)


def test_a_worker_s_done_reaches_the_master_through_the_relay(host: Host) -> None:
    """A relay merges reports, but the master must still learn, by name, which workers'
    parts of a -i or arrival-rate test are over: else such a test would never end."""
    host.master.iteration_limit = 30
    with gevent.Timeout(LIMIT_S):
        host.master.start(3, spawn_rate=1000, wait=True)
    settle()
    host.workers[0]._report_done()  # as its spent budget would
    settle()
    assert host.master.parts.done == {host.workers[0].client_id}
    assert host.master.state != STATE_STOPPED  # the others are not done yet
    for worker in host.workers[1:]:
        worker._report_done()
    settle()
    with gevent.Timeout(LIMIT_S):
        host.master.greenlet.join()  # every part over: the master ends the run
    assert host.master.state == STATE_STOPPED
