"""How a simulated worker speaks to a master: swarm's protocol and Locust 2.47's, byte for byte.

Imported by ``bench_master_sim.py`` in either virtual environment, so it needs msgpack only:
no swarm, no Locust. Each ``Wire`` builds the frames a real worker of its implementation
sends (``ready``, ``heartbeat``, ``stats``, custom messages, the answers to ``spawn`` and
``stop``) and reads what its master sends back.

swarm (``swarm/rpc/messages.py``): the envelope is the msgpack array
``[1, type, data, node_id]``; custom messages travel as ``type "custom"`` with
``{"type": ..., "data": ...}``. Locust (``locust/rpc/protocol.py``): the array
``[type, data, node_id]`` packed by ``msgpack.dumps`` (its ``default`` hook only touches
datetimes and ObjectIds, which no message here carries); a custom message is a message of its
own type.

Statistics are what make a simulator expensive, so a report is packed once (``stats_body``)
and framed per worker (``stats``) by splicing bytes: only the node id, and for swarm the
sequence number, differ between workers.
"""

from __future__ import annotations

import os
import socket
from typing import Any

import msgpack

#: The custom message the masterfile answers, and its reply.
STATS_REQUEST = "bench_stats"
STATS_REPLY = "bench_stats_reply"


def _packb(obj: Any) -> bytes:
    return msgpack.packb(obj, use_bin_type=True)


def _with_one_more_key(packed_map: bytes, key: str, value: Any) -> bytes:
    """``packed_map`` (a packed dict of at most 14 keys) with ``key: value`` appended."""
    size = packed_map[0] & 0x0F
    if packed_map[0] & 0xF0 != 0x80 or size >= 15:
        raise ValueError("only a msgpack fixmap of at most 14 keys can take one more key")
    return bytes((0x80 | (size + 1),)) + packed_map[1:] + _packb(key) + _packb(value)


class SwarmWire:
    """swarm's protocol, as ``swarm.runners.worker.WorkerRunner`` speaks it."""

    name = "swarm"

    def __init__(self, version: str, user_class: str) -> None:
        self.version = version
        self.user_class = user_class
        self._head = b"\x94" + _packb(1)

    def _frame(self, kind: str, data: Any, node_id: str) -> bytes:
        return _packb([1, kind, data, node_id])

    def ready(self, node_id: str) -> bytes:
        facts = {
            "version": self.version,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "user_classes": [self.user_class],
        }
        return self._frame("ready", facts, node_id)

    def heartbeat(self, node_id: str, user_count: int, cpu: float, memory: int) -> bytes:
        return self._frame("heartbeat", _beat(user_count, cpu, memory), node_id)

    def heartbeats(self, relay_id: str, beats: dict[str, tuple[int, float, int]]) -> bytes:
        """A host relay's one message a second: its workers' heartbeats by node id."""
        workers = {node_id: _beat(*facts) for node_id, facts in beats.items()}
        return self._frame("heartbeats", {"workers": workers}, relay_id)

    def stats_body(self, report: dict[str, Any], user_count: int) -> bytes:
        """A ``take_report()`` with the fields the worker adds, except ``seq``, packed."""
        data = dict(report, final=False, user_count=user_count)
        data["user_classes_count"] = {self.user_class: user_count}
        return _packb(data)

    def stats(self, body: bytes, packed_node_id: bytes, seq: int) -> bytes:
        return self._head + _packb("stats") + _with_one_more_key(body, "seq", seq) + packed_node_id

    def custom(self, kind: str, data: Any, node_id: str) -> bytes:
        return self._frame("custom", {"type": kind, "data": data}, node_id)

    def decode(self, raw: bytes) -> tuple[str, Any, str]:
        """(type, data, node id) of a master's frame (the node id names its recipient); a
        custom message gives its own type and data."""
        _version, kind, data, node = msgpack.unpackb(raw, raw=False, strict_map_key=False)
        if kind == "custom":
            return str(data["type"]), data.get("data"), node
        return kind, data, node

    def answers(self, kind: str, data: Any, node_id: str, user_count: int) -> list[bytes]:
        """What a real worker sends back for ``kind`` (nothing for what it only notes)."""
        if kind == "spawn":
            counts = {str(k): int(v) for k, v in data["user_classes_count"].items()}
            seq = data.get("seq", 0)
            done = {"seq": seq, "user_count": sum(counts.values()), "user_classes_count": counts}
            return [
                self._frame("spawning", {"seq": seq}, node_id),
                self._frame("spawning_complete", done, node_id),
            ]
        if kind == "stop":
            return [self._frame("stopped", None, node_id)]
        if kind == "reconnect":
            return [self.ready(node_id)]
        return []


class LocustWire:
    """Locust 2.47's protocol, as ``locust.runners.WorkerRunner`` speaks it."""

    name = "locust"

    def __init__(self, version: str, user_class: str) -> None:
        self.version = version
        self.user_class = user_class

    def _frame(self, kind: str, data: Any, node_id: str) -> bytes:
        return _packb([kind, data, node_id])

    def ready(self, node_id: str) -> bytes:
        return self._frame("client_ready", self.version, node_id)

    def heartbeat(self, node_id: str, user_count: int, cpu: float, memory: int) -> bytes:
        # a Locust worker's heartbeat carries no user count
        data = {"state": "running", "current_cpu_usage": cpu, "current_memory_usage": memory}
        return self._frame("heartbeat", data, node_id)

    def stats_body(self, report: dict[str, Any], user_count: int) -> bytes:
        """The data of ``stats``: Locust's report, then what ``report_to_master`` adds."""
        data = dict(report, user_classes_count={self.user_class: user_count})
        data["user_count"] = user_count
        return _packb(data)

    def stats(self, body: bytes, packed_node_id: bytes, seq: int) -> bytes:
        return b"\x93" + _packb("stats") + body + packed_node_id

    def custom(self, kind: str, data: Any, node_id: str) -> bytes:
        return self._frame(kind, data, node_id)

    def decode(self, raw: bytes) -> tuple[str, Any, str]:
        kind, data, node = msgpack.unpackb(raw, raw=False, strict_map_key=False)
        return kind, data, node

    def answers(self, kind: str, data: Any, node_id: str, user_count: int) -> list[bytes]:
        if kind == "spawn":
            counts = {str(k): int(v) for k, v in data["user_classes_count"].items()}
            done = {"user_classes_count": counts, "user_count": sum(counts.values())}
            return [
                self._frame("spawning", None, node_id),
                self._frame("spawning_complete", done, node_id),
            ]
        if kind == "stop":
            # a Locust worker reports it stopped, then registers again
            return [
                self._frame("client_stopped", None, node_id),
                self._frame("client_ready", self.version, node_id),
            ]
        if kind == "reconnect":
            return [self.ready(node_id)]
        return []


Wire = SwarmWire | LocustWire


def _beat(user_count: int, cpu: float, memory: int) -> dict[str, Any]:
    return {
        "state": "running",
        "current_cpu_usage": cpu,
        "current_memory_usage": memory,
        "user_count": user_count,
    }


def packed(text: str) -> bytes:
    """``text`` as a msgpack string, to append to frames built by ``Wire.stats``."""
    return _packb(text)
