"""What the ``swarm`` command does for distributed runs: workers, ``-f -`` and ``--processes``.

The master's headless run is the ordinary ``HeadlessRun`` (it waits for workers first);
this module holds the rest: a worker's life from connecting to leaving, fetching the userfile
from the master, and forking worker processes on one machine.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import socket as stdlib_socket
import sys
import tempfile
from pathlib import Path

import gevent

from swarm.config import source_of
from swarm.env import Environment
from swarm.exceptions import ConfigError, RPCError, UserfileError
from swarm.rpc.messages import USERFILE, Message
from swarm.rpc.zmq import ZmqClient, ZmqServer, raise_open_file_limit
from swarm.runners.master import MasterRunner
from swarm.runners.relay import Relay
from swarm.runners.worker import WorkerRunner, new_node_id

logger = logging.getLogger(__name__)

#: How long a worker waits for the master to send the userfile (``-f -``).
USERFILE_TIMEOUT = 60.0
#: Open files a master asks for: room for ten thousand workers and then some.
MASTER_OPEN_FILES = 16_384
#: Users hold a socket each per server they talk to: 5,000 users need more than the common
#: default of 1,024 open files, so a process running users raises its limit toward this (as
#: Locust does).
USER_OPEN_FILES = 10_000
#: How long a relay waits, once its children exited, for their last messages to pass.
RELAY_DRAIN_TIMEOUT = 5.0
#: How long the parent of ``--processes`` waits for its children after the run.
CHILDREN_TIMEOUT = 30.0


def create_runner(environment: Environment, options: argparse.Namespace) -> object:
    """The runner the options ask for: master, worker or local."""
    secret = options.master_secret or None
    if options.master:
        # one open file per connected worker: the common default of 1,024 caps a master there
        warning = raise_open_file_limit(MASTER_OPEN_FILES)
        if warning:
            logger.warning("Open files: %s", warning)
        return environment.create_master_runner(
            options.master_bind_host, options.master_bind_port, secret=secret
        )
    # The advice in the returned text is for masters; a user process takes what it can get.
    raise_open_file_limit(USER_OPEN_FILES)
    if options.worker:
        logger.info("Connecting to the master at %s:%s", options.master_host, options.master_port)
        return environment.create_worker_runner(
            options.master_host,
            options.master_port,
            secret=secret,
            stats_interval=options.report_interval,
            connect_timeout=options.master_connect_timeout,
        )
    return environment.create_local_runner()


def run_worker(environment: Environment, options: argparse.Namespace) -> int:
    """A worker's whole life: register, run what the master says, leave cleanly on a signal."""
    runner = environment.runner
    assert isinstance(runner, WorkerRunner)
    leaving: list[str] = []

    def leave(reason: str) -> None:
        if leaving:
            logger.warning("%s again: stopping every user now", reason)
            runner.user_greenlets.kill(block=False)
            return
        leaving.append(reason)
        logger.info("%s: leaving the master", reason)
        gevent.spawn(runner.quit)

    gevent.signal_handler(signal.SIGTERM, leave, "SIGTERM received")
    gevent.signal_handler(signal.SIGINT, leave, "Ctrl-C received")
    try:
        runner.wait_for_master()
    except RPCError as error:
        runner.greenlet.kill(block=True)
        runner.client.close()
        raise ConfigError(str(error)) from None
    runner.greenlet.join()
    environment.events.quitting.fire(environment=environment)
    code = environment.process_exit_code or 0
    environment.events.quit.fire(exit_code=code)
    return code


def wait_for_workers(runner: MasterRunner, expected: int, max_wait: float) -> bool:
    """Block until ``expected`` workers are connected; False if ``max_wait`` (> 0) ran out."""
    waited = 0.0
    last_seen = -1
    while runner.worker_count < expected:
        if runner.worker_count != last_seen:
            last_seen = runner.worker_count
            logger.info("Waiting for workers: %d of %d connected", last_seen, expected)
        if max_wait and waited >= max_wait:
            logger.error(
                "Gave up waiting for workers after %gs: %d of %d connected",
                max_wait,
                runner.worker_count,
                expected,
            )
            return False
        gevent.sleep(0.5)
        waited += 0.5
    return True


def fetch_userfile(options: argparse.Namespace) -> Path:
    """``-f -``: ask the master for its userfile and save it in a temporary directory."""
    if not options.worker:
        raise UserfileError("-f - (fetch the userfile from the master) works only with --worker")
    client = ZmqClient(
        options.master_host, options.master_port, new_node_id(), secret=options.master_secret
    )
    try:
        client.send(Message(USERFILE, None, client.node_id))
        with gevent.Timeout(USERFILE_TIMEOUT, False):
            reply = client.recv()
            while reply.type != USERFILE:
                reply = client.recv()
            return _save_userfile(reply.data)
    finally:
        client.close()
    raise UserfileError(
        f"the master at {options.master_host}:{options.master_port} did not send its userfile "
        f"within {USERFILE_TIMEOUT:g}s (is it running, with the same --master-secret?)"
    )


def _save_userfile(data: dict[str, str]) -> Path:
    if "error" in data:
        raise UserfileError(f"the master could not send its userfile: {data['error']}")
    name = Path(data["name"]).name  # never a path the master chose
    if not name.endswith(".py"):
        name += ".py"
    folder = Path(tempfile.mkdtemp(prefix="swarm-userfile-"))
    path = folder / name
    path.write_text(data["contents"], encoding="utf-8")
    return path


def fork_workers(options: argparse.Namespace) -> list[int]:
    """``--processes N``: fork N workers; returns their PIDs in the parent, [] in a child.

    A child turns into a worker of the parent's master, or, with ``--worker``, of the parent's
    relay (``supervise``), which carries the host's traffic to the master. Forking happens
    before any socket or greenlet exists.
    """
    count = options.processes
    if count == -1:
        count = os.cpu_count() or 1
    if count < 1:
        raise ConfigError(f"--processes must be a positive number or -1, not {count}")
    if not options.worker:
        options.master = True
        if options.master_bind_host not in ("*", "", "0.0.0.0"):
            options.master_host = options.master_bind_host
        else:
            options.master_host = "127.0.0.1"
        options.master_port = options.master_bind_port
        if source_of(options, "expect_workers") in ("", "default"):
            options.expect_workers = count
    else:
        options.relay_port = free_local_port()
    pids = []
    sys.stdout.flush()  # or every child would print what the parent had buffered
    sys.stderr.flush()
    for _ in range(count):
        pid = os.fork()
        if pid == 0:
            if options.worker:
                options.master_host, options.master_port = "127.0.0.1", options.relay_port
            options.master = False
            options.worker = True
            options.processes = None
            return []
        pids.append(pid)
    return pids


def supervise(pids: list[int], options: argparse.Namespace) -> int:
    """``--worker --processes N``: relay the children's traffic to the master until they exit.

    Signals are passed on to the children, which leave cleanly through the relay. Returns
    the worst of their exit codes.
    """
    secret = options.master_secret or None
    upstream = ZmqClient(
        options.master_host, options.master_port, f"{new_node_id()}_relay", secret=secret
    )
    downstream = ZmqServer("127.0.0.1", options.relay_port, secret=secret)
    relay = Relay(upstream, downstream, stats_interval=options.report_interval)
    logger.info(
        "Relaying %d worker processes to the master at %s:%s",
        len(pids),
        options.master_host,
        options.master_port,
    )

    def forward(signum: int) -> None:
        for pid in pids:
            _signal(pid, signum)

    gevent.signal_handler(signal.SIGTERM, forward, signal.SIGTERM)
    gevent.signal_handler(signal.SIGINT, forward, signal.SIGINT)
    try:
        return reap(pids, timeout=None)
    finally:
        # the children's goodbyes may still be in the relay's socket when they have exited
        relay.all_left.wait(timeout=RELAY_DRAIN_TIMEOUT)
        relay.close()


def free_local_port() -> int:
    """A TCP port free on 127.0.0.1 a moment ago (for a relay its children must know first)."""
    with stdlib_socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def reap(pids: list[int], timeout: float | None = CHILDREN_TIMEOUT) -> int:
    """Wait for the child PIDs (killing those still alive after ``timeout``); worst exit code."""
    worst = 0
    waiting = dict.fromkeys(pids)
    with gevent.Timeout(timeout, False):
        while waiting:
            for pid in list(waiting):
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    del waiting[pid]
                    worst = max(worst, os.waitstatus_to_exitcode(status) % 256)
            if waiting:
                gevent.sleep(0.2)
    for pid in waiting:
        logger.warning("Worker process %d did not exit: killing it", pid)
        _signal(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    return worst


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)
