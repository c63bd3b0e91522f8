"""A master and its workers in one process, over the in-memory transport.

Everything the master and workers say to each other goes through msgpack exactly as on the
wire; only the sockets are replaced. Time comes from a fake clock, so losing a worker is a
matter of moving the clock, not of waiting.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import gevent
import pytest
from cluster_users import LIMIT_S, Browser, Shopper, gate
from fake_clock import FakeClock
from gevent.event import Event

from swarm.env import Environment
from swarm.rpc.memory import MemoryNetwork
from swarm.rpc.messages import PROTOCOL_VERSION, Message
from swarm.runners import STATE_MISSING, STATE_RUNNING, STATE_STOPPED
from swarm.runners.master import MasterRunner
from swarm.runners.schedule import ArrivalPlan, RateCurve
from swarm.runners.worker import WorkerRunner
from swarm.stats import RequestStats


@pytest.fixture(autouse=True)
def _gate() -> Iterator[None]:
    gate.clear()
    yield
    gate.set()


class Cluster:
    """A master and workers wired through one ``MemoryNetwork``."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.network = MemoryNetwork()
        self.master_env = Environment(user_classes=[Shopper, Browser])
        self.master: MasterRunner = self.master_env.create_master_runner(
            transport=self.network.server, clock=clock
        )
        self.workers: list[WorkerRunner] = []

    def add_worker(
        self, node_id: str | None = None, env: Environment | None = None
    ) -> WorkerRunner:
        env = env or Environment(user_classes=[Shopper, Browser])
        worker = env.create_worker_runner(
            transport=self.network.client(node_id or f"host{len(self.workers)}_w"),
            clock=self.clock,
        )
        with gevent.Timeout(LIMIT_S):
            worker.wait_for_master()
        self.workers.append(worker)
        return worker

    def settle(self) -> None:
        """Let every message in flight be handled (a few rounds of the hub, no waiting)."""
        for _ in range(20):
            gevent.sleep(0)

    def close(self) -> None:
        for worker in self.workers:
            worker.user_greenlets.kill(block=True)  # users would spin once the gate opens
            worker.greenlet.kill(block=True)
            logging.getLogger().removeHandler(worker.log_buffer)
        self.master.greenlet.kill(block=True)


@pytest.fixture
def cluster(clock: FakeClock) -> Iterator[Cluster]:
    c = Cluster(clock)
    yield c
    gate.set()
    c.close()


def test_workers_register_with_increasing_indices(cluster: Cluster) -> None:
    a, b = cluster.add_worker(), cluster.add_worker()
    assert (a.worker_index, b.worker_index) == (0, 1)
    assert cluster.master.worker_count == 2
    assert {n.id for n in cluster.master.clients} == {a.client_id, b.client_id}


def test_start_splits_users_over_workers_and_classes(cluster: Cluster) -> None:
    workers = [cluster.add_worker() for _ in range(2)]
    with gevent.Timeout(LIMIT_S):
        cluster.master.start(8, spawn_rate=1000, wait=True)
    cluster.settle()
    assert [w.user_count for w in workers] == [4, 4]
    assert cluster.master.user_count == 8
    assert cluster.master.user_classes_count == {"Shopper": 6, "Browser": 2}
    assert cluster.master.state == STATE_RUNNING


def test_master_statistics_equal_one_process_seeing_every_sample(cluster: Cluster) -> None:
    workers = [cluster.add_worker() for _ in range(3)]
    with gevent.Timeout(LIMIT_S):
        cluster.master.start(12, spawn_rate=1000, wait=True)
    cluster.settle()
    reference = RequestStats()
    for worker in workers:
        for user in [u for users in worker._users.values() for u in users]:
            reference.log_request("GET", "/cart", user.response_time, 10)
        worker.send_report()
    cluster.settle()
    merged = cluster.master.stats.get("/cart", "GET")
    expected = reference.get("/cart", "GET")
    assert merged.num_requests == 12
    qs = [0.5, 0.9, 0.99, 1.0]
    assert merged.get_response_time_percentiles(qs) == expected.get_response_time_percentiles(qs)
    assert merged.max_response_time == expected.max_response_time


def test_stop_collects_the_final_reports(cluster: Cluster) -> None:
    workers = [cluster.add_worker() for _ in range(2)]
    with gevent.Timeout(LIMIT_S):
        cluster.master.start(4, spawn_rate=1000, wait=True)
        cluster.settle()
        cluster.master.stop()  # no periodic report was sent: only the final ones carry data
    assert cluster.master.state == STATE_STOPPED
    assert cluster.master.stats.total.num_requests == 4
    assert all(w.state == STATE_STOPPED and w.user_count == 0 for w in workers)


def test_a_silent_worker_is_marked_missing_and_its_users_move(cluster: Cluster) -> None:
    a, b = cluster.add_worker(), cluster.add_worker()
    with gevent.Timeout(LIMIT_S):
        cluster.master.start(6, spawn_rate=1000, wait=True)
    cluster.settle()
    cluster.network.cut(b.client_id)
    cluster.clock.advance(4)
    a.heartbeat(cluster.clock())
    cluster.settle()
    lost = cluster.master.check_heartbeats(cluster.clock())
    assert [n.id for n in lost] == [b.client_id]
    assert cluster.master.clients.get(b.client_id).state == STATE_MISSING  # type: ignore[union-attr]
    with gevent.Timeout(LIMIT_S):
        cluster.master.spawning_greenlet.join()  # type: ignore[union-attr]
    cluster.settle()
    assert a.user_count == 6
    assert cluster.master.user_count == 6
    assert [(w.id, w.user_count) for w in cluster.master.lost_workers] == [(b.client_id, 3)]


def test_a_worker_joining_mid_test_gets_its_share(cluster: Cluster) -> None:
    a = cluster.add_worker()
    with gevent.Timeout(LIMIT_S):
        cluster.master.start(6, spawn_rate=1000, wait=True)
    b = cluster.add_worker()
    with gevent.Timeout(LIMIT_S):
        cluster.master.spawning_greenlet.join()  # type: ignore[union-attr]
    cluster.settle()
    assert (a.user_count, b.user_count) == (3, 3)


def test_a_worker_that_quits_is_forgotten_and_the_rest_take_over(cluster: Cluster) -> None:
    a, b = cluster.add_worker(), cluster.add_worker()
    with gevent.Timeout(LIMIT_S):
        cluster.master.start(4, spawn_rate=1000, wait=True)
        cluster.settle()
        b.quit()
        cluster.settle()
        cluster.master.spawning_greenlet.join()  # type: ignore[union-attr]
    cluster.settle()
    assert b.client_id not in cluster.master.clients
    assert a.user_count == 4
    assert cluster.master.stats.total.num_requests >= 2  # b's final report was merged


def test_garbage_and_wrong_versions_are_logged_and_ignored(
    cluster: Cluster, caplog: pytest.LogCaptureFixture
) -> None:
    cluster.network.inject("intruder", b"\xc1\xff not msgpack")
    cluster.network.inject("old", b"\x94\x00\xa5ready\x80\xa3old")  # [0, "ready", {}, "old"]
    a = cluster.add_worker()
    assert cluster.master.protocol_errors == 2
    assert cluster.master.worker_count == 1 and a.worker_index == 0
    assert "intruder" in caplog.text and "protocol version 0" in caplog.text


def test_a_malformed_message_of_a_known_type_is_ignored(cluster: Cluster) -> None:
    cluster.network.inject("x_1", Message("stats", {"no": "stats"}, "x_1").encode())
    a = cluster.add_worker()
    assert cluster.master.protocol_errors == 1 and a.worker_index == 0


def test_a_final_report_sent_twice_is_merged_once(cluster: Cluster) -> None:
    a = cluster.add_worker()
    a.stats.log_request("GET", "/x", 5, 1)
    report = {**a.stats.take_report(), "seq": 7, "final": True}
    for _ in range(2):
        cluster.network.inject(a.client_id, Message("stats", report, a.client_id).encode())
    cluster.settle()
    assert cluster.master.stats.total.num_requests == 1


def test_custom_messages_both_ways(cluster: Cluster) -> None:
    a = cluster.add_worker()
    got: list[tuple[str, object, str]] = []
    done = Event()

    def on_master(environment: Environment, msg: Message, **kwargs: object) -> None:
        got.append(("master", msg.data, msg.node_id))
        cluster.master.send_message("pong", {"n": 2}, client_id=msg.node_id)

    def on_worker(environment: Environment, msg: Message, **kwargs: object) -> None:
        got.append(("worker", msg.data, msg.node_id))
        done.set()

    cluster.master.register_message("ping", on_master)
    a.register_message("pong", on_worker)
    a.send_message("ping", {"n": 1})
    with gevent.Timeout(LIMIT_S):
        done.wait()
    assert got == [("master", {"n": 1}, a.client_id), ("worker", {"n": 2}, "master")]


def test_a_restarted_master_makes_workers_register_again(clock: FakeClock) -> None:
    network = MemoryNetwork()
    worker = Environment(user_classes=[Shopper]).create_worker_runner(
        transport=network.client("h_1"), clock=clock
    )
    # the master that acknowledges it never hears of it: it answers heartbeats with reconnect
    master = Environment(user_classes=[Shopper]).create_master_runner(
        transport=network.server, clock=clock
    )
    master.clients.remove("h_1")  # forget it, as a restarted master would
    try:
        worker.heartbeat(clock())
        with gevent.Timeout(LIMIT_S):
            while "h_1" not in master.clients:
                gevent.sleep(0)
        assert master.worker_count == 1
    finally:
        worker.greenlet.kill(block=True)
        master.greenlet.kill(block=True)


def test_workers_fetch_the_userfile_from_the_master(cluster: Cluster, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "shop.py"
    path.write_text("# the userfile\n")
    cluster.master_env.locustfile = str(path)
    client = cluster.network.client("h_fetch")
    client.send(Message("userfile", None, "h_fetch"))
    with gevent.Timeout(LIMIT_S):
        reply = client.recv()
    assert reply.type == "userfile"
    assert reply.data == {"name": "shop.py", "contents": "# the userfile\n"}


def test_the_envelope_carries_the_protocol_version() -> None:
    assert Message.decode(Message("ack", None, "m").encode()) == Message("ack", None, "m")
    assert PROTOCOL_VERSION == 1


def test_worker_warnings_reach_the_master_with_the_next_report(cluster: Cluster) -> None:
    a = cluster.add_worker()
    logging.getLogger("userfile").warning("the basket API is slow")
    logging.getLogger("userfile").info("not shipped: only warnings and worse")
    a.send_report()
    cluster.settle()
    assert list(cluster.master.worker_logs[a.client_id]) == [
        "WARNING/userfile: the basket API is slow"
    ]


def test_a_worker_above_90_percent_cpu_raises_cpu_warning_once(cluster: Cluster) -> None:
    a = cluster.add_worker()
    warnings: list[float] = []
    cluster.master_env.events.cpu_warning.add_listener(
        lambda environment, cpu_usage, message: warnings.append(cpu_usage)
    )
    for _ in range(2):
        a.current_cpu_usage = 97.0
        a.heartbeat(cluster.clock())
        cluster.settle()
    assert warnings == [97.0]
    assert cluster.master.clients.get(a.client_id).cpu_warning_emitted  # type: ignore[union-attr]


def test_a_worker_silent_while_no_test_runs_is_just_marked_missing(
    cluster: Cluster, caplog: pytest.LogCaptureFixture
) -> None:
    a = cluster.add_worker()
    cluster.network.cut(a.client_id)
    cluster.clock.advance(4)
    assert [n.id for n in cluster.master.check_heartbeats(cluster.clock())] == [a.client_id]
    assert cluster.master.lost_workers == []  # not lost from a test: none was running
    assert "moving" not in caplog.text


def test_a_worker_registering_again_while_counted_in_keeps_its_users(cluster: Cluster) -> None:
    a, b = cluster.add_worker(), cluster.add_worker()
    with gevent.Timeout(LIMIT_S):
        cluster.master.start(4, spawn_rate=1000, wait=True)
    cluster.settle()
    a.master_lost = True  # as if the master's replies had been late
    cluster.clock.advance(5)
    a.heartbeat(cluster.clock())  # sends ready again, then its heartbeat
    cluster.settle()
    node = cluster.master.clients.get(a.client_id)
    assert node is not None and node.state == "running" and node.user_count == 2
    assert not a.master_lost and a.user_count == 2 and b.user_count == 2


def test_a_class_a_worker_lacks_is_logged_by_name_and_the_worker_carries_on(
    cluster: Cluster, caplog: pytest.LogCaptureFixture
) -> None:
    a = cluster.add_worker(env=Environment(user_classes=[Shopper]))
    with gevent.Timeout(LIMIT_S):
        cluster.master.start(2, spawn_rate=1000, wait=True, user_classes=[Browser])
        cluster.master.start(3, spawn_rate=1000, wait=True, user_classes=[Browser])
    errors = [(r.name, r.getMessage()) for r in caplog.records if r.levelno == logging.ERROR]
    # once a test on each side, naming the worker and the class, and no traceback
    assert [name for name, _ in errors] == ["swarm.runners.worker", "swarm.runners.master"]
    assert all(f"Worker {a.client_id} has no user class 'Browser'" in text for _, text in errors)
    assert "Traceback" not in caplog.text
    with gevent.Timeout(LIMIT_S):
        cluster.master.start(2, spawn_rate=1000, wait=True, user_classes=[Shopper])
    cluster.settle()
    assert a.user_classes_count == {"Shopper": 2}


def test_a_worker_points_every_class_of_its_userfile_at_the_masters_host(
    cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    for shared in (Shopper, Browser):  # the master's -H points them too: put them back after
        monkeypatch.setattr(shared, "host", shared.host)

    class Listed(Shopper):
        host = None  # its own, not the one Shopper is given

    class Unlisted(Shopper):
        host = None

    env = Environment(
        user_classes=[Listed], available_user_classes={"Listed": Listed, "Unlisted": Unlisted}
    )
    cluster.master_env.host = "http://127.0.0.1:8089"
    cluster.add_worker(env=env)
    with gevent.Timeout(LIMIT_S):
        cluster.master.start(1, spawn_rate=1000, wait=True, user_classes=[Unlisted])
    assert Unlisted.host == Listed.host == "http://127.0.0.1:8089"


def _shares(workers: list[WorkerRunner]) -> list[tuple[float, int]]:
    """Each worker's share of the rate and cap on its pool."""
    return [
        (w.arrival.schedule.share, w.arrival.max_users) if w.arrival is not None else (0.0, 0)
        for w in workers
    ]


def test_an_arrival_rate_is_split_over_the_workers_and_resplit_when_one_joins(
    cluster: Cluster,
) -> None:
    a, b = cluster.add_worker(), cluster.add_worker()
    plan = ArrivalPlan(RateCurve(100), max_users=6)
    with gevent.Timeout(LIMIT_S):
        cluster.master.start_arrival(plan)
        cluster.master.spawning_greenlet.join()  # type: ignore[union-attr]
    cluster.settle()
    assert _shares([a, b]) == [(0.5, 3), (0.5, 3)]
    assert cluster.master.user_count == 6  # the pools are started before the first iteration
    c = cluster.add_worker()
    cluster.settle()
    assert _shares([a, b, c]) == [(1 / 3, 2), (1 / 3, 2), (1 / 3, 2)]
    assert c.arrival is not None and c.arrival_plan is not None
    assert c.arrival_plan.to_dict() == plan.to_dict()


def test_a_closed_model_iteration_limit_is_split_as_the_users_are(cluster: Cluster) -> None:
    cluster.master.iteration_limit = 10
    cluster.add_worker(), cluster.add_worker(), cluster.add_worker()
    with gevent.Timeout(LIMIT_S):
        cluster.master.start(4, spawn_rate=1000, wait=True)
    # 4 users over 3 workers run 2, 1 and 1 of them: the 10 iterations follow
    assert sorted(cluster.master.parts.quotas.values()) == [2, 3, 5]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("report", "errors"),
    [
        ({"entries": [], "iterations": float("inf")}, 1),
        ({"entries": [], "service": {"entries": [], "service": {"entries": []}}}, 0),
    ],
    ids=["infinite count: refused", "nested service: one level merged"],
)
def test_odd_numbers_and_nesting_in_a_report_are_not_fatal(
    cluster: Cluster, report: dict[str, object], errors: int
) -> None:
    cluster.network.inject("x_1", Message("stats", report, "x_1").encode())
    a = cluster.add_worker()  # the master still hears its workers
    assert a.worker_index == 0
    assert cluster.master.protocol_errors == errors


def test_a_malformed_arrival_part_is_refused_before_the_worker_changes_anything(
    cluster: Cluster,
) -> None:
    a = cluster.add_worker()
    a.stats.log_request("GET", "/kept", 5, 1)
    part = {
        "plan": ArrivalPlan(RateCurve(10), max_users=2).to_dict(),
        "share": 1.0, "phase": float("nan"), "max_users": 2,
    }  # fmt: skip
    spawn = {"user_classes_count": {}, "arrival": part, "seq": 1}
    cluster.network.server.send_to(a.client_id, Message("spawn", spawn, a.client_id))
    cluster.settle()
    assert a.arrival is None and a.state != STATE_RUNNING
    assert a.stats.num_requests == 1  # no test began: nothing was cleared
    a.send_message("still", "listening")  # its receive loop goes on


def test_a_distributed_iteration_limit_ends_when_the_last_worker_not_done_leaves(
    cluster: Cluster,
) -> None:
    cluster.master.iteration_limit = 10
    a, b = cluster.add_worker(), cluster.add_worker()
    with gevent.Timeout(LIMIT_S):
        cluster.master.start(2, spawn_rate=1000, wait=True)
    cluster.settle()
    a._report_done()
    cluster.settle()
    assert cluster.master.state == STATE_RUNNING
    b.quit()
    with gevent.Timeout(LIMIT_S):
        cluster.master.greenlet.join()
    assert cluster.master.state == STATE_STOPPED


def test_a_first_target_of_no_users_does_not_split_the_iterations_yet(cluster: Cluster) -> None:
    cluster.master.iteration_limit = 10
    cluster.add_worker(), cluster.add_worker()
    with gevent.Timeout(LIMIT_S):
        cluster.master.start(0, spawn_rate=1000, wait=True)
        assert cluster.master.parts.quotas is None
        cluster.master.start(4, spawn_rate=1000, wait=True)
    assert sorted(cluster.master.parts.quotas.values()) == [5, 5]  # type: ignore[union-attr]


def test_pre_allocated_users_are_split_over_the_workers(cluster: Cluster) -> None:
    workers = [cluster.add_worker() for _ in range(3)]
    plan = ArrivalPlan(RateCurve(1), max_users=30, pre_allocated_users=10)
    with gevent.Timeout(LIMIT_S):
        cluster.master.start_arrival(plan)
        cluster.master.spawning_greenlet.join()  # type: ignore[union-attr]
    cluster.settle()
    assert sorted(w.user_count for w in workers) == [3, 3, 4]
