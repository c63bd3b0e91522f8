"""The wire between nodes: messages, their encoding, and the transports that carry them.

``messages`` defines the versioned envelope every message travels in; ``memory`` is an
in-process transport for tests and for runners living in one process; ``zmq`` is the real one
(a ROUTER on the master, a DEALER per worker). Runners see only the two small interfaces of
``transport``, so they never know which one they use.
"""

from swarm.rpc.messages import PROTOCOL_VERSION, Message
from swarm.rpc.transport import ClientTransport, ServerTransport

__all__ = ["PROTOCOL_VERSION", "ClientTransport", "Message", "ServerTransport"]
