"""The runner of a master: it runs no users, it tells workers how many to run and adds up
what they report.

A test on a master is the local runner's test spread over workers: the same pure dispatch
(``UsersDispatcher``) paces the ramp, and each step sends every worker whose share changed a
``spawn`` message with its exact users per class. Workers send statistics deltas that the
master merges into ``environment.stats``, so every report reads the master's statistics as if
one huge process had made every request.

Messages are handled through a table (``_handlers``) of small methods, one per message type.
A worker silent for ``HEARTBEAT_LIVENESS`` seconds is marked missing and its users are moved
to the others at once; a worker that joins during a test gets its share the same way.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gevent
from gevent.event import Event

from swarm.__version__ import __version__
from swarm.exceptions import ProtocolError
from swarm.rpc import messages as m
from swarm.rpc.messages import Message
from swarm.runners.base import (
    STATE_INIT,
    STATE_MISSING,
    STATE_RUNNING,
    STATE_SPAWNING,
    STATE_STOPPED,
    STATE_STOPPING,
    Runner,
)
from swarm.runners.dispatch import UsersDispatcher, specs_from_classes
from swarm.runners.master_parts import WorkerParts
from swarm.runners.nodes import HEARTBEAT_LIVENESS, WorkerNode, WorkerNodes

if TYPE_CHECKING:
    from swarm.env import Environment
    from swarm.rpc.transport import ServerTransport
    from swarm.runners.schedule import ArrivalPlan
    from swarm.user import User

logger = logging.getLogger(__name__)

#: Seconds between two checks for silent workers.
HEARTBEAT_CHECK_INTERVAL = 1.0
#: How long stop() waits for the workers' final reports beyond the users' stop timeout.
STOP_GRACE = 10.0
#: Seconds the master lets its goodbyes (``quit``) reach the workers when it ends.
QUIT_LINGER = 1.0
#: Log lines kept per worker for the UI.
WORKER_LOG_LINES = 200


@dataclass(frozen=True)
class LostWorker:
    """A worker that went missing during the run, for the summary."""

    id: str
    host: str
    time: float
    user_count: int


class MasterRunner(Runner):
    """Coordinates workers over a ``ServerTransport`` (ZeroMQ unless one is injected)."""

    #: Watched for saturation like the workers, but its lag delays messages, not latencies.
    usage_name = "master"
    generates_load = False
    takes_shape_user_classes = True

    def __init__(
        self,
        environment: Environment,
        master_bind_host: str = "*",
        master_bind_port: int = 5557,
        *,
        transport: ServerTransport | None = None,
        secret: str | None = None,
        clock: Callable[[], float] = time.time,
        heartbeat_liveness: float = HEARTBEAT_LIVENESS,
    ) -> None:
        super().__init__(environment)
        self.master_bind_host = master_bind_host
        self.master_bind_port = master_bind_port
        self.clock = clock
        if transport is None:
            # ZeroMQ only for real nodes: tests and embedders inject a transport
            from swarm.rpc.zmq import ZmqServer  # noqa: PLC0415

            transport = ZmqServer(master_bind_host, master_bind_port, secret=secret)
            self.master_bind_port = getattr(transport, "port", master_bind_port)
        self.server: ServerTransport = transport
        self.clients = WorkerNodes(heartbeat_liveness)
        self.lost_workers: list[LostWorker] = []
        self.worker_logs: dict[str, deque[str]] = {}
        self.worker_cpu_warning_emitted = False
        self.protocol_errors = 0
        #: The connection each node's messages last came by (a relay carries several nodes).
        self._routes: dict[str, str] = {}
        #: The last statistics report merged from each sender (worker or relay), by ``seq``.
        self._stats_seq: dict[str, int] = {}
        self._dispatcher: UsersDispatcher | None = None
        self._sent: dict[str, dict[str, int]] = {}  # the counts each worker was last sent
        #: Per worker, the class names it said it lacks (logged once a test).
        self._unknown_classes: dict[str, set[str]] = {}
        self._spawn_seq = 0
        #: Each worker's part of -i and of an arrival rate (swarm.runners.master_parts).
        self.parts = WorkerParts(self)
        self._all_spawned = Event()
        self._all_stopped = Event()
        self._handlers: dict[str, Callable[[str, Any], None]] = {
            m.READY: self._on_ready,
            m.HEARTBEAT: self._on_heartbeat,
            m.HEARTBEATS: self._on_heartbeats,
            m.STATS: self._on_stats,
            m.SPAWNING: self._on_spawning,
            m.SPAWNING_COMPLETE: self._on_spawning_complete,
            m.STOPPED: self._on_stopped,
            m.QUIT: self._on_quit,
            m.EXCEPTION: self._on_exception,
            m.LOGS: self._on_logs,
            m.USERFILE: self._on_userfile,
            m.CUSTOM: self._on_custom,
        }
        self.spawn_in_background(self._receive_forever)
        self.spawn_in_background(self._check_heartbeats_forever)

    # -- what reports and the UI read --------------------------------------------------------

    @property
    def user_count(self) -> int:
        return sum(node.user_count for node in self.clients.active)

    @property
    def user_classes_count(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for node in self.clients.active:
            for name, n in node.user_classes_count.items():
                counts[name] = counts.get(name, 0) + n
        return counts

    @property
    def worker_count(self) -> int:
        """Workers able to run users (connected, not missing)."""
        return len(self.clients.active)

    # -- custom messages (Locust's API) ------------------------------------------------------

    def send_message(self, msg_type: str, data: Any = None, client_id: str | None = None) -> None:
        """Send a custom message to one worker, or to every connected worker."""
        targets = [client_id] if client_id is not None else [n.id for n in self.clients.active]
        for node_id in targets:
            self._send(node_id, m.CUSTOM, {"type": msg_type, "data": data})

    # -- a test ------------------------------------------------------------------------------

    def start(
        self,
        user_count: int,
        spawn_rate: float,
        wait: bool = False,
        user_classes: list[type[User]] | None = None,
    ) -> None:
        """Ramp the workers, together, to ``user_count`` users at ``spawn_rate`` users/s.

        Called during a test it changes the target from where the ramp is. With ``wait``,
        returns once every worker has its final share running. ``user_classes`` (from a load
        shape) replaces the classes the users are drawn from: the running users move over to
        them at once, and workers start them by name (any class of their userfile).
        """
        if user_count < 0:
            raise ValueError(f"user_count must be 0 or more, not {user_count}")
        if spawn_rate <= 0:
            raise ValueError(f"spawn_rate must be above 0, not {spawn_rate}")
        specs = specs_from_classes(user_classes) if user_classes is not None else None
        if not self.clients.active:
            logger.warning("No worker is connected: nothing to start (start workers first)")
            return
        if self.state in (STATE_INIT, STATE_STOPPED):
            self._begin_test()
        self.target_user_count = user_count
        self.spawn_rate = spawn_rate
        self.state = STATE_SPAWNING
        if user_classes is not None:
            self.shape_user_classes = list(user_classes)
        assert self._dispatcher is not None
        self.parts.split_iterations(user_count, user_classes)
        self._dispatcher.new_dispatch(user_count, spawn_rate, specs)
        self._restart_dispatch()
        if wait and self.spawning_greenlet is not None:
            self.spawning_greenlet.join()

    def _begin_test(self) -> None:
        self.stats.clear_all()
        self.usage.reset()
        self.lost_workers = []
        self.worker_cpu_warning_emitted = False
        for node in self.clients.active:
            node.cpu_warning_emitted = False
        workers = [node.id for node in self.clients.active]
        self._dispatcher = UsersDispatcher(workers, specs_from_classes(self.user_classes))
        self._sent = {}
        self._unknown_classes = {}
        self.arrival_plan = None
        self.parts.begin_test()
        self.environment.events.test_start.fire(environment=self.environment)

    def start_arrival(self, plan: ArrivalPlan) -> None:
        """Run the open model over the workers: each runs an equal share of the rate with an
        equal part of the pool, re-split when workers come or go (``master_parts``)."""
        self.parts.start_arrival(plan)

    def _restart_dispatch(self) -> None:
        """Follow the dispatcher from now on (after a new target or a change of workers)."""
        if self.spawning_greenlet is not None:
            self.spawning_greenlet.kill(block=True)
        self.spawning_greenlet = self.spawn_in_background(self._follow_dispatch)

    def _follow_dispatch(self) -> None:
        dispatcher = self._dispatcher
        assert dispatcher is not None
        last: dict[str, dict[str, int]] = {}
        for delay, users in dispatcher:
            if delay > 0:
                gevent.sleep(delay)
            self._send_dispatch(users, last=not dispatcher.dispatch_in_progress)
            last = users
        self._wait_until_spawned(last)
        self.state = STATE_RUNNING
        logger.info("All users spawned: %s", _describe(self.user_classes_count, self.user_count))
        self.environment.events.spawning_complete.fire(user_count=self.user_count)
        if self.environment.reset_stats:
            logger.info("Resetting the statistics (--reset-stats)")
            self.stats.reset_all()

    def _send_dispatch(self, users: dict[str, dict[str, int]], last: bool) -> None:
        """Tell each worker whose share changed how many users of each class to run."""
        for node_id, counts in users.items():
            if self._sent.get(node_id) == counts and not last:
                continue
            node = self.clients.get(node_id)
            if node is None or node.state == STATE_MISSING:
                continue
            if self._sent.get(node_id) == counts and node.spawned_seq == node.spawn_seq:
                continue  # the last step changes nothing for it, and it has its share
            self._sent[node_id] = dict(counts)
            self._send_spawn(
                node,
                {
                    "user_classes_count": counts,
                    "reset_stats": self.environment.reset_stats and last,
                    **self.parts.spawn_fields(node_id),
                },
            )

    def _send_spawn(self, node: WorkerNode, data: dict[str, Any]) -> None:
        """Send ``node`` a ``spawn`` with ``data`` and what every spawn carries."""
        self._spawn_seq += 1
        node.spawn_seq = self._spawn_seq
        self._send(
            node.id,
            m.SPAWN,
            {
                "host": self.environment.host,
                "stop_timeout": self.environment.stop_timeout,
                "seq": self._spawn_seq,
                "timestamp": self.clock(),
                **data,
            },
        )

    def _wait_until_spawned(self, dispatch: dict[str, dict[str, int]]) -> None:
        """Until every worker of the dispatch reports its last spawn complete (bounded)."""
        self._all_spawned.clear()
        if not self._pending_spawns():
            return
        if not self._all_spawned.wait(timeout=STOP_GRACE):
            late = ", ".join(node.id for node in self._pending_spawns())
            logger.warning("Workers slow to confirm their users: %s", late)

    def _pending_spawns(self) -> list[WorkerNode]:
        return [n for n in self.clients.active if n.spawned_seq < n.spawn_seq]

    def stop(self) -> None:
        """Stop every worker's users, wait for their final reports, end the test."""
        if self.state in (STATE_INIT, STATE_STOPPED, STATE_STOPPING):
            return
        self.environment.events.test_stopping.fire(environment=self.environment)
        self.state = STATE_STOPPING
        shape = self.shape_greenlet
        if shape is not None and shape is not gevent.getcurrent():
            shape.kill(block=True)  # else its next tick would start the test again
        if self.spawning_greenlet is not None:
            self.spawning_greenlet.kill(block=True)
            self.spawning_greenlet = None
        self._all_stopped.clear()
        for node in self.clients.active:
            self._send(node.id, m.STOP, None)
        if self._still_running():
            timeout = (self.environment.stop_timeout or 0) + STOP_GRACE
            if not self._all_stopped.wait(timeout=timeout):
                late = ", ".join(node.id for node in self._still_running())
                logger.warning("Workers did not confirm the stop in %gs: %s", timeout, late)
        self._sent = {}
        self.state = STATE_STOPPED
        self.environment.events.test_stop.fire(environment=self.environment)

    def _still_running(self) -> list[WorkerNode]:
        return [n for n in self.clients.active if n.state not in (STATE_STOPPED, STATE_INIT)]

    def quit(self) -> None:
        """Stop the test, tell every worker to exit, and end the master."""
        self._quit_once(self._end)

    def _end(self) -> None:
        self.stop()
        for node in self.clients.active:
            self._send(node.id, m.QUIT, None)
        self._kill_other_greenlets()
        self.server.close(linger=QUIT_LINGER)

    # -- receiving ---------------------------------------------------------------------------

    def _receive_forever(self) -> None:
        while True:
            try:
                route, message = self.server.recv()
            except ProtocolError as error:
                self.protocol_errors += 1
                logger.warning(
                    "Protocol error from %s: %s (message ignored)",
                    error.node_id or "an unknown peer",
                    error,
                )
                continue
            self.handle(route, message)

    def handle(self, route: str, message: Message) -> None:
        """Act on one message that came over the connection ``route``.

        The sender is the message's ``node_id``: a worker's own connection (route and node id
        are the same), or a host's relay carrying several workers' messages over one
        connection. Replies to a node take the route its messages last came by. A handler's
        crash is logged, not fatal.
        """
        node_id = message.node_id
        if self._routes.get(node_id) != route:
            self._routes[node_id] = route
        handler = self._handlers.get(message.type)
        if handler is None:
            logger.warning("Unexpected %r message from %s: ignored", message.type, node_id)
            return
        try:
            handler(node_id, message.data)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            self.protocol_errors += 1
            logger.warning(
                "Malformed %r message from %s (%s: %s): ignored",
                message.type,
                node_id,
                type(error).__name__,
                error,
            )

    def _on_ready(self, node_id: str, data: dict[str, Any]) -> None:
        version = str(data.get("version", ""))
        if version != __version__:
            logger.warning(
                "Worker %s runs swarm %s, the master %s: results may differ",
                node_id,
                version or "?",
                __version__,
            )
        known = self.clients.get(node_id)
        if known is not None and known.state != STATE_MISSING:
            # it lost sight of the master for a while, the master did not lose it: carry on
            known.last_heartbeat = self.clock()
            self._send(node_id, m.ACK, {"of": m.READY, "index": known.index, "state": self.state})
            logger.info("Worker %s registered again; it is still counted in", node_id)
            return
        returning = known is not None
        node = self.clients.register(
            node_id,
            self.clock(),
            host=str(data.get("host", "")),
            pid=int(data.get("pid", 0)),
            version=version,
        )
        self._sent.pop(node_id, None)
        self._send(node_id, m.ACK, {"of": m.READY, "index": node.index, "state": self.state})
        logger.info(
            "Worker %s %s (%d connected)",
            node_id,
            "reconnected" if returning else "connected",
            self.worker_count,
        )
        self.environment.events.worker_connect.fire(client_id=node_id)
        self._workers_changed(added=node_id)

    def _on_heartbeat(self, node_id: str, data: dict[str, Any]) -> None:
        if self._note_heartbeat(node_id, data, self.clock()):
            self._reply_heartbeat(node_id)

    def _on_heartbeats(self, relay_id: str, data: dict[str, Any]) -> None:
        """A host's relay: its workers' heartbeats of the last second, one reply for all."""
        now = self.clock()
        for node_id, beat in data["workers"].items():
            self._note_heartbeat(node_id, beat, now)
        self._reply_heartbeat(relay_id)

    def _note_heartbeat(self, node_id: str, data: dict[str, Any], now: float) -> bool:
        """Take in one worker's heartbeat; False (and a ``reconnect``) for an unknown one."""
        node = self.clients.get(node_id)
        if node is None:
            self._send(node_id, m.RECONNECT, None)  # a restarted master: register again
            return False
        node.last_heartbeat = now
        if node.state == STATE_MISSING:
            logger.info("Worker %s is back: counting it in again", node_id)
            node.state = STATE_INIT
            self._workers_changed(added=node_id)
        else:
            node.state = data.get("state", node.state)
        node.user_count = data.get("user_count", node.user_count)
        cpu = node.cpu_usage = data.get("current_cpu_usage", 0.0)
        node.memory_usage = data.get("current_memory_usage", 0)
        if "user_classes_count" in data:
            node.user_classes_count = data["user_classes_count"]
        warned = self._note_saturation(node, data, now)
        if cpu >= self.usage.threshold and not node.cpu_warning_emitted:
            self._warn_worker_cpu(node, log=not warned)
        self.environment.events.heartbeat_received.fire(client_id=node_id, timestamp=now)
        return True

    def _reply_heartbeat(self, node_id: str) -> None:
        self._send(node_id, m.HEARTBEAT, None)
        self.environment.events.heartbeat_sent.fire(client_id=node_id, timestamp=self.clock())

    def _note_saturation(self, node: WorkerNode, data: dict[str, Any], now: float) -> bool:
        """A worker's saturation totals (workers older than this master send none); True when
        a warning was logged."""
        node.loop_lag = float(data.get("current_loop_lag", 0.0))
        if "saturation" not in data:
            return False
        warning = self.saturation_monitor.update(
            node.id, now, node.cpu_usage, node.loop_lag, data["saturation"]
        )
        if warning:
            logger.warning(warning)
        return warning is not None

    def _warn_worker_cpu(self, node: WorkerNode, log: bool = True) -> None:
        node.cpu_warning_emitted = True
        self.worker_cpu_warning_emitted = True
        message = (
            f"Worker {node.id} ({node.host}) uses {node.cpu_usage:.0f}% CPU: its response "
            "times may be inflated by the generator itself; add workers or lower its users."
        )
        if log:  # else the saturation warning of the same heartbeat gave the CPU already
            logger.warning(message)
        self.environment.events.cpu_warning.fire(
            environment=self.environment, cpu_usage=node.cpu_usage, message=message
        )

    def _on_stats(self, node_id: str, data: dict[str, Any]) -> None:
        seq = int(data.get("seq", -1))
        if seq >= 0:
            if seq <= self._stats_seq.get(node_id, -1):
                self._ack_stats(node_id, data, seq)  # a resent final report: merged already
                return
            self._stats_seq[node_id] = seq
        self.stats.merge_report(data)
        self.parts.on_report(node_id, data)
        node = self.clients.get(node_id)  # None for a host's relay, which runs no users
        if node is not None:
            node.user_count = int(data.get("user_count", node.user_count))
            if "user_classes_count" in data:
                node.user_classes_count = dict(data["user_classes_count"])
        self.environment.events.worker_report.fire(client_id=node_id, data=data)
        self._ack_stats(node_id, data, seq)

    def _ack_stats(self, node_id: str, data: dict[str, Any], seq: int) -> None:
        if data.get("final"):
            self._send(node_id, m.ACK, {"of": m.STATS, "seq": seq})

    def _on_spawning(self, node_id: str, data: Any) -> None:
        node = self.clients.get(node_id)
        if node is not None and node.state != STATE_MISSING:
            node.state = STATE_SPAWNING

    def _on_spawning_complete(self, node_id: str, data: dict[str, Any]) -> None:
        node = self.clients.get(node_id)
        if node is None or node.state == STATE_MISSING:
            return
        node.state = STATE_RUNNING
        node.spawned_seq = max(node.spawned_seq, int(data.get("seq", 0)))
        node.user_count = int(data.get("user_count", 0))
        node.user_classes_count = dict(data.get("user_classes_count", {}))
        self._note_unknown_classes(node_id, data.get("unknown_user_classes", ()))
        if not self._pending_spawns():
            self._all_spawned.set()

    def _note_unknown_classes(self, node_id: str, names: Iterable[str]) -> None:
        """Log, once a test per worker and name, the classes a worker said it does not have."""
        reported = self._unknown_classes.setdefault(node_id, set())
        new = sorted({str(name) for name in names} - reported)
        if not new:
            return
        reported.update(new)
        logger.error(
            "Worker %s has no user class %s: it runs none of those users (does it run the "
            "same userfile as the master?)",
            node_id,
            ", ".join(map(repr, new)),
        )

    def _on_stopped(self, node_id: str, data: Any) -> None:
        node = self.clients.get(node_id)
        if node is None:
            return
        node.state = STATE_STOPPED
        node.user_count = 0
        node.user_classes_count = {}
        if not self._still_running():
            self._all_stopped.set()

    def _on_quit(self, node_id: str, data: Any) -> None:
        self._routes.pop(node_id, None)
        node = self.clients.remove(node_id)
        if node is None:
            return
        logger.info("Worker %s left (%d still connected)", node_id, self.worker_count)
        self._workers_changed(removed=node_id)
        if not self._still_running():
            self._all_stopped.set()

    def _on_exception(self, node_id: str, data: dict[str, Any]) -> None:
        self.log_exception(node_id, str(data["msg"]), str(data["traceback"]))

    def _on_logs(self, node_id: str, data: dict[str, Any]) -> None:
        lines = self.worker_logs.setdefault(node_id, deque(maxlen=WORKER_LOG_LINES))
        lines.extend(str(line) for line in data["logs"])

    def _on_userfile(self, node_id: str, data: Any) -> None:
        paths = [p for p in (self.environment.locustfile or "").split(",") if p]
        if len(paths) != 1:
            reply = {"error": "the master runs several userfiles; -f - needs exactly one"}
        else:
            path = Path(paths[0])
            try:
                reply = {"name": path.name, "contents": path.read_text(encoding="utf-8")}
            except OSError as error:
                reply = {"error": f"the master cannot read {path}: {error.strerror}"}
        self._send(node_id, m.USERFILE, reply)

    def _on_custom(self, node_id: str, data: dict[str, Any]) -> None:
        self._on_custom_message(str(data["type"]), data.get("data"), node_id)

    # -- workers coming and going ------------------------------------------------------------

    def _check_heartbeats_forever(self) -> None:
        while True:
            gevent.sleep(HEARTBEAT_CHECK_INTERVAL)
            self.check_heartbeats(self.clock())

    def check_heartbeats(self, now: float) -> list[WorkerNode]:
        """Mark silent workers missing and move their users; returns the newly missing."""
        lost = self.clients.tick(now)
        for node, users in lost:
            testing = self.state in (STATE_SPAWNING, STATE_RUNNING)
            logger.warning(
                "Worker %s (%s) sent no heartbeat for %gs: marked missing%s",
                node.id,
                node.host or "?",
                self.clients.liveness,
                f"; moving its {users} users to the other workers" if testing and users else "",
            )
            if testing:
                self.lost_workers.append(LostWorker(node.id, node.host, now, users))
            self._workers_changed(removed=node.id)
        if lost and not self._still_running():
            self._all_stopped.set()
        if not self._pending_spawns():
            self._all_spawned.set()
        return [node for node, _ in lost]

    def _workers_changed(self, added: str | None = None, removed: str | None = None) -> None:
        """Rebalance a running test over the workers there are now."""
        if self.arrival_plan is not None and self.state in (STATE_SPAWNING, STATE_RUNNING):
            self.parts.send_shares()
            return
        dispatcher = self._dispatcher
        if dispatcher is None or self.state not in (STATE_SPAWNING, STATE_RUNNING):
            return
        if added is not None and added not in dispatcher.workers:
            dispatcher.add_worker(added)
        if removed is not None and removed in dispatcher.workers:
            dispatcher.remove_worker(removed)
            self._sent.pop(removed, None)
        if not dispatcher.workers:
            logger.error("Every worker is gone: the test has no users left")
            return
        self.state = STATE_SPAWNING
        self._restart_dispatch()

    # -- sending -----------------------------------------------------------------------------

    def _send(self, node_id: str, kind: str, data: Any) -> None:
        # from the master, a message's node id names its recipient (a relay needs it)
        self.server.send_to(self._routes.get(node_id, node_id), Message(kind, data, node_id))


def _describe(counts: dict[str, int], total: int) -> str:
    parts = ", ".join(f"{name}: {n}" for name, n in sorted(counts.items()))
    return f"{parts} (total {total})" if parts else f"total {total}"
