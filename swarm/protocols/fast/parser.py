"""Turn the bytes of one HTTP/1.1 response into a ``Response``; pure (httptools, no I/O).

``feed`` takes bytes as they arrive and says when the response is complete; ``feed_eof`` tells
the parser the connection ended, which completes a body delimited by the connection's close and
is an error anywhere else. One parser reads one response. A streamed response is taken in two
steps: ``head`` once the headers are in, then its body bytes with ``take_body`` as they come.
"""

from __future__ import annotations

import httptools

from swarm.protocols.fast.errors import HeadersTooLarge, IncompleteResponse, MalformedResponse
from swarm.protocols.fast.response import Headers, Response

#: Default limit on the status line plus headers, as in common servers and clients.
MAX_HEADER_BYTES = 64 * 1024


class _Trailing(Exception):
    """Raised from a callback to stop llhttp at the end of the response."""


class ResponseParser:
    """Parser of one response, fed by a connection.

    ``head_only`` is for a response to HEAD: it has headers that describe a body that never comes,
    so the response is complete as soon as its headers are. Errors raised: ``MalformedResponse``
    (bad status line, bad chunk size, ...), ``HeadersTooLarge`` and, from ``feed_eof``,
    ``IncompleteResponse``.

    A connection may ``reset`` a parser whose response ended cleanly (``reusable``) and use it
    for its next response: llhttp keeps reading the connection's byte stream, and making a new
    one per response was a tenth of a request's CPU time with thousands of users.
    """

    __slots__ = (
        "_body",
        "_complete",
        "_fields",
        "_head_only",
        "_headers_complete",
        "_keep_alive",
        "_max_header_bytes",
        "_parser",
        "_reason",
        "_trailing",
        "received",
    )

    def __init__(self, *, head_only: bool = False, max_header_bytes: int = MAX_HEADER_BYTES):
        self._parser = httptools.HttpResponseParser(self)
        self._head_only = head_only
        self._max_header_bytes = max_header_bytes
        self._fields: list[tuple[bytes, bytes]] = []
        self._body: list[bytes] = []
        self._reason = b""
        self._headers_complete = False
        self._complete = False
        self._keep_alive = False
        self._trailing = False
        #: Bytes fed so far; zero means the server has sent nothing yet.
        self.received = 0

    def reset(self) -> None:
        """Make ready for the connection's next response (only when ``reusable``, after
        ``response``); the response read so far is no longer referred to."""
        self._fields = []
        self._body = []
        self._headers_complete = False
        self._complete = False
        self.received = 0

    @property
    def reusable(self) -> bool:
        """Whether the next response on the connection may be read with this parser: this one
        ended cleanly, with its body (not HEAD) and no byte after it, on a kept connection."""
        return self._complete and self._keep_alive and not self._head_only and not self._trailing

    # httptools callbacks: the parser calls these by name while ``feed_data`` runs.
    # They do as little as they can: they run for every response.
    def on_message_begin(self) -> None:
        if self._complete:
            # Bytes after the response, which llhttp takes for another one: stop there, keep
            # the response as it was, and let the connection go (a server that sends what
            # was not asked for cannot be trusted with the next request).
            self._trailing = True
            raise _Trailing

    def on_status(self, status: bytes) -> None:
        self._reason = status

    def on_header(self, name: bytes, value: bytes) -> None:
        self._fields.append((name, value))

    def on_headers_complete(self) -> None:
        self._headers_complete = True
        if self._head_only:
            self._on_complete()

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        self._on_complete()

    def _on_complete(self) -> None:
        # llhttp forgets the connection's keep-alive state once the message is over: read it now.
        self._keep_alive = self._parser.should_keep_alive()
        self._complete = True

    def feed(self, data: bytes) -> bool:
        """Parse the next bytes of the response; return True once it is complete.

        Bytes after the end of the response are ignored (the client never pipelines).
        """
        self.received += len(data)
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as error:
            if self._complete:
                return True
            raise MalformedResponse(f"malformed response: {error}") from error
        # Only a response of more bytes than the limit can have a head over the limit.
        if self.received > self._max_header_bytes and self._head_bytes() > self._max_header_bytes:
            raise HeadersTooLarge(f"response headers exceed {self._max_header_bytes} bytes")
        return self._complete

    def _head_bytes(self) -> int:
        """The head's size: its parsed fields once complete, else every byte received."""
        if not self._headers_complete:
            return self.received
        return sum(len(name) + len(value) + 4 for name, value in self._fields)

    def feed_eof(self) -> bool:
        """Note that the connection ended; return True when that completed the response.

        Raises ``IncompleteResponse`` when the response had started but its end was not the
        connection's close. Returns False when nothing at all was received.
        """
        if self._complete:
            return True
        if self.received == 0:
            return False
        if self._headers_complete and self._delimited_by_close():
            self._complete = True
            return True
        where = "body" if self._headers_complete else "status line or headers"
        raise IncompleteResponse(f"connection closed in the middle of the response {where}")

    @property
    def complete(self) -> bool:
        """Whether the whole response has been parsed."""
        return self._complete

    @property
    def headers_complete(self) -> bool:
        """Whether the status line and headers have been parsed."""
        return self._headers_complete

    @property
    def keep_alive(self) -> bool:
        """Whether the connection stays usable after this response; known once the headers are."""
        # Before the message completes llhttp still knows; after, only what _on_complete saved.
        return self._keep_alive if self._complete else self._parser.should_keep_alive()

    def take_body(self) -> bytes:
        """The body bytes parsed since the last call (still encoded), for a streamed response."""
        body = b"".join(self._body)
        self._body.clear()
        return body

    def head(self) -> Response:
        """The response without its body (``body`` empty, ``raw_size`` 0), for a streamed
        response; only valid once ``headers_complete``."""
        return Response(
            status=self._parser.get_status_code(),
            reason=self._reason.decode("latin-1"),
            http_version=self._parser.get_http_version(),
            headers=Headers.from_wire(self._fields),
            keep_alive=self.keep_alive,
        )

    def _delimited_by_close(self) -> bool:
        headers = Headers.from_wire(self._fields)
        chunked = "chunked" in (headers.get("transfer-encoding") or "").lower()
        return "content-length" not in headers and not chunked

    def response(self) -> Response:
        """The complete response (body still encoded); only valid once ``feed`` returned True."""
        body = b"".join(self._body)
        return Response(
            status=self._parser.get_status_code(),
            reason=self._reason.decode("latin-1"),
            http_version=self._parser.get_http_version(),
            headers=Headers.from_wire(self._fields),
            body=body,
            raw_size=len(body),
            keep_alive=self._keep_alive and not self._trailing,
        )
