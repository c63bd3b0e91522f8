"""The errors of swarm's fast HTTP/1.1 client, one tree under ``FastHttpError``::

    FastHttpError              base: anything that kept a request from getting a usable response
    ├── TransportError         the socket failed; no (complete) response came back
    │   ├── ConnectError       the connection could not be opened (refused, unreachable, DNS)
    │   │   └── TLSError       TLS failed (untrusted certificate, wrong host name, refused client)
    │   ├── ConnectionClosed   the server closed or reset the connection before any response byte
    │   └── Timeout            no progress within the timeout
    │       ├── ConnectTimeout     while connecting
    │       └── ReadTimeout        while sending the request or waiting for response bytes
    └── MalformedResponse      bytes came back but they are not a valid HTTP/1.1 response
        ├── IncompleteResponse the connection ended in the middle of the response
        ├── HeadersTooLarge    the status line and headers exceed the client's limit
        └── DecodingError      the body cannot be decoded from its Content-Encoding

Every error names the server (``host:port``) in its message, so a failure row in the stats is
readable on its own.
"""

from __future__ import annotations

from swarm.exceptions import SwarmError


class FastHttpError(SwarmError):
    """A request of the fast HTTP client failed; the message says where and why."""


class TransportError(FastHttpError):
    """The connection failed before a complete response could be read."""


class ConnectError(TransportError):
    """The connection to the server could not be opened (TCP, or TLS on top of it)."""


class TLSError(ConnectError):
    """TLS could not be set up: the server's certificate is not trusted or names another host,
    client and server share no protocol version or cipher, or the server refused the client
    (e.g. no client certificate; TLS 1.3 says so only when the first response is awaited)."""


class ConnectionClosed(TransportError):
    """The server closed or reset the connection before sending any byte of the response."""


class Timeout(TransportError):
    """An operation made no progress within the connection's timeout."""


class ConnectTimeout(Timeout, ConnectError):
    """Connecting took longer than the timeout."""


class ReadTimeout(Timeout):
    """Sending the request or receiving the response stalled longer than the timeout."""


class MalformedResponse(FastHttpError):
    """The server answered with bytes that are not a valid HTTP/1.1 response."""


class IncompleteResponse(MalformedResponse):
    """The connection ended after part of the response (e.g. a body shorter than announced)."""


class HeadersTooLarge(MalformedResponse):
    """The status line and headers are longer than the client accepts."""


class DecodingError(MalformedResponse):
    """The body does not decode with its ``Content-Encoding`` (gzip or deflate)."""
