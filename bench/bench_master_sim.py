"""Many simulated workers in one process: plain ZeroMQ DEALER sockets behind one epoll.

    python bench/bench_master_sim.py --impl swarm|locust --port P --count N [--api] [--seed S]

Run with the interpreter of the implementation's virtual environment (the reports are made
with its own statistics classes). Each socket is one worker, identity ``host_uuid`` as a real
worker's: it registers (``ready``/``client_ready``, then waits for ``ack``), then, from a
random phase, sends a heartbeat every second and a statistics report every 3 s, answers
``spawn``/``stop`` as a real worker would, and times every heartbeat reply. With ``--api``,
socket 0 also sends the masterfile's ``bench_stats`` request every second and times the reply.

With ``--per-host N`` (swarm only), one socket stands for a host's relay carrying N workers
(``swarm --worker --processes N``): every worker registers on its own, by its node id, over
the host's one connection; the host sends its workers' heartbeats in one message a second
and one merged report per interval, as the relay does, and times the master's one reply.

Why epoll on ``ZMQ_FD`` and not a ``zmq.Poller``: a poll over thousands of sockets costs
O(sockets) per wake-up, epoll only O(ready ones). ``ZMQ_FD`` signals that a socket's
events *may* have changed, and a send can swallow that signal, so every socket is drained
(``ZMQ_EVENTS`` then non-blocking receives) both when its fd is readable and after each send.

The driver talks over stdin/stdout, one line each way: the sim prints ``REGISTERED n`` once
every socket is acknowledged; ``start`` opens the measured window; ``stop`` closes it and
prints one JSON line of what was seen in it; ``quit`` (or EOF) ends the process.
"""

from __future__ import annotations

import argparse
import heapq
import importlib
import json
import os
import random
import resource
import socket
import sys
import time
import uuid
from collections import deque
from select import EPOLLIN, epoll  # taken before gevent's monkey-patching hides epoll

import zmq
from bench_master_reports import REPORT_INTERVAL, SAMPLES_PER_REPORT, ReportSource
from bench_master_wire import STATS_REPLY, STATS_REQUEST, LocustWire, SwarmWire, Wire, packed

HEARTBEAT_INTERVAL = 1.0
API_INTERVAL = 1.0
USERS_PER_WORKER = 10
#: Heartbeats awaiting a reply kept per socket: beyond, the oldest count as lost.
_MAX_PENDING = 64
#: Timer events handled before the sockets are looked at again.
_MAX_EVENTS_PER_TURN = 2000
_HEARTBEAT, _STATS, _API, _SAMPLE, _ROTATE = range(5)
_SAMPLE_INTERVAL = REPORT_INTERVAL / SAMPLES_PER_REPORT


def _wire(impl: str) -> Wire:
    user_class = "MasterBenchUser"
    if impl == "swarm":
        version = importlib.import_module("swarm.__version__").__version__
        return SwarmWire(version, user_class)
    return LocustWire(importlib.import_module("locust").__version__, user_class)


class Window:
    """What the sockets saw between ``start`` and ``stop``."""

    def __init__(self) -> None:
        self.open = False
        self.hb_delays: list[float] = []
        self.api_rtts: list[float] = []
        self.hb_sent = self.stats_sent = self.api_sent = self.bytes_sent = 0
        self.hb_lost = self.dropped = 0

    def summary(self, pending: list[deque[float]], api_pending: dict[int, float]) -> str:
        now = time.monotonic()
        ages = [now - sent for queue in pending for sent in queue if now - sent > 1.0]
        api_late = [now - sent for sent in api_pending.values() if now - sent > 1.0]
        return json.dumps(
            {
                "hb_delays": [round(d * 1000, 3) for d in self.hb_delays],
                "hb_late": len(ages),
                "hb_oldest": round(max(ages, default=0.0) * 1000, 3),
                "hb_sent": self.hb_sent,
                "hb_lost": self.hb_lost,
                "api_rtts": [round(d * 1000, 3) for d in self.api_rtts],
                "api_sent": self.api_sent,
                "api_late": len(api_late),
                "api_oldest": round(max(api_late, default=0.0) * 1000, 3),
                "stats_sent": self.stats_sent,
                "bytes_sent": self.bytes_sent,
                "dropped": self.dropped,
            }
        )


class Simulator:
    """``count`` workers of ``wire``'s implementation against the master at 127.0.0.1:``port``."""

    def __init__(
        self, wire: Wire, port: int, count: int, api: bool, seed: int, per_host: int = 1
    ) -> None:
        self.wire = wire
        self.rng = random.Random(seed)
        self.source = ReportSource(wire.name, seed)
        self.body: bytes | None = None
        self.context = zmq.Context()
        self.context.set(zmq.MAX_SOCKETS, count + 64)
        self.poller = epoll()
        self.per_host = per_host
        # sockets (hosts) by index: what goes over one connection
        self.sockets: list[zmq.Socket] = []
        self.fd_index: dict[int, int] = {}
        self.socket_ids: list[bytes] = []  # packed id a host's reports carry
        self.seqs: list[int] = []
        # workers by index: node ids, heartbeats, replies awaited
        self.node_ids: list[str] = []
        self.worker_index: dict[str, int] = {}
        self.facts: list[tuple[int, float, int]] = []
        # heartbeat frames and replies awaited: per worker, or per host behind a relay
        self.heartbeats: list[bytes] = []
        units = count if per_host == 1 else -(-count // per_host)
        self.pending: list[deque[float]] = [deque() for _ in range(units)]
        self.registered = [False] * count
        self.registered_count = 0
        self.api = api
        self.api_seq = 0
        self.api_pending: dict[int, float] = {}
        self.timers: list[tuple[float, int, int]] = []
        self.window = Window()
        self.done = False
        self._stdin = b""
        host = socket.gethostname()
        for first in range(0, count, per_host):
            workers = [f"{host}_{uuid.uuid4().hex}" for _ in range(min(per_host, count - first))]
            identity = workers[0] if per_host == 1 else f"{host}_{uuid.uuid4().hex}_relay"
            self._connect(identity, port)
            for node_id in workers:
                self._add_worker(node_id)
            if per_host > 1:
                facts = dict(zip(workers, self.facts[first:], strict=False))
                self.heartbeats.append(wire.heartbeats(identity, facts))
        now = time.monotonic()
        heapq.heappush(self.timers, (now, _SAMPLE, 0))
        heapq.heappush(self.timers, (now + 1.0, _ROTATE, 0))

    def _connect(self, identity: str, port: int) -> None:
        sock = self.context.socket(zmq.DEALER)
        sock.setsockopt(zmq.LINGER, 0)
        sock.setsockopt(zmq.IDENTITY, identity.encode())
        sock.connect(f"tcp://127.0.0.1:{port}")
        self.fd_index[int(sock.get(zmq.FD))] = len(self.sockets)
        self.poller.register(int(sock.get(zmq.FD)), EPOLLIN)
        self.sockets.append(sock)
        self.socket_ids.append(packed(identity))
        self.seqs.append(0)

    def _add_worker(self, node_id: str) -> None:
        index = len(self.node_ids)
        self.node_ids.append(node_id)
        self.worker_index[node_id] = index
        cpu = round(self.rng.uniform(5.0, 40.0), 1)
        memory = self.rng.randrange(60_000_000, 120_000_000)
        self.facts.append((USERS_PER_WORKER, cpu, memory))
        if self.per_host == 1:
            self.heartbeats.append(self.wire.heartbeat(node_id, USERS_PER_WORKER, cpu, memory))
        self._send(self._socket_of(index), self.wire.ready(node_id))

    def _socket_of(self, worker: int) -> int:
        return worker // self.per_host

    # -- sending -----------------------------------------------------------------------------

    def _send(self, index: int, frame: bytes) -> None:
        try:
            self.sockets[index].send(frame, zmq.NOBLOCK)
        except zmq.Again:
            self.window.dropped += 1
            return
        if self.window.open:
            self.window.bytes_sent += len(frame)
        self._drain(index)

    def _fire(self, now: float, kind: int, index: int) -> float:
        """Do one timed action; returns the interval to the next one of its kind."""
        window = self.window
        if kind == _HEARTBEAT:  # index: a worker, or a host behind a relay (its socket)
            queue = self.pending[index]
            if len(queue) >= _MAX_PENDING:
                queue.popleft()
                window.hb_lost += 1
            queue.append(now)
            window.hb_sent += window.open
            self._send(index, self.heartbeats[index])
            return HEARTBEAT_INTERVAL
        if kind == _STATS:  # index: a socket (one worker's, or a host's relay)
            if self.body is not None:
                self.seqs[index] += 1
                window.stats_sent += window.open
                frame = self.wire.stats(self.body, self.socket_ids[index], self.seqs[index])
                self._send(index, frame)
            return REPORT_INTERVAL
        if kind == _API:
            self.api_seq += 1
            self.api_pending[self.api_seq] = now
            window.api_sent += window.open
            request = self.wire.custom(STATS_REQUEST, {"n": self.api_seq}, self.node_ids[index])
            self._send(self._socket_of(index), request)
            return API_INTERVAL
        if kind == _SAMPLE:
            self.source.record()
            return _SAMPLE_INTERVAL
        self.body = self.wire.stats_body(self.source.rotate(), USERS_PER_WORKER)
        return 1.0

    def _fire_due(self) -> None:
        timers = self.timers
        now = time.monotonic()
        for _ in range(_MAX_EVENTS_PER_TURN):
            if not timers or timers[0][0] > now:
                return
            due, kind, index = heapq.heappop(timers)
            interval = self._fire(now, kind, index)
            # a late event keeps its rhythm, but a process that fell behind does not burst
            heapq.heappush(timers, (max(due + interval, now), kind, index))

    # -- receiving ---------------------------------------------------------------------------

    def _drain(self, index: int) -> None:
        sock = self.sockets[index]
        while int(sock.get(zmq.EVENTS)) & zmq.POLLIN:
            try:
                raw = sock.recv(zmq.NOBLOCK)
            except zmq.Again:
                return
            self._on_message(index, raw)

    def _on_message(self, sock: int, raw: bytes) -> None:
        kind, data, node_id = self.wire.decode(raw)
        # one worker per socket: it is the one; behind a relay, the envelope names it
        index = sock if self.per_host == 1 else self.worker_index.get(node_id, -1)
        now = time.monotonic()
        if kind == "heartbeat":  # behind a relay, the host's one reply
            queue = self.pending[sock]
            if queue:
                sent = queue.popleft()
                if self.window.open:
                    self.window.hb_delays.append(now - sent)
        elif index < 0:
            return
        elif kind == "ack":
            if not self.registered[index] and (data or {}).get("of", "ready") == "ready":
                self._registered(index, now)
        elif kind == STATS_REPLY:
            sent = self.api_pending.pop(int(data["n"]), -1.0)
            if sent >= 0 and self.window.open:
                self.window.api_rtts.append(now - sent)
        else:
            for frame in self.wire.answers(kind, data, self.node_ids[index], USERS_PER_WORKER):
                self._send(sock, frame)

    def _registered(self, index: int, now: float) -> None:
        self.registered[index] = True
        self.registered_count += 1
        # staggered phases: the master sees a steady stream, not a burst each second
        if self.per_host == 1:
            heapq.heappush(self.timers, (now + self.rng.random(), _HEARTBEAT, index))
        if index % self.per_host == 0:  # the socket's first worker starts its reports
            sock = self._socket_of(index)
            phase = now + self.rng.random() * REPORT_INTERVAL
            heapq.heappush(self.timers, (phase, _STATS, sock))
            if self.per_host > 1:
                heapq.heappush(self.timers, (now + self.rng.random(), _HEARTBEAT, sock))
        if self.api and index == 0:
            heapq.heappush(self.timers, (now + self.rng.random(), _API, index))
        if self.registered_count == len(self.node_ids):
            print(f"REGISTERED {self.registered_count}", flush=True)

    # -- the driver --------------------------------------------------------------------------

    def _on_stdin(self) -> None:
        chunk = os.read(sys.stdin.fileno(), 4096)
        if not chunk:
            self.done = True
            return
        self._stdin += chunk
        while b"\n" in self._stdin:
            line, self._stdin = self._stdin.split(b"\n", 1)
            self._command(line.decode().strip())

    def _command(self, command: str) -> None:
        if command == "start":
            self.window = Window()
            self.window.open = True
        elif command == "stop":
            self.window.open = False
            print(self.window.summary(self.pending, self.api_pending), flush=True)
        elif command == "status":
            print(f"STATUS {self.registered_count}", flush=True)
        elif command == "quit":
            self.done = True

    def run(self, max_seconds: float) -> None:
        """Serve until ``quit``, EOF on stdin, or ``max_seconds``."""
        stdin = sys.stdin.fileno()
        self.poller.register(stdin, EPOLLIN)
        deadline = time.monotonic() + max_seconds
        while not self.done and time.monotonic() < deadline:
            self._fire_due()
            timeout = self.timers[0][0] - time.monotonic() if self.timers else 0.1
            for fd, _events in self.poller.poll(min(max(timeout, 0.0), 0.1)):
                if fd == stdin:
                    self._on_stdin()
                else:
                    self._drain(self.fd_index[fd])

    def close(self) -> None:
        for sock in self.sockets:
            sock.close(linger=0)
        self.context.term()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--impl", choices=("swarm", "locust"), required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--api", action="store_true", help="socket 0 times the stats API")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--per-host", type=int, default=1, help="workers per relay (swarm)")
    parser.add_argument("--max-seconds", type=float, default=3600.0)
    args = parser.parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    # two files per socket (its TCP connection and its mailbox)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    simulator = Simulator(
        _wire(args.impl), args.port, args.count, args.api, args.seed, args.per_host
    )
    try:
        simulator.run(args.max_seconds)
    finally:
        simulator.close()


if __name__ == "__main__":
    main()
