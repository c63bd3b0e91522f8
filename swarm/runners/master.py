"""The runner of a master: it runs no users, it tells workers how many to run and adds up
what they report.

A test on a master is the local runner's test spread over workers: the same pure dispatch
(``UsersDispatcher``) paces the ramp, and each step sends every worker whose share changed a
``spawn`` message with its exact users per class. Workers send statistics deltas that the
master merges into ``environment.stats``, so every report reads the master's statistics as if
one huge process had made every request.

Here: the test's life cycle (start, stop, quit), its ``spawn`` messages, and the rebalance when
a worker joins (it gets its share) or leaves or goes missing (its users move to the others at
once). What each message received does is in ``master_inbox`` (a table of small handlers); the
workers' heartbeats and silences in ``master_health``; each worker's part of ``-i`` and of an
arrival rate in ``master_parts``.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import gevent
from gevent.event import Event

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
from swarm.runners.master_health import LostWorker, WorkerHealth
from swarm.runners.master_inbox import MasterInbox
from swarm.runners.master_parts import WorkerParts
from swarm.runners.nodes import HEARTBEAT_LIVENESS, WorkerNode, WorkerNodes

if TYPE_CHECKING:
    from swarm.env import Environment
    from swarm.rpc.transport import ServerTransport
    from swarm.runners.schedule import ArrivalPlan
    from swarm.user import User

logger = logging.getLogger(__name__)

#: How long stop() waits for the workers' final reports beyond the users' stop timeout.
STOP_GRACE = 10.0
#: Seconds the master lets its goodbyes (``quit``) reach the workers when it ends.
QUIT_LINGER = 1.0


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
        self._dispatcher: UsersDispatcher | None = None
        self._sent: dict[str, dict[str, int]] = {}  # the counts each worker was last sent
        self._spawn_seq = 0
        #: Each worker's part of -i and of an arrival rate (swarm.runners.master_parts).
        self.parts = WorkerParts(self)
        self._all_spawned = Event()
        self._all_stopped = Event()
        #: The workers' heartbeats and silences (swarm.runners.master_health).
        self.health = WorkerHealth(self)
        #: What each incoming message does, by type (swarm.runners.master_inbox).
        self.inbox = MasterInbox(self)
        self.spawn_in_background(self._receive_forever)
        self.spawn_in_background(self.health.check_forever)

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
        if self.arrival_plan is not None and self.state in (STATE_SPAWNING, STATE_RUNNING):
            raise ValueError("an arrival-rate run sets its own users: stop it first")
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
        self.inbox.begin_test()
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

    def _wake_if_all_spawned(self) -> None:
        """Wake a ramp's end waiting for confirmations once no worker's spawn is pending."""
        if not self._pending_spawns():
            self._all_spawned.set()

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

    def _wake_if_all_stopped(self) -> None:
        """Wake ``stop()`` waiting for confirmations once no worker runs users."""
        if not self._still_running():
            self._all_stopped.set()

    def quit(self) -> None:
        """Stop the test, tell every worker to exit, and end the master."""
        self._quit_once(self._end)

    def _end(self) -> None:
        self.stop()
        # Missing ones too: a worker the master lost sight of may be alive, and a worker
        # never gives up on its master by itself.
        for node in self.clients:
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
        connection. Replies to a node take the route its messages last came by. The handler
        is ``inbox.handlers[message.type]``; its crash on malformed data is logged, not fatal.
        """
        node_id = message.node_id
        if self._routes.get(node_id) != route:
            self._routes[node_id] = route
        handler = self.inbox.handlers.get(message.type)
        if handler is None:
            logger.warning("Unexpected %r message from %s: ignored", message.type, node_id)
            return
        try:
            handler(node_id, message.data)
        except m.MALFORMED as error:
            self.protocol_errors += 1
            logger.warning(
                "Malformed %r message from %s (%s: %s): ignored",
                message.type,
                node_id,
                type(error).__name__,
                error,
            )

    # -- workers coming and going ------------------------------------------------------------

    def check_heartbeats(self, now: float) -> list[WorkerNode]:
        """Mark silent workers missing and move their users; returns the newly missing."""
        return self.health.check(now)

    def _workers_changed(self, added: str | None = None, removed: str | None = None) -> None:
        """Rebalance a running test over the workers there are now."""
        if self.arrival_plan is not None and self.state in (STATE_SPAWNING, STATE_RUNNING):
            self.parts.send_shares()
            return
        if removed is not None:
            self.parts.check_end()  # it may have been the last worker not yet done
        dispatcher = self._dispatcher
        if dispatcher is None or self.state not in (STATE_SPAWNING, STATE_RUNNING):
            return
        if added is not None and added not in dispatcher.workers:
            dispatcher.add_worker(added)
        if removed is not None and removed in dispatcher.workers:
            dispatcher.remove_worker(removed)
            self._forget_share(removed)
        if not dispatcher.workers:
            logger.error("Every worker is gone: the test has no users left")
            return
        self.state = STATE_SPAWNING
        self._restart_dispatch()

    def _forget_share(self, node_id: str) -> None:
        """Forget what ``node_id`` was last sent, so that the next dispatch step sends it."""
        self._sent.pop(node_id, None)

    # -- sending -----------------------------------------------------------------------------

    def _forget_route(self, node_id: str) -> None:
        """``node_id`` left: replies to it no longer take the connection it came by."""
        self._routes.pop(node_id, None)

    def _send(self, node_id: str, kind: str, data: Any) -> None:
        # from the master, a message's node id names its recipient (a relay needs it)
        self.server.send_to(self._routes.get(node_id, node_id), Message(kind, data, node_id))


def _describe(counts: dict[str, int], total: int) -> str:
    parts = ", ".join(f"{name}: {n}" for name, n in sorted(counts.items()))
    return f"{parts} (total {total})" if parts else f"total {total}"
