"""The master's view of its workers: who is there, what each reported, who fell silent.

Pure bookkeeping with time passed in: ``tick(now)`` says which workers have just gone
missing, so the tests advance a number instead of waiting for heartbeats to stop.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from swarm.runners.states import (
    STATE_INIT,
    STATE_MISSING,
    STATE_RUNNING,
    STATE_SPAWNING,
    STATE_STOPPED,
)

#: Seconds without a heartbeat after which a worker counts as missing (three beats).
HEARTBEAT_LIVENESS = 3.0


@dataclass
class WorkerNode:
    """One worker as the master knows it (Locust's ``WorkerNode``, with a few more facts)."""

    id: str
    index: int
    host: str = ""
    pid: int = 0
    version: str = ""
    state: str = STATE_INIT
    user_count: int = 0
    user_classes_count: dict[str, int] = field(default_factory=dict)
    cpu_usage: float = 0.0
    memory_usage: int = 0
    #: The largest event-loop lag (s) of its last usage interval.
    loop_lag: float = 0.0
    cpu_warning_emitted: bool = False
    connected_at: float = 0.0
    last_heartbeat: float = 0.0
    #: The ``seq`` of the last spawn message sent to it, and of the last one it completed.
    spawn_seq: int = 0
    spawned_seq: int = 0

    @property
    def heartbeat(self) -> float:
        """Locust's name: the time of the last heartbeat."""
        return self.last_heartbeat

    def to_dict(self) -> dict[str, Any]:
        """What the UI's workers tab and the JSON API show."""
        return {
            "id": self.id,
            "index": self.index,
            "host": self.host,
            "pid": self.pid,
            "state": self.state,
            "user_count": self.user_count,
            "user_classes_count": dict(self.user_classes_count),
            "cpu_usage": self.cpu_usage,
            "memory_usage": self.memory_usage,
            "loop_lag_ms": round(self.loop_lag * 1e3, 1),
            "cpu_warning": self.cpu_warning_emitted,
            "last_heartbeat": self.last_heartbeat,
        }


class WorkerNodes:
    """Every worker that ever registered since the master started, by id."""

    def __init__(self, liveness: float = HEARTBEAT_LIVENESS) -> None:
        self.liveness = liveness
        self._nodes: dict[str, WorkerNode] = {}
        self._next_index = 0

    def __iter__(self) -> Iterator[WorkerNode]:
        return iter(list(self._nodes.values()))

    def __len__(self) -> int:
        return len(self._nodes)

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._nodes

    def get(self, node_id: str) -> WorkerNode | None:
        return self._nodes.get(node_id)

    def register(self, node_id: str, now: float, **facts: Any) -> WorkerNode:
        """A worker said ``ready``: a new node, or the same one coming back (same index)."""
        node = self._nodes.get(node_id)
        if node is None:
            node = WorkerNode(node_id, self._next_index)
            self._next_index += 1
            self._nodes[node_id] = node
        for name, value in facts.items():
            setattr(node, name, value)
        node.state = STATE_INIT
        node.user_count = 0
        node.user_classes_count = {}
        node.connected_at = node.last_heartbeat = now
        node.spawn_seq = node.spawned_seq = 0
        return node

    def remove(self, node_id: str) -> WorkerNode | None:
        return self._nodes.pop(node_id, None)

    def tick(self, now: float) -> list[tuple[WorkerNode, int]]:
        """Mark missing the workers silent for longer than ``liveness``; returns each with
        the users it had."""
        lost = []
        for node in self._nodes.values():
            if node.state != STATE_MISSING and now - node.last_heartbeat > self.liveness:
                lost.append((node, node.user_count))
                node.state = STATE_MISSING
                node.user_count = 0
                node.user_classes_count = {}
        return lost

    def with_state(self, *states: str) -> list[WorkerNode]:
        return [node for node in self._nodes.values() if node.state in states]

    @property
    def active(self) -> list[WorkerNode]:
        """Workers that can run users: connected and not missing."""
        return [node for node in self._nodes.values() if node.state != STATE_MISSING]

    @property
    def ready(self) -> list[WorkerNode]:
        return self.with_state(STATE_INIT)

    @property
    def spawning(self) -> list[WorkerNode]:
        return self.with_state(STATE_SPAWNING)

    @property
    def running(self) -> list[WorkerNode]:
        return self.with_state(STATE_RUNNING)

    @property
    def missing(self) -> list[WorkerNode]:
        return self.with_state(STATE_MISSING)

    @property
    def stopped(self) -> list[WorkerNode]:
        return self.with_state(STATE_STOPPED)

    def counts_by_state(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for node in self._nodes.values():
            counts[node.state] = counts.get(node.state, 0) + 1
        return counts
