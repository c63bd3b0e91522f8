"""The master's watch over its workers' health: their heartbeats, and the workers gone silent.

Each worker sends a heartbeat every second (a host's relay sends its workers' together, as one
``heartbeats`` message): its state, users, CPU, memory, event-loop lag and saturation totals.
The master takes each one into the worker's ``WorkerNode`` and answers it; a heartbeat from a
worker it does not know gets a ``reconnect`` instead (the master restarted: register again).
A worker over the CPU threshold is warned about once a test, and its saturation totals feed the
master's ``SaturationMonitor``.

Every ``HEARTBEAT_CHECK_INTERVAL`` seconds the master looks for workers silent for the liveness
(``WorkerNodes.tick``): each is marked missing, noted in ``lost_workers`` when a test was
running, and its users move to the other workers at once. A missing worker whose heartbeat comes
back is counted in again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import gevent

from swarm.rpc import messages as m
from swarm.runners.states import STATE_INIT, STATE_MISSING, STATE_RUNNING, STATE_SPAWNING

if TYPE_CHECKING:
    from swarm.runners.master import MasterRunner
    from swarm.runners.nodes import WorkerNode

# the master's logger: these lines were the master's before this module was split from it, and
# log filters and readers know them by that name
logger = logging.getLogger("swarm.runners.master")

#: Seconds between two checks for silent workers.
HEARTBEAT_CHECK_INTERVAL = 1.0


@dataclass(frozen=True)
class LostWorker:
    """A worker that went missing during the run, for the summary."""

    id: str
    host: str
    time: float
    user_count: int


class WorkerHealth:
    """Takes in the workers' heartbeats for a ``MasterRunner`` and finds the silent workers.

    It keeps no state of its own: what it learns goes where reports read it, in the master's
    ``clients`` (one node per worker), ``lost_workers`` and ``worker_cpu_warning_emitted``.
    """

    def __init__(self, master: MasterRunner) -> None:
        self.master = master

    # -- heartbeats in -----------------------------------------------------------------------

    def on_heartbeat(self, node_id: str, data: dict[str, Any]) -> None:
        """A worker's own heartbeat: take it in and answer it (unless the worker is unknown)."""
        if self._take(node_id, data, self.master.clock()):
            self._reply(node_id)

    def on_heartbeats(self, relay_id: str, data: dict[str, Any]) -> None:
        """A host's relay: its workers' heartbeats of the last second, one reply for all."""
        now = self.master.clock()
        for node_id, beat in data["workers"].items():
            self._take(node_id, beat, now)
        self._reply(relay_id)

    def _take(self, node_id: str, data: dict[str, Any], now: float) -> bool:
        """Take in one worker's heartbeat; False (and a ``reconnect``) for an unknown one."""
        master = self.master
        node = master.clients.get(node_id)
        if node is None:
            master._send(node_id, m.RECONNECT, None)  # a restarted master: register again
            return False
        node.last_heartbeat = now
        if node.state == STATE_MISSING:
            logger.info("Worker %s is back: counting it in again", node_id)
            node.state = STATE_INIT
            master._workers_changed(added=node_id)
        else:
            node.state = data.get("state", node.state)
        node.user_count = data.get("user_count", node.user_count)
        cpu = node.cpu_usage = data.get("current_cpu_usage", 0.0)
        node.memory_usage = data.get("current_memory_usage", 0)
        if "user_classes_count" in data:
            node.user_classes_count = data["user_classes_count"]
        warned = self._note_saturation(node, data, now)
        if cpu >= master.usage.threshold and not node.cpu_warning_emitted:
            self._warn_cpu(node, log=not warned)
        master.environment.events.heartbeat_received.fire(client_id=node_id, timestamp=now)
        return True

    def _reply(self, node_id: str) -> None:
        master = self.master
        master._send(node_id, m.HEARTBEAT, None)
        master.environment.events.heartbeat_sent.fire(client_id=node_id, timestamp=master.clock())

    def _note_saturation(self, node: WorkerNode, data: dict[str, Any], now: float) -> bool:
        """A worker's saturation totals (workers older than this master send none); True when
        a warning was logged."""
        node.loop_lag = float(data.get("current_loop_lag", 0.0))
        if "saturation" not in data:
            return False
        warning = self.master.saturation_monitor.update(
            node.id, now, node.cpu_usage, node.loop_lag, data["saturation"]
        )
        if warning:
            logger.warning(warning)
        return warning is not None

    def _warn_cpu(self, node: WorkerNode, log: bool = True) -> None:
        master = self.master
        node.cpu_warning_emitted = True
        master.worker_cpu_warning_emitted = True
        message = (
            f"Worker {node.id} ({node.host}) uses {node.cpu_usage:.0f}% CPU: its response "
            "times may be inflated by the generator itself; add workers or lower its users."
        )
        if log:  # else the saturation warning of the same heartbeat gave the CPU already
            logger.warning(message)
        master.environment.events.cpu_warning.fire(
            environment=master.environment, cpu_usage=node.cpu_usage, message=message
        )

    # -- the silent ----------------------------------------------------------------------------

    def check_forever(self) -> None:
        """Check for silent workers every ``HEARTBEAT_CHECK_INTERVAL`` seconds, for ever."""
        while True:
            gevent.sleep(HEARTBEAT_CHECK_INTERVAL)
            self.check(self.master.clock())

    def check(self, now: float) -> list[WorkerNode]:
        """Mark silent workers missing and move their users; returns the newly missing."""
        master = self.master
        lost = master.clients.tick(now)
        for node, users in lost:
            testing = master.state in (STATE_SPAWNING, STATE_RUNNING)
            logger.warning(
                "Worker %s (%s) sent no heartbeat for %gs: marked missing%s",
                node.id,
                node.host or "?",
                master.clients.liveness,
                f"; moving its {users} users to the other workers" if testing and users else "",
            )
            if testing:
                master.lost_workers.append(LostWorker(node.id, node.host, now, users))
            master._workers_changed(removed=node.id)
        if lost:
            master._wake_if_all_stopped()
        master._wake_if_all_spawned()
        return [node for node, _ in lost]


__all__ = ["HEARTBEAT_CHECK_INTERVAL", "LostWorker", "WorkerHealth"]
