"""Turn the bytes of one HTTP/1.1 response into a ``Response``; pure (httptools, no I/O).

``feed`` takes bytes as they arrive and says when the response is complete; ``feed_eof`` tells
the parser the connection ended, which completes a body delimited by the connection's close and
is an error anywhere else. One parser reads one response.
"""

from __future__ import annotations

import httptools

from swarm.protocols.fast.errors import HeadersTooLarge, IncompleteResponse, MalformedResponse
from swarm.protocols.fast.response import Headers, Response

#: Default limit on the status line plus headers, as in common servers and clients.
MAX_HEADER_BYTES = 64 * 1024


class ResponseParser:
    """Parser of one response, fed by a connection.

    ``head_only`` is for a response to HEAD: it has headers that describe a body that never comes,
    so the response is complete as soon as its headers are. Errors raised: ``MalformedResponse``
    (bad status line, bad chunk size, ...), ``HeadersTooLarge`` and, from ``feed_eof``,
    ``IncompleteResponse``.
    """

    __slots__ = (
        "_body",
        "_complete",
        "_head_bytes",
        "_head_only",
        "_headers",
        "_headers_complete",
        "_keep_alive",
        "_max_header_bytes",
        "_parser",
        "_reason",
        "received",
    )

    def __init__(self, *, head_only: bool = False, max_header_bytes: int = MAX_HEADER_BYTES):
        self._parser = httptools.HttpResponseParser(self)
        self._head_only = head_only
        self._max_header_bytes = max_header_bytes
        self._headers = Headers()
        self._body: list[bytes] = []
        self._reason = ""
        self._head_bytes = 0
        self._headers_complete = False
        self._complete = False
        self._keep_alive = False
        #: Bytes fed so far; zero means the server has sent nothing yet.
        self.received = 0

    # httptools callbacks: the parser calls these by name while ``feed_data`` runs.
    def on_status(self, status: bytes) -> None:
        self._reason = status.decode("latin-1")

    def on_header(self, name: bytes, value: bytes) -> None:
        self._head_bytes += len(name) + len(value) + 4
        self._headers.add(name.decode("latin-1"), value.decode("latin-1"))

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
        # Parsed fields are counted as they come; a head that never ends counts by bytes received.
        head_bytes = self._head_bytes if self._headers_complete else self.received
        if head_bytes > self._max_header_bytes:
            raise HeadersTooLarge(f"response headers exceed {self._max_header_bytes} bytes")
        return self._complete

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

    def _delimited_by_close(self) -> bool:
        has_length = "content-length" in self._headers
        chunked = "chunked" in (self._headers.get("transfer-encoding") or "").lower()
        return not has_length and not chunked

    def response(self) -> Response:
        """The complete response (body still encoded); only valid once ``feed`` returned True."""
        body = b"".join(self._body)
        return Response(
            status=self._parser.get_status_code(),
            reason=self._reason,
            http_version=self._parser.get_http_version(),
            headers=self._headers,
            body=body,
            raw_size=len(body),
            keep_alive=self._keep_alive,
        )
