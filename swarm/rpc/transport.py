"""The two ends of a link, as runners see them; ``memory`` and ``zmq`` implement both.

Every call cooperates with gevent: ``recv`` blocks only the calling greenlet. Sends never
block for long: a message to a node that is gone is dropped, as a ZeroMQ ROUTER does, because
the master learns about lost workers from their heartbeats, not from failed sends.
"""

from __future__ import annotations

from typing import Protocol

from swarm.rpc.messages import Message


class ServerTransport(Protocol):
    """The master's end: one socket, every worker."""

    def send_to(self, node_id: str, message: Message) -> None:
        """Send ``message`` to the worker ``node_id`` (dropped if it is not connected)."""

    def recv(self) -> tuple[str, Message]:
        """The next message and the id of the node that sent it.

        An undecodable message raises ``ProtocolError``; the next ``recv`` goes on with the
        following message, so a server loop logs the error and keeps serving.
        """
        ...

    def close(self, linger: float = 0.0) -> None:
        """Stop listening, after up to ``linger`` seconds spent delivering pending messages."""


class ClientTransport(Protocol):
    """A worker's end: its link to the master."""

    node_id: str

    def send(self, message: Message) -> None:
        """Send ``message`` to the master (queued while the master is unreachable)."""

    def recv(self) -> Message:
        """The next message from the master; ``ProtocolError`` for an undecodable one."""
        ...

    def close(self, linger: float = 0.0) -> None:
        """Drop the link, after up to ``linger`` seconds spent delivering pending messages."""
