"""One keep-alive HTTP/1.1 connection to one server, over a (gevent-cooperative) socket.

``Connection.request`` sends a request, reads the whole response and keeps the socket for the
next request when the server allows it. A kept socket that the server closed while idle is
noticed when the next request gets no byte back, and the request is sent once more on a fresh
socket; any other failure raises an error from ``swarm.protocols.fast.errors``.

How the socket is opened is a seam: ``open_socket`` (plain TCP by default) is where TLS comes
in, by wrapping the socket it returns.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable
from typing import NoReturn

from swarm.protocols.fast.decoding import decode
from swarm.protocols.fast.errors import (
    ConnectError,
    ConnectionClosed,
    ConnectTimeout,
    IncompleteResponse,
    ReadTimeout,
)
from swarm.protocols.fast.parser import MAX_HEADER_BYTES, ResponseParser
from swarm.protocols.fast.request import encode_request, host_header
from swarm.protocols.fast.response import Response

#: Opens a connected socket: ``open_socket(host, port, timeout)``; raises ``OSError``.
SocketOpener = Callable[[str, int, float | None], socket.socket]

_RECV_SIZE = 64 * 1024


def open_tcp(host: str, port: int, timeout: float | None) -> socket.socket:
    """Open a TCP socket to ``host:port`` with Nagle off (requests are written in one send)."""
    sock = socket.create_connection((host, port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


class _Stale(Exception):
    """Internal: a kept socket gave no byte of the response; the request may be retried."""


class Connection:
    """A keep-alive HTTP/1.1 connection to ``host:port``; one request at a time.

    ``timeout`` (seconds, None for none) bounds connecting and each wait for the socket, not the
    whole exchange, like requests' timeout. Not safe for concurrent use by several greenlets: a
    user owns its connections through its ``ConnectionPool``.
    """

    def __init__(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        *,
        open_socket: SocketOpener = open_tcp,
        default_port: int = 80,
        max_header_bytes: int = MAX_HEADER_BYTES,
    ) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self.host_header = host_header(host, port, default_port)
        self._open_socket = open_socket
        self._max_header_bytes = max_header_bytes
        self._sock: socket.socket | None = None

    @property
    def is_open(self) -> bool:
        """Whether a socket is kept for the next request."""
        return self._sock is not None

    def request(
        self,
        method: str,
        target: str,
        headers: Iterable[tuple[str, str]] = (),
        body: bytes = b"",
        *,
        decode_content: bool = True,
    ) -> Response:
        """Send ``method target`` with ``headers`` and ``body``; return the complete response.

        ``target`` is the request target as sent (path and query). With ``decode_content`` the
        body comes back decoded from gzip/deflate. A request on a kept socket that gets no
        response byte is retried once on a new socket (the server closed it while idle; no
        response byte means it did not process the request). Raises ``TransportError`` or
        ``MalformedResponse`` subclasses; after any error the socket is closed.
        """
        data = encode_request(method, target, headers, body, self.host_header)
        head_only = method == "HEAD"
        if self._sock is not None:
            try:
                return self._exchange(data, head_only, decode_content, reused=True)
            except _Stale:
                pass  # the kept socket is closed; the request goes out once more on a new one
        try:
            return self._exchange(data, head_only, decode_content, reused=False)
        except _Stale as stale:
            raise ConnectionClosed(f"{self._where()}: {stale}") from stale.__cause__

    def close(self) -> None:
        """Close the kept socket, if any; the next request opens a new one."""
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()

    def _exchange(
        self, data: bytes, head_only: bool, decode_content: bool, reused: bool
    ) -> Response:
        sock = self._sock if reused and self._sock is not None else self._connect()
        self._sock = sock
        parser = ResponseParser(head_only=head_only, max_header_bytes=self._max_header_bytes)
        try:
            self._send(sock, data)
            self._read(sock, parser)
        except BaseException:
            self.close()
            raise
        response = parser.response()
        if not response.keep_alive:
            self.close()
        if decode_content:
            response.body = decode(response.body, response.headers.get("content-encoding"))
        return response

    def _send(self, sock: socket.socket, data: bytes) -> None:
        try:
            sock.sendall(data)
        except TimeoutError as error:
            raise ReadTimeout(
                f"{self._where()}: request not sent within {self.timeout} s"
            ) from error
        except OSError as error:
            raise _Stale(f"connection lost while sending the request: {error}") from error

    def _read(self, sock: socket.socket, parser: ResponseParser) -> None:
        recv = sock.recv
        while True:
            try:
                chunk = recv(_RECV_SIZE)
            except TimeoutError as error:
                raise ReadTimeout(
                    f"{self._where()}: no response within {self.timeout} s"
                ) from error
            except OSError as error:
                self._closed_while_reading(parser, error)
            if chunk:
                if parser.feed(chunk):
                    return
            elif parser.feed_eof():
                return
            else:
                raise _Stale("the server closed the connection without a response")

    def _closed_while_reading(self, parser: ResponseParser, error: OSError) -> NoReturn:
        """A reset or broken pipe: stale when nothing arrived, else the response is cut short."""
        if parser.received == 0:
            raise _Stale(f"connection lost before the response: {error}") from error
        message = f"{self._where()}: connection lost mid-response: {error}"
        raise IncompleteResponse(message) from error

    def _connect(self) -> socket.socket:
        try:
            return self._open_socket(self.host, self.port, self.timeout)
        except TimeoutError as error:
            raise ConnectTimeout(
                f"{self._where()}: connect timed out after {self.timeout} s"
            ) from error
        except OSError as error:
            raise ConnectError(f"{self._where()}: cannot connect: {error}") from error

    def _where(self) -> str:
        return f"{self.host}:{self.port}"

    def __repr__(self) -> str:
        state = "open" if self.is_open else "closed"
        return f"<Connection {self._where()} {state}>"
