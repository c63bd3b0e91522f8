"""Master and workers in one process: the transport of the runner tests.

Messages go through ``encode``/``decode`` exactly as on the wire, so a message that would not
survive msgpack fails here too. ``MemoryNetwork.cut(node_id)`` silences a worker in both
directions, the in-memory twin of a pulled cable or a ``kill -9``.
"""

from __future__ import annotations

from gevent.queue import Queue

from swarm.exceptions import ProtocolError
from swarm.rpc.messages import Message


class MemoryNetwork:
    """One master's socket and any number of workers' sockets, joined by queues."""

    def __init__(self) -> None:
        self._to_server: Queue[tuple[str, bytes]] = Queue()
        self._to_clients: dict[str, Queue[bytes]] = {}
        self._cut: set[str] = set()
        self.server = MemoryServer(self)

    def client(self, node_id: str) -> MemoryClient:
        """A new worker socket with the identity ``node_id`` (replacing one of that id)."""
        self._to_clients[node_id] = Queue()
        self._cut.discard(node_id)
        return MemoryClient(self, node_id)

    def cut(self, node_id: str) -> None:
        """From now on nothing passes between ``node_id`` and the master."""
        self._cut.add(node_id)

    def inject(self, node_id: str, raw: bytes) -> None:
        """Deliver raw bytes to the master as if ``node_id`` had sent them (garbage tests)."""
        self._to_server.put((node_id, raw))

    def _deliver_to_server(self, node_id: str, raw: bytes) -> None:
        if node_id not in self._cut:
            self._to_server.put((node_id, raw))

    def _deliver_to_client(self, node_id: str, raw: bytes) -> None:
        queue = self._to_clients.get(node_id)
        if queue is not None and node_id not in self._cut:
            queue.put(raw)


class MemoryServer:
    """The master's end of a ``MemoryNetwork``."""

    def __init__(self, network: MemoryNetwork) -> None:
        self._network = network
        self.closed = False

    def send_to(self, node_id: str, message: Message) -> None:
        if not self.closed:
            self._network._deliver_to_client(node_id, message.encode())

    def recv(self) -> tuple[str, Message]:
        node_id, raw = self._network._to_server.get()
        try:
            return node_id, Message.decode(raw)
        except ProtocolError as error:
            error.node_id = node_id
            raise

    def close(self, linger: float = 0.0) -> None:
        self.closed = True


class MemoryClient:
    """A worker's end of a ``MemoryNetwork``."""

    def __init__(self, network: MemoryNetwork, node_id: str) -> None:
        self._network = network
        self.node_id = node_id
        self._inbox = network._to_clients[node_id]
        self.closed = False

    def send(self, message: Message) -> None:
        if not self.closed:
            self._network._deliver_to_server(self.node_id, message.encode())

    def recv(self) -> Message:
        return Message.decode(self._inbox.get())

    def close(self, linger: float = 0.0) -> None:
        self.closed = True
