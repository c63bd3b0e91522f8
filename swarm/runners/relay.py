"""A host's relay: the worker processes of one machine reach the master through one link.

``swarm --worker --processes N`` forks N workers that connect to their parent, not to the
master. The parent passes every message through unchanged (the master still sees and
dispatches to each worker process, by its node id), except the statistics and heartbeats: it
merges its workers' reports and sends one report per interval for the whole host, and passes
their heartbeats on in one message a second. A master with ten
thousand worker processes on a thousand hosts merges a thousand reports per interval, not ten
thousand, and holds a thousand connections.

Nothing is lost on the way. A worker's final report is acknowledged by the relay once merged;
the relay's own final report is sent when a worker stops, acknowledged by the master, and
only then is the worker's ``stopped`` (or ``quit``) passed on, so the master never closes a
test before it has every number.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import gevent
from gevent.event import Event
from gevent.lock import Semaphore
from gevent.pool import Group

from swarm.exceptions import ProtocolError, RPCReceiveError
from swarm.rpc import messages as m
from swarm.rpc.messages import Message
from swarm.rpc.transport import ClientTransport, ServerTransport
from swarm.runners.acks import FINAL_REPORT_TIMEOUT, FINAL_REPORT_TRIES, FinalReportAck
from swarm.stats import RequestStats

logger = logging.getLogger(__name__)


#: Seconds between two of the host's heartbeat messages, as a worker's.
HEARTBEAT_INTERVAL = 1.0
#: Without an answer from the master for this long, the relay stops answering its workers'
#: heartbeats, so they notice the master is gone (three heartbeats, as a worker on its own).
MASTER_LIVENESS = 3.0

#: Messages held back until the relay's statistics up to them are acknowledged.
_HELD = frozenset({m.STOPPED, m.QUIT})


class Relay:
    """Between a master (``upstream``) and this host's worker processes (``downstream``)."""

    def __init__(
        self,
        upstream: ClientTransport,
        downstream: ServerTransport,
        *,
        stats_interval: float = 3.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.upstream = upstream
        self.downstream = downstream
        self.node_id = upstream.node_id
        self.stats_interval = stats_interval
        #: What the workers reported since the relay's last report.
        self.stats = RequestStats(clock=clock)
        self.workers: set[str] = set()
        self._last_seq: dict[str, int] = {}
        #: Workers whose part of the test is over (they said ``done``), for the master.
        self._done: set[str] = set()
        self._seq = 0
        self._final_ack = FinalReportAck()
        self._flush_lock = Semaphore()
        self.greenlet = Group()
        self._flushes = Group()  # held messages on their way: close() waits for them
        #: Set when every worker that spoke through the relay has said goodbye.
        self.all_left = Event()
        self.clock = clock
        #: When the master last answered the relay's heartbeats (it counts as seen at start).
        self.master_seen = clock()
        self._beats: dict[str, Any] = {}
        loops = (self._from_workers, self._from_master, self._heartbeats_forever)
        for loop in (*loops, self._report_forever):
            self.greenlet.spawn(loop)

    # -- worker -> master --------------------------------------------------------------------

    def _from_workers(self) -> None:
        while True:
            try:
                route, message = self.downstream.recv()
            except ProtocolError as error:
                logger.warning("Protocol error from worker %s: %s", error.node_id or "?", error)
                continue
            except RPCReceiveError:
                return
            self.workers.add(message.node_id)
            if message.type == m.HEARTBEAT:
                self._beat(route, message)
            elif message.type == m.STATS:
                self._merge(route, message)
            elif message.type in _HELD:
                self._flushes.spawn(self._flush_then_pass, message)
            else:
                self.upstream.send(message)

    def _beat(self, route: str, message: Message) -> None:
        # Kept for the host's one heartbeat message; answered here while the master answers
        # the relay, so a worker notices a lost master exactly as it would on its own.
        self._beats[message.node_id] = message.data
        if self.clock() - self.master_seen <= MASTER_LIVENESS:
            self.downstream.send_to(route, Message(m.HEARTBEAT, None, message.node_id))

    def _merge(self, route: str, message: Message) -> None:
        data = message.data
        seq = int(data.get("seq", -1))
        if seq > self._last_seq.get(message.node_id, -1):
            self.stats.merge_report(data)
            self._last_seq[message.node_id] = seq
        if data.get("done") and message.node_id not in self._done:
            # the master ends a test when every worker's part is over: tell it now, by name
            self._done.add(message.node_id)
            self.send_report()
        if data.get("final"):
            # merged here: from now on getting it to the master is the relay's job
            ack = Message(m.ACK, {"of": m.STATS, "seq": seq}, message.node_id)
            self.downstream.send_to(route, ack)

    def _flush_then_pass(self, message: Message) -> None:
        with self._flush_lock:
            self.send_final_report()
            self.upstream.send(message)
        if message.type == m.QUIT:
            self.workers.discard(message.node_id)
            if not self.workers:
                self.all_left.set()

    # -- master -> worker --------------------------------------------------------------------

    def _from_master(self) -> None:
        while True:
            try:
                message = self.upstream.recv()
            except ProtocolError as error:
                logger.warning("Protocol error from the master: %s", error)
                continue
            except RPCReceiveError:
                return
            if message.node_id == self.node_id:
                self._on_own(message)
            else:
                if message.type == m.STOP:
                    self._done.discard(message.node_id)  # its next test starts afresh
                self.downstream.send_to(message.node_id, message)

    def _on_own(self, message: Message) -> None:
        data = message.data or {}
        if message.type == m.HEARTBEAT:
            self.master_seen = self.clock()
        elif message.type == m.ACK and data.get("of") == m.STATS:
            self._final_ack.acknowledged(int(data["seq"]))

    # -- the host's report -------------------------------------------------------------------

    def _heartbeats_forever(self) -> None:
        while True:
            gevent.sleep(HEARTBEAT_INTERVAL)
            self.send_heartbeats()

    def send_heartbeats(self) -> None:
        """Pass the workers' latest heartbeats to the master in one message."""
        if self._beats:
            beats, self._beats = self._beats, {}
            self.upstream.send(Message(m.HEARTBEATS, {"workers": beats}, self.node_id))

    def _report_forever(self) -> None:
        while True:
            gevent.sleep(self.stats_interval)
            self.send_report()

    def send_report(self, final: bool = False) -> int:
        """Send what the workers reported since the last report; returns its ``seq``."""
        data = self._take_report(final)
        self.upstream.send(Message(m.STATS, data, self.node_id))
        return int(data["seq"])

    def send_final_report(self) -> bool:
        """Send a report the master must acknowledge (resent, with its ``seq``, until it is)."""
        data = self._take_report(final=True)
        counts = data.get("iterations") or data.get("dropped_iterations")
        if not data["entries"] and not data["errors"] and not counts:
            return True  # nothing since the last one: nothing to lose
        message = Message(m.STATS, data, self.node_id)
        if self._final_ack.send(lambda: self.upstream.send(message), data["seq"]):
            return True
        logger.warning("The master did not confirm this host's final statistics")
        return False

    def _take_report(self, final: bool) -> dict[str, Any]:
        data: dict[str, Any] = self.stats.take_report()
        self._seq += 1
        data.update(seq=self._seq, final=final, relay=True)
        if self._done:
            data["done_workers"] = sorted(self._done)
        return data

    def close(self, linger: float = 2.0) -> None:
        """Stop relaying once held messages are through; the links close."""
        self._flushes.join(timeout=FINAL_REPORT_TIMEOUT * FINAL_REPORT_TRIES + 1)
        self.greenlet.kill(block=True)
        self._flushes.kill(block=True)
        self.downstream.close()
        self.upstream.close(linger=linger)
