"""The runner of a worker: it runs the users a master asks for and reports back.

The master paces ramps; a ``spawn`` message carries the exact users per class this worker
should run, and the worker gets there at once. Every ``stats_interval`` seconds it sends a
statistics delta (``RequestStats.take_report``); the last one, sent when the users stop, is
acknowledged by the master and sent again until it is (a few times), so it is not lost.

A worker that stops hearing the master keeps its users and keeps knocking: it sends ``ready``
again every heartbeat until a master (the same one, or a restarted one) acknowledges it.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import traceback
import uuid
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import gevent
from gevent.event import Event

from swarm.__version__ import __version__
from swarm.exceptions import ProtocolError, RPCError
from swarm.rpc import messages as m
from swarm.rpc.messages import Message
from swarm.runners.acks import FinalReportAck
from swarm.runners.arrival import ArrivalExecutor
from swarm.runners.base import (
    STATE_INIT,
    STATE_RUNNING,
    STATE_SPAWNING,
    STATE_STOPPED,
    STATE_STOPPING,
    Runner,
)
from swarm.runners.iterations import IterationBudget
from swarm.runners.master_parts import ArrivalPart
from swarm.runners.nodes import HEARTBEAT_LIVENESS

if TYPE_CHECKING:
    from swarm.env import Environment
    from swarm.rpc.transport import ClientTransport

logger = logging.getLogger(__name__)

#: Seconds between two heartbeats, and between two statistics reports (Locust's defaults).
HEARTBEAT_INTERVAL = 1.0
STATS_INTERVAL = 3.0
#: Seconds a leaving worker lets its last messages (its goodbye) reach the master.
QUIT_LINGER = 2.0
#: How long a new worker waits for a master to answer before giving up (Locust: 60 s).
CONNECT_TIMEOUT = 60.0


class LogBuffer(logging.Handler):
    """Keeps the last ``capacity`` WARNING-or-worse lines until they are taken."""

    def __init__(self, capacity: int = 100) -> None:
        super().__init__(logging.WARNING)
        self.setFormatter(logging.Formatter("%(levelname)s/%(name)s: %(message)s"))
        self._lines: deque[str] = deque(maxlen=capacity)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._lines.append(self.format(record))
        except Exception:  # a broken record must not break the worker's logging
            self.handleError(record)

    def take(self) -> list[str]:
        lines = list(self._lines)
        self._lines.clear()
        return lines


def new_node_id() -> str:
    """``host_uuid`` as in Locust: dispatch spreads users over hosts by the part before ``_``."""
    return f"{socket.gethostname()}_{uuid.uuid4().hex}"


class WorkerRunner(Runner):
    """Runs users for a master over a ``ClientTransport`` (ZeroMQ unless one is injected)."""

    #: Read CPU and memory as often as heartbeats carry them.
    usage_interval = HEARTBEAT_INTERVAL

    def __init__(
        self,
        environment: Environment,
        master_host: str = "127.0.0.1",
        master_port: int = 5557,
        *,
        transport: ClientTransport | None = None,
        secret: str | None = None,
        clock: Callable[[], float] = time.time,
        heartbeat_interval: float = HEARTBEAT_INTERVAL,
        stats_interval: float = STATS_INTERVAL,
        connect_timeout: float | None = CONNECT_TIMEOUT,
    ) -> None:
        super().__init__(environment)
        self.master_host = master_host
        self.master_port = master_port
        self.clock = clock
        self.heartbeat_interval = heartbeat_interval
        self.stats_interval = stats_interval
        self.connect_timeout = connect_timeout
        if transport is None:
            # ZeroMQ only for real nodes: tests and embedders inject a transport
            from swarm.rpc.zmq import ZmqClient  # noqa: PLC0415

            transport = ZmqClient(master_host, master_port, new_node_id(), secret=secret)
        self.client: ClientTransport = transport
        self.client_id = transport.node_id
        self.usage_name = self.client_id
        #: This worker's number, given by the master (0, 1, 2, ... in order of connection).
        self.worker_index = -1
        self.connected = Event()
        self.last_master_heartbeat = clock()
        self.master_lost = False
        self._dispatched: dict[str, int] = {}
        #: Class names the master asked for that this worker lacks, logged in this test.
        self._unknown_reported: set[str] = set()
        self._report_seq = 0
        #: This worker's part of ``-i`` in the test (closed model), or None.
        self._budget: IterationBudget | None = None
        #: Whether its part of the test is over (its -i part spent, its schedule ended).
        self._done = False
        #: Warnings and errors logged here, shipped to the master with each report.
        self.log_buffer = LogBuffer()
        logging.getLogger().addHandler(self.log_buffer)
        self._final_ack = FinalReportAck()
        self._handlers: dict[str, Callable[[Any], None]] = {
            m.ACK: self._on_ack,
            m.SPAWN: self._on_spawn,
            m.STOP: self._on_stop,
            m.QUIT: self._on_quit,
            m.HEARTBEAT: self._on_heartbeat,
            m.RECONNECT: self._on_reconnect,
            m.CUSTOM: self._on_custom,
        }
        self.spawn_in_background(self._receive_forever)
        self.spawn_in_background(self._heartbeat_forever)
        self.spawn_in_background(self._report_forever)
        self._send(m.READY, self._facts())

    def _facts(self) -> dict[str, Any]:
        return {
            "version": __version__,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "user_classes": [cls.__name__ for cls in self.user_classes],
        }

    def wait_for_master(self) -> None:
        """Block until the master acknowledged this worker; ``RPCError`` after the timeout."""
        if not self.connected.wait(timeout=self.connect_timeout):
            if getattr(self.client, "refused", False):
                raise RPCError(
                    f"the master at {self.master_host}:{self.master_port} refused this worker: "
                    "wrong or missing --master-secret (it must be the same on both sides)"
                )
            raise RPCError(
                f"no answer from a master at {self.master_host}:{self.master_port} in "
                f"{self.connect_timeout:g}s: is it running (swarm --master), reachable from "
                "here, and using the same --master-secret?"
            )

    # -- custom messages (Locust's API) ------------------------------------------------------

    def send_message(self, msg_type: str, data: Any = None, client_id: str | None = None) -> None:
        """Send a custom message to the master (``client_id`` is accepted, as in Locust)."""
        self._send(m.CUSTOM, {"type": msg_type, "data": data})

    # -- the test, as the master drives it ---------------------------------------------------

    def start(self, user_count: int, spawn_rate: float, wait: bool = False) -> None:
        raise RPCError("a worker's users are started by its master, not by start()")

    def _on_spawn(self, data: dict[str, Any]) -> None:
        # Checked before anything changes: a malformed part is refused whole (ValueError).
        part = ArrivalPart.read(data["arrival"]) if data.get("arrival") is not None else None
        if self.state == STATE_STOPPING:
            logger.warning("A spawn came while this worker was stopping: ignored")
            return
        if self.state in (STATE_INIT, STATE_STOPPED):
            self._begin_test()
        self._take_options(data)
        if "iterations" in data and self._budget is None:
            self._take_budget(int(data["iterations"]))
        if part is not None:
            self._on_arrival(int(data.get("seq", 0)), part, bool(data.get("reset_stats")))
            return
        self.state = STATE_SPAWNING
        self._send(m.SPAWNING, {"seq": data.get("seq", 0)})
        unknown = self._apply({str(k): int(v) for k, v in data["user_classes_count"].items()})
        if data.get("reset_stats"):
            self.stats.reset_all()
        self.state = STATE_RUNNING
        complete = self._spawned(int(data.get("seq", 0)))
        if unknown:
            complete["unknown_user_classes"] = unknown
        self._send(m.SPAWNING_COMPLETE, complete)

    def _begin_test(self) -> None:
        self.stats.clear_all()
        self.usage.reset()
        self.cpu_warning_emitted = False
        self._dispatched = {}
        self._unknown_reported = set()
        self.arrival_plan, self.arrival, self._budget, self._done = None, None, None, False
        self.environment.events.test_start.fire(environment=self.environment)

    # -- limits and the open model: this worker's part of -i and of an arrival rate ----------

    def _take_budget(self, quota: int) -> None:
        """This worker's part of ``-i``: its users stop when it is spent, and it says so."""
        self._budget = IterationBudget(quota, self.stats, self._report_done)
        if quota == 0:
            self._report_done()

    def _on_arrival(self, seq: int, part: ArrivalPart, reset: bool) -> None:
        """This worker's share of an arrival-rate test: start it, or change it (a resplit)."""
        if self.arrival is not None and self.state in (STATE_SPAWNING, STATE_RUNNING):
            self.arrival.resplit(part.share, part.phase, part.max_users)
            self._send(m.SPAWNING_COMPLETE, self._spawned(seq))
            return
        self.arrival_plan = part.plan
        executor = ArrivalExecutor(
            self,
            part.plan,
            part.share,
            part.phase,
            part.max_users,
            part.elapsed,
            initial_users=part.initial_users,
        )
        self._record_arrival(executor)
        self.state = STATE_SPAWNING
        self._send(m.SPAWNING, {"seq": seq})
        self.spawning_greenlet = self.spawn_in_background(self._run_arrival, executor, seq, reset)

    def _run_arrival(self, executor: ArrivalExecutor, seq: int, reset: bool) -> None:
        executor.prepare()
        if reset:
            self.stats.reset_all()  # what the users' on_start did (--reset-stats)
        self.state = STATE_RUNNING
        self._send(m.SPAWNING_COMPLETE, self._spawned(seq))
        executor.run()
        self._report_done()

    def _spawned(self, seq: int) -> dict[str, Any]:
        return {
            "seq": seq,
            "user_count": self.user_count,
            "user_classes_count": self.user_classes_count,
        }

    def _report_done(self) -> None:
        """Its part of the run is over (-i spent, or the schedule ended): tell the master now,
        with the statistics that go with it, rather than at the next report."""
        self._done = True
        self.spawn_in_background(self.send_report)

    def _take_options(self, data: dict[str, Any]) -> None:
        """The master's host and stop timeout, from a ``spawn``."""
        host = data.get("host")
        if host:
            self.environment.host = host
            # The host points every listed class at the target; a load shape may ask for any
            # class of the userfile by name, so those are pointed at it as well.
            for cls in self.user_classes_by_name.values():
                cls.host = host
        self.environment.stop_timeout = data.get("stop_timeout")

    def _apply(self, wanted: dict[str, int]) -> list[str]:
        """Run ``wanted`` users per class name; returns the names this worker has no class for
        (their users are not run)."""
        known = self.user_classes_by_name
        unknown = sorted(name for name in wanted if name not in known)
        if unknown:
            self._report_unknown(unknown)
            wanted = {n: c for n, c in wanted.items() if n in known}
        before = self._dispatched
        grow = {n: c - before.get(n, 0) for n, c in wanted.items() if c > before.get(n, 0)}
        shrink = {n: c - wanted.get(n, 0) for n, c in before.items() if c > wanted.get(n, 0)}
        self._dispatched = dict(wanted)
        if shrink:
            alive = self.user_classes_count
            self.stop_users({n: min(c, alive.get(n, 0)) for n, c in shrink.items()})
        if grow:
            self.spawn_users(grow, prepare=self._budget.enlist if self._budget else None)
        return unknown

    def _report_unknown(self, names: list[str]) -> None:
        """Log, once a test per name, the classes the master asked for that are not here."""
        new = [name for name in names if name not in self._unknown_reported]
        if not new:
            return
        self._unknown_reported.update(new)
        logger.error(
            "Worker %s has no user class %s, which the master asked for: it runs none of "
            "those users (do master and workers run the same userfile?)",
            self.client_id,
            ", ".join(map(repr, new)),
        )

    def _on_stop(self, data: Any) -> None:
        self.spawn_in_background(self.stop)

    def stop(self) -> None:
        """Stop every user, send the final report (acknowledged) and ``stopped``."""
        if self.state in (STATE_INIT, STATE_STOPPED, STATE_STOPPING):
            self._send(m.STOPPED, None)
            return
        self.environment.events.test_stopping.fire(environment=self.environment)
        self.state = STATE_STOPPING
        if self.spawning_greenlet is not None:  # an arrival-rate run's schedule
            self.spawning_greenlet.kill(block=True)
            self.spawning_greenlet = None
        self.stop_all_users()
        self._end_arrival()
        self._dispatched = {}
        self.send_final_report()
        self.state = STATE_STOPPED
        self._send(m.STOPPED, None)
        self.environment.events.test_stop.fire(environment=self.environment)

    def _on_quit(self, data: Any) -> None:
        logger.info("The master ended the run: quitting")
        self.spawn_in_background(self.quit)

    def quit(self) -> None:
        """Leave (Ctrl-C, SIGTERM, or the master said so): stop, report, say goodbye, end."""
        self._quit_once(self._end)

    def _end(self) -> None:
        self.stop()
        self._send(m.QUIT, None)
        self._kill_other_greenlets()
        logging.getLogger().removeHandler(self.log_buffer)
        self.client.close(linger=QUIT_LINGER)

    # -- reports -----------------------------------------------------------------------------

    def _report_forever(self) -> None:
        while True:
            gevent.sleep(self.stats_interval)
            if self.connected.is_set():
                self.send_report()

    def send_report(self, final: bool = False) -> int:
        """Send what the statistics gathered since the last report; returns its ``seq``."""
        data = self._take_report(final)
        self._send(m.STATS, data)
        return int(data["seq"])

    def send_final_report(self) -> bool:
        """Send the last report and wait for the master to confirm it (resent if need be)."""
        data = self._take_report(final=True)
        if self._final_ack.send(lambda: self._send(m.STATS, data), data["seq"]):
            return True
        logger.warning(
            "The master did not confirm this worker's final statistics: they may be lost"
        )
        return False

    def _take_report(self, final: bool) -> dict[str, Any]:
        """The statistics since the last report, with what the master reads beside them."""
        self._send_logs()
        data = self.stats.take_report()
        self._report_seq += 1
        data["seq"] = self._report_seq
        data["final"] = final
        # the final report goes out once every user has stopped
        data["user_count"] = 0 if final else self.user_count
        data["user_classes_count"] = {} if final else self.user_classes_count
        if self._done:
            data["done"] = True
        self.environment.events.report_to_master.fire(client_id=self.client_id, data=data)
        return data

    def _send_logs(self) -> None:
        lines = self.log_buffer.take()
        if lines:
            self._send(m.LOGS, {"logs": lines})

    def _on_user_error(self, user_instance: Any, exception: BaseException, tb: Any) -> None:
        # The master counts user exceptions: a worker only passes them on.
        self._send(
            m.EXCEPTION,
            {"msg": repr(exception), "traceback": "".join(traceback.format_tb(tb))},
        )

    # -- heartbeats and the link -------------------------------------------------------------

    def _heartbeat_forever(self) -> None:
        while True:
            gevent.sleep(self.heartbeat_interval)
            self.heartbeat(self.clock())

    def heartbeat(self, now: float) -> None:
        """Send one heartbeat; when the master has been silent too long, register again."""
        if now - self.last_master_heartbeat > HEARTBEAT_LIVENESS * self.heartbeat_interval:
            if not self.master_lost and self.connected.is_set():
                logger.warning(
                    "No answer from the master at %s:%s for %gs: retrying until it is back",
                    self.master_host,
                    self.master_port,
                    now - self.last_master_heartbeat,
                )
            self.master_lost = True
            self._send(m.READY, self._facts())
        self._send(
            m.HEARTBEAT,
            {
                "state": self.state,
                "current_cpu_usage": self.current_cpu_usage,
                "current_memory_usage": self.current_memory_usage,
                "user_count": self.user_count,
                # swarm's own (older masters ignore them): how saturated this process is
                "current_loop_lag": self.current_loop_lag,
                "saturation": self.saturation_monitor.totals(self.usage_name),
            },
        )
        self.environment.events.heartbeat_sent.fire(client_id=self.client_id, timestamp=now)

    def _on_heartbeat(self, data: Any) -> None:
        now = self.clock()
        self.last_master_heartbeat = now
        self.environment.events.heartbeat_received.fire(client_id=self.client_id, timestamp=now)

    def _on_reconnect(self, data: Any) -> None:
        logger.info("The master does not know this worker (it restarted?): registering again")
        self._send(m.READY, self._facts())

    def _on_ack(self, data: dict[str, Any]) -> None:
        if data.get("of") == m.STATS:
            self._final_ack.acknowledged(int(data["seq"]))
            return
        self.worker_index = int(data["index"])
        self.last_master_heartbeat = self.clock()
        if self.master_lost:
            logger.info("The master is back: registered again as worker %d", self.worker_index)
            self.master_lost = False
            if data.get("state") not in (STATE_SPAWNING, STATE_RUNNING):
                self.spawn_in_background(self.stop)  # a new master: no test is running
        else:
            logger.info("Connected to the master as worker %d", self.worker_index)
        self.connected.set()

    def _on_custom(self, data: dict[str, Any]) -> None:
        self._on_custom_message(str(data["type"]), data.get("data"), "master")

    def _receive_forever(self) -> None:
        while True:
            try:
                message = self.client.recv()
            except ProtocolError as error:
                logger.warning("Protocol error from the master: %s (message ignored)", error)
                continue
            handler = self._handlers.get(message.type)
            if handler is None:
                logger.warning("Unexpected %r message from the master: ignored", message.type)
                continue
            try:
                handler(message.data)
            except m.MALFORMED as error:
                logger.warning(
                    "Malformed %r message from the master (%s): ignored", message.type, error
                )

    def _send(self, kind: str, data: Any) -> None:
        self.client.send(Message(kind, data, self.client_id))
