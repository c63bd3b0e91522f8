"""Distributed runs as users start them: a real master and real workers in separate processes,
talking ZeroMQ over 127.0.0.1, loading the demo target that counts what it served.

Every test cross-checks the master's request count with the target's own count. Tests wait
for log lines (bounded by a timeout), never for time to pass.
"""

from __future__ import annotations

import re
import signal
import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from swarm_nodes import SHOPPER, free_port

from swarm.demo import DemoTarget

pytestmark = pytest.mark.integration


def master_args(path: Path, port: int, target: DemoTarget, *extra: str) -> list[str]:
    return [
        "-f", str(path), "--master", "--headless", "--master-bind-host", "127.0.0.1",
        "--master-bind-port", str(port), "-H", target.url, "--json-file", "report",
        "--stop-timeout", "0", *extra,
    ]  # fmt: skip


def worker_args(path: Path | str, port: int, *extra: str) -> list[str]:
    return ["-f", str(path), "--worker", "--master-port", str(port), *extra]


def requests_in(report: list[dict[str, object]]) -> int:
    return sum(int(str(e["num_requests"])) for e in report)


def test_headless_master_runs_its_workers_and_counts_what_the_target_served(
    nodes, swarm_cmd, userfile: Callable[..., Path], target: DemoTarget
) -> None:
    path, port = userfile(SHOPPER), free_port()
    master = nodes(*master_args(path, port, target, "-u", "6", "-r", "20", "-t", "3s",
                                "--expect-workers", "2", "--csv", "dist"))  # fmt: skip
    workers = [nodes(*worker_args(path, port)) for _ in range(2)]
    assert master.finish() == 0, master.stderr
    assert [w.finish() for w in workers] == [0, 0]
    assert "Waiting for workers: 0 of 2 connected" in master.stderr
    assert re.search(r"All users spawned: Shopper: 6 \(total 6\)", master.stderr)
    report = swarm_cmd.json_report()
    served = target.total_served
    # requests cut off by the stop (no stop timeout) reached the target but were not counted
    assert served - 6 <= requests_in(report) <= served and served > 0
    assert {e["name"] for e in report} == {"/products", "/product/[id]"}
    assert (swarm_cmd.cwd / "dist_stats.csv").read_text().count("Aggregated") == 1
    assert "Aggregated" in master.stdout
    assert all("Connected to the master as worker" in w.stderr for w in workers)


def test_a_worker_killed_mid_run_is_noticed_and_its_users_move(
    nodes, swarm_cmd, userfile: Callable[..., Path], target: DemoTarget
) -> None:
    path, port = userfile(SHOPPER), free_port()
    master = nodes(*master_args(path, port, target, "-u", "4", "-r", "20", "-t", "8s",
                                "--expect-workers", "2"))  # fmt: skip
    workers = [nodes(*worker_args(path, port, "--report-interval", "0.5")) for _ in range(2)]
    master.wait_for("All users spawned")
    workers[1].proc.kill()
    lost = master.wait_for(r"Worker (\S+) .*sent no heartbeat.*moving its 2 users")
    assert master.finish() == 0, master.stderr
    assert workers[0].finish() == 0
    assert f"Worker {lost.group(1)}" in master.stdout and "was lost at" in master.stdout
    served = target.total_served
    counted = requests_in(swarm_cmd.json_report())
    # lost: the killed worker's last half-second report (2 users, 50 req/s each at most)
    assert served - 60 <= counted <= served


def test_ctrl_c_on_the_master_stops_every_worker_and_writes_the_reports(
    nodes, swarm_cmd, userfile: Callable[..., Path], target: DemoTarget
) -> None:
    path, port = userfile(SHOPPER), free_port()
    master = nodes(*master_args(path, port, target, "-u", "4", "-r", "20"))
    worker = nodes(*worker_args(path, port))
    master.wait_for("All users spawned")
    master.proc.send_signal(signal.SIGINT)
    assert master.finish() == 0, master.stderr
    assert worker.finish() == 0
    assert "The master ended the run" in worker.stderr
    served = target.total_served
    assert served - 4 <= requests_in(swarm_cmd.json_report()) <= served


def test_sigterm_on_a_worker_makes_it_leave_and_the_others_take_over(
    nodes, swarm_cmd, userfile: Callable[..., Path], target: DemoTarget
) -> None:
    path, port = userfile(SHOPPER), free_port()
    master = nodes(*master_args(path, port, target, "-u", "4", "-r", "20", "-t", "6s",
                                "--expect-workers", "2"))  # fmt: skip
    workers = [nodes(*worker_args(path, port)) for _ in range(2)]
    master.wait_for("All users spawned")
    workers[1].proc.send_signal(signal.SIGTERM)
    assert workers[1].finish() == 0
    master.wait_for(r"left \(1 still connected\)")
    assert master.finish() == 0, master.stderr
    assert workers[0].finish() == 0
    assert "was lost" not in master.stdout  # it said goodbye: not lost
    served = target.total_served
    # its final report was acknowledged: nothing is missing but the requests cut off, by its
    # leaving (its 2 users) and by the end of the run (4 users)
    assert served - 6 <= requests_in(swarm_cmd.json_report()) <= served


def test_workers_can_fetch_the_userfile_from_the_master(
    nodes, swarm_cmd, userfile: Callable[..., Path], target: DemoTarget
) -> None:
    path, port = userfile(SHOPPER), free_port()
    master = nodes(*master_args(path, port, target, "-u", "2", "-r", "20", "-t", "2s"))
    worker = nodes(*worker_args("-", port))
    assert master.finish() == 0, master.stderr
    assert worker.finish() == 0, worker.stderr
    assert "Running userfile.py, fetched from the master" in worker.stderr
    served = target.total_served
    assert served - 2 <= requests_in(swarm_cmd.json_report()) <= served and served > 0


def test_processes_forks_workers_under_a_local_master(
    nodes, swarm_cmd, userfile: Callable[..., Path], target: DemoTarget
) -> None:
    path, port = userfile(SHOPPER), free_port()
    master = nodes(*master_args(path, port, target, "-u", "4", "-r", "20", "-t", "2s",
                                "--processes", "2"))  # fmt: skip
    assert master.finish() == 0, master.stderr
    assert "Waiting for workers: 0 of 2 connected" in master.stderr
    assert master.stderr.count("Connected to the master as worker") == 2
    served = target.total_served
    assert served - 4 <= requests_in(swarm_cmd.json_report()) <= served and served > 0


def test_garbage_on_the_master_port_does_not_disturb_a_run(
    nodes, swarm_cmd, userfile: Callable[..., Path], target: DemoTarget
) -> None:
    import msgpack
    import zmq.green as zmq

    path, port = userfile(SHOPPER), free_port()
    master = nodes(*master_args(path, port, target, "-u", "2", "-r", "20", "-t", "3s"))
    master.wait_for("Waiting for workers")
    with socket.create_connection(("127.0.0.1", port)) as raw:
        raw.sendall(b"GET / HTTP/1.1\r\n\r\n" + bytes(range(256)))
    context = zmq.Context()
    intruder = context.socket(zmq.DEALER)
    intruder.setsockopt(zmq.LINGER, 0)
    intruder.setsockopt(zmq.IDENTITY, b"intruder")
    intruder.connect(f"tcp://127.0.0.1:{port}")
    intruder.send(b"\xc1 not msgpack")
    intruder.send(msgpack.packb([99, "ready", {}, "intruder"]))
    master.wait_for("protocol version 99")
    worker = nodes(*worker_args(path, port))
    assert master.finish() == 0, master.stderr
    assert worker.finish() == 0
    intruder.close()
    context.term()
    assert "Protocol error from intruder" in master.stderr
    served = target.total_served
    assert served - 2 <= requests_in(swarm_cmd.json_report()) <= served and served > 0


def test_a_worker_without_a_master_gives_up_with_a_clear_message(
    swarm_cmd, userfile: Callable[..., Path]
) -> None:
    path, port = userfile(SHOPPER), free_port()
    result = swarm_cmd.run(*worker_args(path, port, "--master-connect-timeout", "1"))
    assert result.returncode == 1
    assert f"no answer from a master at 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_worker_without_the_masters_secret_is_refused_on_both_sides(
    nodes, swarm_cmd, userfile: Callable[..., Path], target: DemoTarget
) -> None:
    path, port = userfile(SHOPPER), free_port()
    secret = ["--master-secret", "correct horse battery staple"]
    master = nodes(*master_args(path, port, target, "-u", "2", "-r", "20", "-t", "2s", *secret))
    master.wait_for("Waiting for workers")
    outsider = swarm_cmd.run(*worker_args(path, port, "--master-connect-timeout", "2"))
    assert outsider.returncode == 1
    assert "refused this worker: wrong or missing --master-secret" in outsider.stderr
    master.wait_for("refused a worker")
    member = nodes(*worker_args(path, port, *secret))
    assert master.finish() == 0, master.stderr
    assert member.finish() == 0
    served = target.total_served
    assert served - 2 <= requests_in(swarm_cmd.json_report()) <= served and served > 0


def test_workers_wait_for_a_restarted_master_and_register_again(
    nodes, swarm_cmd, userfile: Callable[..., Path], target: DemoTarget
) -> None:
    path, port = userfile(SHOPPER), free_port()
    first = nodes(*master_args(path, port, target, "-u", "2", "-r", "20", "--expect-workers", "9"))
    worker = nodes(*worker_args(path, port))
    first.wait_for("Worker .* connected")
    worker.wait_for("Connected to the master as worker")  # its ack is through: no race
    first.proc.kill()  # no goodbye: the worker must notice by itself
    first.finish()
    worker.wait_for("No answer from the master")
    second = nodes(*master_args(path, port, target, "-u", "2", "-r", "20", "-t", "2s"))
    assert second.finish() == 0, second.stderr
    assert worker.finish() == 0, worker.stderr
    assert "registered again" in worker.stderr or "registering again" in worker.stderr
    served = target.total_served
    assert served - 2 <= requests_in(swarm_cmd.json_report()) <= served and served > 0


def test_worker_processes_reach_the_master_through_their_hosts_relay(
    nodes, swarm_cmd, userfile: Callable[..., Path], target: DemoTarget
) -> None:
    path, port = userfile(SHOPPER), free_port()
    master = nodes(*master_args(path, port, target, "-u", "4", "-r", "20", "-t", "2s",
                                "--expect-workers", "3"))  # fmt: skip
    supervisor = nodes(*worker_args(path, port, "--processes", "3"))
    assert master.finish() == 0, master.stderr
    assert supervisor.finish() == 0, supervisor.stderr
    assert master.stderr.count(" connected (") == 3
    assert "Relaying 3 worker processes to the master" in supervisor.stderr
    assert "did not confirm" not in supervisor.stderr
    served = target.total_served
    assert served - 4 <= requests_in(swarm_cmd.json_report()) <= served and served > 0
