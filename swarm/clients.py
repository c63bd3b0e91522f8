"""Locust's module name for the HTTP client (``from locust.clients import HttpSession``)."""

from swarm.protocols.http import HttpSession, SwarmHttpAdapter
from swarm.protocols.http_response import ResponseContextManager, RestResponseContextManager

#: Locust's name for the adapter, for userfiles that mount or subclass it.
LocustHttpAdapter = SwarmHttpAdapter

__all__ = [
    "HttpSession",
    "LocustHttpAdapter",
    "ResponseContextManager",
    "RestResponseContextManager",
    "SwarmHttpAdapter",
]
