"""What the master does with each message its workers (or a host's relay) send it.

``MasterRunner.handle`` looks a message's type up in ``MasterInbox.handlers``, a table of small
handlers, each called with the sender's node id and the message's data:

- ``ready``: register the worker (again, after a restart on either side), acknowledge it with
  its index, and give it its share of a running test;
- ``heartbeat``/``heartbeats``: the workers' health (``swarm.runners.master_health``);
- ``stats``: merge the report into the master's statistics once, by its ``seq`` (a resent
  final report is acknowledged again, not counted twice);
- ``spawning``/``spawning_complete``/``stopped``: a worker's progress through what the master
  asked, which a ramp's end and ``stop()`` wait for;
- ``quit``: the worker left; its users move to the others;
- ``exception``, ``logs``, ``userfile`` (``-f -``: send the master's one userfile) and
  ``custom`` (Locust's ``register_message`` API).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from swarm.__version__ import __version__
from swarm.rpc import messages as m
from swarm.runners.states import STATE_MISSING, STATE_RUNNING, STATE_SPAWNING, STATE_STOPPED

if TYPE_CHECKING:
    from swarm.runners.master import MasterRunner

# the master's logger: these lines were the master's before this module was split from it, and
# log filters and readers know them by that name
logger = logging.getLogger("swarm.runners.master")

#: Log lines kept per worker for the UI.
WORKER_LOG_LINES = 200


class MasterInbox:
    """The handlers of a ``MasterRunner``'s incoming messages, by message type (``handlers``)."""

    def __init__(self, master: MasterRunner) -> None:
        self.master = master
        #: The last statistics report merged from each sender (worker or relay), by ``seq``.
        self._stats_seq: dict[str, int] = {}
        #: Per worker, the class names it said it lacks (logged once a test).
        self._unknown_classes: dict[str, set[str]] = {}
        health = master.health
        self.handlers: dict[str, Callable[[str, Any], None]] = {
            m.READY: self._on_ready,
            m.HEARTBEAT: health.on_heartbeat,
            m.HEARTBEATS: health.on_heartbeats,
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

    def begin_test(self) -> None:
        """A new test: a worker's missing classes are logged again."""
        self._unknown_classes = {}

    def _on_ready(self, node_id: str, data: dict[str, Any]) -> None:
        master = self.master
        version = str(data.get("version", ""))
        if version != __version__:
            logger.warning(
                "Worker %s runs swarm %s, the master %s: results may differ",
                node_id,
                version or "?",
                __version__,
            )
        known = master.clients.get(node_id)
        if known is not None and known.state != STATE_MISSING:
            # it lost sight of the master for a while, the master did not lose it: carry on
            known.last_heartbeat = master.clock()
            master._send(
                node_id, m.ACK, {"of": m.READY, "index": known.index, "state": master.state}
            )
            logger.info("Worker %s registered again; it is still counted in", node_id)
            return
        returning = known is not None
        node = master.clients.register(
            node_id,
            master.clock(),
            host=str(data.get("host", "")),
            pid=int(data.get("pid", 0)),
            version=version,
        )
        master._forget_share(node_id)
        master._send(node_id, m.ACK, {"of": m.READY, "index": node.index, "state": master.state})
        logger.info(
            "Worker %s %s (%d connected)",
            node_id,
            "reconnected" if returning else "connected",
            master.worker_count,
        )
        master.environment.events.worker_connect.fire(client_id=node_id)
        master._workers_changed(added=node_id)

    def _on_stats(self, node_id: str, data: dict[str, Any]) -> None:
        master = self.master
        seq = int(data.get("seq", -1))
        if seq >= 0:
            if seq <= self._stats_seq.get(node_id, -1):
                self._ack_stats(node_id, data, seq)  # a resent final report: merged already
                return
            self._stats_seq[node_id] = seq
        master.stats.merge_report(data)
        master.parts.on_report(node_id, data)
        node = master.clients.get(node_id)  # None for a host's relay, which runs no users
        if node is not None:
            node.user_count = int(data.get("user_count", node.user_count))
            if "user_classes_count" in data:
                node.user_classes_count = dict(data["user_classes_count"])
        master.environment.events.worker_report.fire(client_id=node_id, data=data)
        self._ack_stats(node_id, data, seq)

    def _ack_stats(self, node_id: str, data: dict[str, Any], seq: int) -> None:
        if data.get("final"):
            self.master._send(node_id, m.ACK, {"of": m.STATS, "seq": seq})

    def _on_spawning(self, node_id: str, data: Any) -> None:
        node = self.master.clients.get(node_id)
        if node is not None and node.state != STATE_MISSING:
            node.state = STATE_SPAWNING

    def _on_spawning_complete(self, node_id: str, data: dict[str, Any]) -> None:
        node = self.master.clients.get(node_id)
        if node is None or node.state == STATE_MISSING:
            return
        node.state = STATE_RUNNING
        node.spawned_seq = max(node.spawned_seq, int(data.get("seq", 0)))
        node.user_count = int(data.get("user_count", 0))
        node.user_classes_count = dict(data.get("user_classes_count", {}))
        self._note_unknown_classes(node_id, data.get("unknown_user_classes", ()))
        self.master._wake_if_all_spawned()

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
        node = self.master.clients.get(node_id)
        if node is None:
            return
        node.state = STATE_STOPPED
        node.user_count = 0
        node.user_classes_count = {}
        self.master._wake_if_all_stopped()

    def _on_quit(self, node_id: str, data: Any) -> None:
        master = self.master
        master._forget_route(node_id)
        node = master.clients.remove(node_id)
        if node is None:
            return
        logger.info("Worker %s left (%d still connected)", node_id, master.worker_count)
        master._workers_changed(removed=node_id)
        master._wake_if_all_stopped()

    def _on_exception(self, node_id: str, data: dict[str, Any]) -> None:
        self.master.log_exception(node_id, str(data["msg"]), str(data["traceback"]))

    def _on_logs(self, node_id: str, data: dict[str, Any]) -> None:
        lines = self.master.worker_logs.setdefault(node_id, deque(maxlen=WORKER_LOG_LINES))
        lines.extend(str(line) for line in data["logs"])

    def _on_userfile(self, node_id: str, data: Any) -> None:
        paths = [p for p in (self.master.environment.locustfile or "").split(",") if p]
        if len(paths) != 1:
            reply = {"error": "the master runs several userfiles; -f - needs exactly one"}
        else:
            path = Path(paths[0])
            try:
                reply = {"name": path.name, "contents": path.read_text(encoding="utf-8")}
            except OSError as error:
                reply = {"error": f"the master cannot read {path}: {error.strerror}"}
        self.master._send(node_id, m.USERFILE, reply)

    def _on_custom(self, node_id: str, data: dict[str, Any]) -> None:
        self.master._on_custom_message(str(data["type"]), data.get("data"), node_id)


__all__ = ["WORKER_LOG_LINES", "MasterInbox"]
