"""swarm's own lean HTTP/1.1 client over gevent sockets and the httptools parser.

Layers, bottom up: ``request`` (serialise a request) and ``parser``/``decoding`` (read a
response) are pure; ``connection`` does the socket I/O for one server and ``stream`` reads a
streamed response's body from it; ``pool`` keeps one user's connections, and ``tls`` gives the
pool a factory for ``https`` ones. Errors are in ``errors`` (its docstring draws the tree).
The requests-like API that ``FastHttpUser`` offers is built on ``ConnectionPool`` and
``Connection.request``.
"""

from __future__ import annotations

from swarm.protocols.fast.connection import Connection, open_tcp
from swarm.protocols.fast.errors import (
    ConnectError,
    ConnectionClosed,
    ConnectTimeout,
    DecodingError,
    FastHttpError,
    HeadersTooLarge,
    IncompleteResponse,
    MalformedResponse,
    ReadTimeout,
    Timeout,
    TLSError,
    TransportError,
)
from swarm.protocols.fast.pool import ConnectionPool
from swarm.protocols.fast.response import Headers, Response
from swarm.protocols.fast.stream import StreamingBody

__all__ = [
    "ConnectError",
    "ConnectTimeout",
    "Connection",
    "ConnectionClosed",
    "ConnectionPool",
    "DecodingError",
    "FastHttpError",
    "Headers",
    "HeadersTooLarge",
    "IncompleteResponse",
    "MalformedResponse",
    "ReadTimeout",
    "Response",
    "StreamingBody",
    "TLSError",
    "Timeout",
    "TransportError",
    "open_tcp",
]
