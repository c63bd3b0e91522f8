"""One keep-alive HTTP/1.1 connection to one server, over a (gevent-cooperative) socket.

``Connection.request`` sends a request, reads the whole response and keeps the socket for the
next request when the server allows it. A kept socket that the server closed while idle is
noticed when the next request gets no byte back, and the request is sent once more on a fresh
socket; any other failure raises an error from ``swarm.protocols.fast.errors``. With
``stream=True`` the request returns after the headers and the body is read through the
response's ``stream``; the next request on the connection closes the socket if that body was
left unread.

How the socket is opened is a seam: ``open_socket`` (plain TCP by default) is where TLS comes
in (``tls.open_tls`` wraps the socket ``open_tcp`` returns).
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable, Iterable
from functools import partial
from typing import NoReturn

from gevent import Timeout

from swarm.protocols.fast.decoding import decode
from swarm.protocols.fast.errors import (
    ConnectError,
    ConnectionClosed,
    ConnectTimeout,
    IncompleteResponse,
    ReadTimeout,
    TLSError,
)
from swarm.protocols.fast.parser import MAX_HEADER_BYTES, ResponseParser
from swarm.protocols.fast.request import encode_request, host_header
from swarm.protocols.fast.response import Response
from swarm.protocols.fast.stream import StreamDecoder, StreamingBody

#: Opens a connected socket: ``open_socket(host, port, timeout)``; raises ``OSError`` (mapped to
#: ``ConnectError``/``ConnectTimeout``) or a ``FastHttpError`` of its own, passed on as it is.
SocketOpener = Callable[[str, int, float | None], socket.socket]

_RECV_SIZE = 64 * 1024


class _Default:
    """The type of ``DEFAULT``: "the connection's own timeout" in ``Connection.request``."""


DEFAULT = _Default()


def open_tcp(host: str, port: int, timeout: float | None) -> socket.socket:
    """Open a TCP socket to ``host:port`` with Nagle off (requests are written in one send)."""
    sock = socket.create_connection((host, port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _readable_waiter(sock: socket.socket) -> Callable[[], None] | None:
    """A call that blocks (cooperatively) until ``sock`` is readable, for a plain gevent socket.

    It uses the socket's own read watcher (``_wait``/``_read_event``, how gevent's ``recv``
    waits). None for a TLS socket, whose decrypted bytes may already be waiting in the TLS
    layer, and for sockets that are not gevent's.
    """
    wait = getattr(sock, "_wait", None)
    event = getattr(sock, "_read_event", None)
    if wait is None or event is None or isinstance(sock, ssl.SSLSocket):
        return None
    return partial(wait, event)


def _is_tls_alert(error: OSError) -> bool:
    """Whether ``error`` is an SSL error other than the connection just ending."""
    return isinstance(error, ssl.SSLError) and not isinstance(
        error, ssl.SSLEOFError | ssl.SSLZeroReturnError
    )


class _Stale(Exception):
    """Internal: a kept socket gave no byte of the response; the request may be retried."""


class Connection:
    """A keep-alive HTTP/1.1 connection to ``host:port``; one request at a time.

    ``timeout`` (seconds, None for none) bounds connecting, and then each exchange: sending the
    request and receiving the whole response (with ``stream``, its headers; then each read of the
    body). One timer per connection, started and stopped around each exchange, does this: cheaper
    than gevent's per-wait timers of a socket timeout, which cost a timer object at every wait
    for the server. Not safe for concurrent use by several greenlets: a user owns its
    connections through its ``ConnectionPool``.
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
        #: The parser of a streamed response whose body is still on the socket.
        self._streaming: ResponseParser | None = None
        self._timer: Timeout | None = None
        #: Waits until the plain socket is readable (None for a TLS or non-gevent socket).
        self._wait_readable: Callable[[], None] | None = None
        #: The parser of the last response, kept for the next one when it ended cleanly.
        self._kept_parser: ResponseParser | None = None
        #: The bytes of the last request without a body, sent again as they are when the
        #: next request is the same (a load test's usual case).
        self._last_request: tuple[tuple[object, ...], bytes] | None = None

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
        stream: bool = False,
        timeout: float | _Default | None = DEFAULT,
    ) -> Response:
        """Send ``method target`` with ``headers`` and ``body``; return the response.

        ``target`` is the request target as sent (path and query). With ``decode_content`` the
        body comes back decoded from gzip/deflate. With ``stream`` the response comes back once
        its headers are read, with an empty ``body`` and the body to read from
        ``response.stream`` (a ``StreamingBody``) before the next request on this connection,
        which otherwise closes the socket to drop the unread rest. A request on a kept socket
        that gets no response byte is retried once on a new socket (the server closed it while
        idle; no response byte means it did not process the request). ``timeout`` replaces the
        connection's for this request's exchange. Raises ``TransportError`` or
        ``MalformedResponse`` subclasses; after any error the socket is closed.
        """
        if self._streaming is not None:
            self.close()  # the last streamed body was not read to its end
        data = self._encode(method, target, headers, body)
        head_only = method == "HEAD"
        timer = self._timer_for(timeout)
        if self._sock is not None:
            try:
                return self._exchange(data, head_only, decode_content, stream, timer, reused=True)
            except _Stale:
                pass  # the kept socket is closed; the request goes out once more on a new one
        try:
            return self._exchange(data, head_only, decode_content, stream, timer, reused=False)
        except _Stale as stale:
            raise ConnectionClosed(f"{self._where()}: {stale}") from stale.__cause__

    def _encode(
        self, method: str, target: str, headers: Iterable[tuple[str, str]], body: bytes
    ) -> bytes:
        """The request's bytes; the last ones again when nothing differs (no body, same method,
        target and headers), which spares serialising and checking them."""
        if body:
            return encode_request(method, target, headers, body, self.host_header)
        pairs = tuple(headers)
        key = (method, target, pairs)
        last = self._last_request
        if last is not None and last[0] == key:
            return last[1]
        data = encode_request(method, target, pairs, body, self.host_header)
        self._last_request = (key, data)
        return data

    def _timer_for(self, timeout: float | _Default | None) -> Timeout | None:
        """The timer bounding an exchange: the connection's own, or a one-off for ``timeout``."""
        if timeout is DEFAULT or timeout == self.timeout:
            if self._timer is None and self.timeout is not None:
                self._timer = Timeout(self.timeout)
            return self._timer
        return None if timeout is None else Timeout(timeout)

    def close(self) -> None:
        """Close the kept socket, if any; the next request opens a new one. The body of a
        streamed response not yet read to its end can no longer be read."""
        sock, self._sock = self._sock, None
        self._wait_readable = None
        self._streaming = None
        self._kept_parser = None  # its llhttp state belongs to the closed byte stream
        if sock is not None:
            sock.close()

    def _exchange(
        self,
        data: bytes,
        head_only: bool,
        decode_content: bool,
        stream: bool,
        timer: Timeout | None,
        reused: bool,
    ) -> Response:
        sock = self._sock if reused and self._sock is not None else self._connect()
        self._sock = sock
        if timer is not None:
            timer.start()
        try:
            self._send(sock, data)
            if stream:
                parser = self._parser(head_only)
                self._read(sock, parser, stream)
                return self._start_stream(parser, decode_content, timer)
            response = self._receive(sock, head_only)
        except Timeout as expired:
            self.close()
            if expired is not timer:
                raise
            raise ReadTimeout(f"{self._where()}: no response within {timer.seconds} s") from None
        except BaseException:
            self.close()
            raise
        finally:
            if timer is not None:
                timer.cancel()
        if not response.keep_alive:
            self.close()
        if decode_content and response.body:
            encoding = response.headers.get("content-encoding")
            if encoding is not None:
                response.body = decode(response.body, encoding)
        return response

    def _parser(self, head_only: bool) -> ResponseParser:
        return ResponseParser(head_only=head_only, max_header_bytes=self._max_header_bytes)

    def _receive(self, sock: socket.socket, head_only: bool) -> Response:
        """The whole response, read and parsed."""
        try:
            if self._wait_readable is not None:
                # The answer is never there the moment the request is sent: a recv() now
                # would be a system call and an exception for nothing. Wait for it first.
                self._wait_readable()
            chunk = sock.recv(_RECV_SIZE)
        except TimeoutError as error:
            raise ReadTimeout(f"{self._where()}: no response within {self.timeout} s") from error
        except OSError as error:
            self._closed_while_reading(0, error)
        if not chunk:
            raise _Stale("the server closed the connection without a response")
        parser = self._kept_parser
        self._kept_parser = None
        if parser is None or head_only:
            parser = self._parser(head_only)
        if not parser.feed(chunk):
            self._read(sock, parser, stream=False)
        response = parser.response()
        if parser.reusable:
            parser.reset()  # now, so that a kept parser holds no response between requests
            self._kept_parser = parser
        return response

    def _start_stream(
        self, parser: ResponseParser, decode_content: bool, timer: Timeout | None
    ) -> Response:
        """The streamed response, its body left on the socket unless it is already complete."""
        response = parser.head()
        encoding = response.headers.get("content-encoding") if decode_content else None
        decoder = StreamDecoder(encoding) if encoding else None
        response.stream = StreamingBody(
            response,
            parser,
            lambda: self._pull(parser, timer),
            lambda: self._drop(parser),
            decoder,
        )
        if parser.complete:
            self._finish_stream(parser)
        else:
            self._streaming = parser
        return response

    def _pull(self, parser: ResponseParser, timer: Timeout | None) -> None:
        """Read more of the streamed response of ``parser`` (its ``StreamingBody`` calls this),
        each read bounded by the exchange's ``timer``."""
        if self._streaming is not parser or self._sock is None:
            raise IncompleteResponse(
                f"{self._where()}: the streamed body was dropped before it was read to its end"
                " (a later request or close() on its connection)"
            )
        if timer is not None:
            timer.start()
        try:
            self._read(self._sock, parser, stream=True)
        except Timeout as expired:
            self.close()
            if expired is not timer:
                raise
            message = f"{self._where()}: the body stalled for {timer.seconds} s"
            raise ReadTimeout(message) from None
        except BaseException:
            self.close()
            raise
        finally:
            if timer is not None:
                timer.cancel()
        if parser.complete:
            self._finish_stream(parser)

    def _finish_stream(self, parser: ResponseParser) -> None:
        """The streamed response has all arrived: keep the socket for the next request if the
        server allows."""
        self._streaming = None
        if not parser.keep_alive:
            self.close()

    def _drop(self, parser: ResponseParser) -> None:
        """The caller gave up the streamed body of ``parser``: close its socket if still unread."""
        if self._streaming is parser:
            self.close()

    def _send(self, sock: socket.socket, data: bytes) -> None:
        # One send() takes a request whole; gevent's sendall() would first ask the kernel for
        # the socket's buffer size (a system call per request).
        try:
            sent = sock.send(data)
            if sent < len(data):
                sock.sendall(data[sent:])
        except OSError as error:
            raise _Stale(f"connection lost while sending the request: {error}") from error

    def _read(self, sock: socket.socket, parser: ResponseParser, stream: bool) -> None:
        """Read until the response is complete or, with ``stream``, until its headers are in
        (once they are, that is after a single read: how a streamed body is pulled)."""
        recv = sock.recv
        while True:
            try:
                chunk = recv(_RECV_SIZE)
            except TimeoutError as error:
                raise ReadTimeout(
                    f"{self._where()}: no response within {self.timeout} s"
                ) from error
            except OSError as error:
                self._closed_while_reading(parser.received, error)
            if chunk:
                # The hot path: a whole response, so the stream test is never reached.
                if parser.feed(chunk) or (stream and parser.headers_complete):
                    return
            elif parser.feed_eof():
                return
            else:
                raise _Stale("the server closed the connection without a response")

    def _closed_while_reading(self, received: int, error: OSError) -> NoReturn:
        """A reset or broken pipe: stale when nothing arrived, else the response is cut short.

        A TLS alert before the response is the server refusing the session, not an idle close:
        TLS 1.3 servers check a client certificate after the client's side of the handshake is
        done, so a missing one is first heard of here.
        """
        if received == 0:
            if _is_tls_alert(error):
                raise TLSError(f"{self._where()}: TLS refused by the server: {error}") from error
            raise _Stale(f"connection lost before the response: {error}") from error
        message = f"{self._where()}: connection lost mid-response: {error}"
        raise IncompleteResponse(message) from error

    def _connect(self) -> socket.socket:
        try:
            sock = self._open_socket(self.host, self.port, self.timeout)
            sock.settimeout(None)  # from here on, the exchange's timer bounds every wait
        except TimeoutError as error:
            raise ConnectTimeout(
                f"{self._where()}: connect timed out after {self.timeout} s"
            ) from error
        except OSError as error:
            raise ConnectError(f"{self._where()}: cannot connect: {error}") from error
        self._wait_readable = _readable_waiter(sock)
        return sock

    def _where(self) -> str:
        return f"{self.host}:{self.port}"

    def __repr__(self) -> str:
        state = "open" if self.is_open else "closed"
        return f"<Connection {self._where()} {state}>"
