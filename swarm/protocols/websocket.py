"""WebSockets for users: ``WebSocketClient``, a ``websocket-client`` connection that reports
every operation, and ``WebSocketUser``, a user with one such client as its ``ws``.

Every operation fires the request event once, with request type ``"WS"``:

======================  ====================  ================================================
call                    name                  response_time (ms) / response_length (bytes)
======================  ====================  ================================================
``connect(path)``       ``connect <path>``    the TCP connect and handshake / 0
``send(data)``          ``send <name>``       writing the frame / the payload (UTF-8 for text)
``receive()``           ``recv <name>``       waiting for a message / its payload
``request(payload)``    ``send`` + ``recv``   the recv's time runs from the send to the reply
======================  ====================  ================================================

``<name>`` is the ``name`` argument, or else the path the client connected to.

Like ``HttpSession``, the client never raises for the target's behaviour: a refused or
rejected connection, a lost connection, a close from the server and a receive timeout are
failures in the statistics (the event's ``exception``), and the call returns ``False`` or
``None``. A receive timeout is a failure because a user that asks for a message expects one.
Mistakes in the userfile (a malformed URL, an unsupported scheme) raise ``ValueError``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

from websocket import (
    ABNF,
    WebSocket,
    WebSocketConnectionClosedException,
    WebSocketException,
    WebSocketTimeoutException,
)

from swarm.event import EventHook
from swarm.user.users import User, UserEnvironment

Message = str | bytes

REQUEST_TYPE = "WS"

#: The WebSocket scheme for each scheme a host may be given with.
_SCHEMES = {"ws": "ws", "wss": "wss", "http": "ws", "https": "wss"}

# What the target can do to a connection; anything else is a bug and propagates.
_TARGET_ERRORS = (WebSocketException, OSError)


def websocket_url(base_url: str | None, path_or_url: str) -> str:
    """The ``ws://``/``wss://`` URL to connect to: ``path_or_url`` itself when absolute,
    else joined to ``base_url``; ``http``/``https`` become ``ws``/``wss``.

    Raises ``ValueError`` for an unsupported scheme, or a path without a base URL.
    """
    if "://" in path_or_url:
        url = path_or_url
    elif base_url:
        url = f"{base_url.rstrip('/')}/{path_or_url.lstrip('/')}"
    else:
        raise ValueError(f"cannot connect to {path_or_url!r} without a host")
    scheme, _, rest = url.partition("://")
    if scheme.lower() not in _SCHEMES:
        raise ValueError(f"unsupported WebSocket URL scheme {scheme!r} in {url!r}")
    return f"{_SCHEMES[scheme.lower()]}://{rest}"


def _path_of(url: str) -> str:
    """The path and query of ``url``: what its requests are named after."""
    parts = urlsplit(url)
    return f"{parts.path or '/'}{'?' if parts.query else ''}{parts.query}"


def _payload_length(message: Message) -> int:
    return len(message.encode() if isinstance(message, str) else message)


class WebSocketClient:
    """One WebSocket connection at a time, reporting every operation to ``request_event``.

    ``reconnect=True``: once the connection is known to be lost (a failed send or receive, a
    close from the server), the next ``send``/``receive``/``request`` first connects again to
    the last URL (reported as a ``connect``), and a send that fails on a lost connection is
    retried once on a new one. Messages in flight when the connection dropped are lost.
    ``close()`` is final: no reconnect follows it until the next ``connect``.
    """

    def __init__(
        self,
        base_url: str | None,
        request_event: EventHook,
        user: User | None = None,
        timeout: float = 30.0,
        reconnect: bool = False,
    ) -> None:
        self.base_url = base_url
        self.request_event = request_event
        self.user = user
        #: Seconds for connecting and, by default, for each receive.
        self.timeout = timeout
        self.reconnect = reconnect
        #: The path (and query) of the last ``connect``: the default name of its messages.
        self.path = ""
        self._url: str | None = None
        self._headers: dict[str, str] = {}
        self._socket: WebSocket | None = None

    @property
    def connected(self) -> bool:
        """Whether a connection is open (as far as the client knows)."""
        return self._socket is not None and self._socket.connected

    def connect(
        self,
        path_or_url: str = "/",
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        name: str | None = None,
    ) -> bool:
        """Open a connection (closing any open one); True on success.

        ``headers`` are added to the handshake request and reused by reconnects.
        """
        url = websocket_url(self.base_url, path_or_url)
        self.close()
        self.path, self._url, self._headers = _path_of(url), url, dict(headers or {})
        return self._open(timeout, name)

    def send(self, data: Message, name: str | None = None) -> bool:
        """Send one text (``str``) or binary (``bytes``) message; True on success."""
        length = _payload_length(data)
        if not self._ensure_connected():
            return self._fire_closed("send", name, length)
        start_time, start = time.time(), time.perf_counter()
        error = self._write(data)
        if error is not None and self.reconnect and self._open(None, None):
            # The retry is what the user waits for; the failed attempt is not reported.
            start_time, start = time.time(), time.perf_counter()
            error = self._write(data)
        self._fire(self._label("send", name), start_time, start, length, error)
        return error is None

    def receive(self, timeout: float | None = None, name: str | None = None) -> Message | None:
        """The next text or binary message, waiting at most ``timeout`` seconds (default:
        ``self.timeout``); None, reported as a failure, on timeout or a lost connection.
        """
        if not self._ensure_connected():
            self._fire_closed("recv", name, 0)
            return None
        return self._receive_matching(None, timeout, name, time.time(), time.perf_counter())

    def request(
        self,
        payload: Message,
        match: Callable[[Message], bool],
        timeout: float | None = None,
        name: str | None = None,
    ) -> Message | None:
        """Send ``payload``, then receive until a message for which ``match`` is true, and
        return it; messages that do not match are discarded unreported.

        The ``recv`` event's response time is the round trip from the send to the reply. No
        matching reply within ``timeout`` seconds (default: ``self.timeout``) gives None,
        reported as a failed ``recv``.
        """
        start_time, start = time.time(), time.perf_counter()
        if not self.send(payload, name):
            return None
        return self._receive_matching(match, timeout, name, start_time, start)

    def close(self) -> None:
        """Close the connection (a close frame, then the socket); reports nothing."""
        sock, self._socket = self._socket, None
        if sock is not None:
            try:
                sock.close(timeout=1.0)
            except _TARGET_ERRORS:
                sock.shutdown()
        self._url = None

    def _ensure_connected(self) -> bool:
        if self.connected:
            return True
        return self.reconnect and self._url is not None and self._open(None, None)

    def _open(self, timeout: float | None, name: str | None) -> bool:
        assert self._url is not None  # set by connect()
        start_time, start = time.time(), time.perf_counter()
        sock = WebSocket(enable_multithread=False)
        error: Exception | None = None
        try:
            sock.connect(
                self._url,
                header=[f"{k}: {v}" for k, v in self._headers.items()],
                timeout=self.timeout if timeout is None else timeout,
            )
            self._socket = sock
        except _TARGET_ERRORS as e:
            sock.shutdown()
            error = e
        label = name or f"connect {self.path}"
        self._fire(label, start_time, start, 0, error)
        return error is None

    def _write(self, data: Message) -> Exception | None:
        """Send one frame; the error if the connection failed (and is now dropped)."""
        assert self._socket is not None  # callers check the connection first
        try:
            if isinstance(data, str):
                self._socket.send(data, ABNF.OPCODE_TEXT)
            else:
                self._socket.send_binary(data)
        except _TARGET_ERRORS as e:
            self._lost()
            return e
        return None

    def _receive_matching(
        self,
        match: Callable[[Message], bool] | None,
        timeout: float | None,
        name: str | None,
        start_time: float,
        start: float,
    ) -> Message | None:
        deadline = start + (self.timeout if timeout is None else timeout)
        error: Exception | None = None
        message: Message | None = None
        try:
            message = self._next_message(deadline)
            while match is not None and not match(message):
                message = self._next_message(deadline)
        except _TARGET_ERRORS as e:
            if not isinstance(e, WebSocketTimeoutException | TimeoutError):
                self._lost()
            error, message = e, None
        length = 0 if message is None else _payload_length(message)
        self._fire(self._label("recv", name), start_time, start, length, error)
        return message

    def _next_message(self, deadline: float) -> Message:
        """The next data message before ``deadline`` (a ``perf_counter`` time); raises
        ``WebSocketTimeoutException`` after it, and ``WebSocketConnectionClosedException`` for
        a close from the server.
        """
        assert self._socket is not None  # callers check the connection first
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            raise WebSocketTimeoutException("no message before the timeout")
        self._socket.settimeout(remaining)
        opcode, data = self._socket.recv_data()
        if opcode == ABNF.OPCODE_CLOSE:
            raise WebSocketConnectionClosedException(f"closed by the server {_close_reason(data)}")
        return data.decode() if opcode == ABNF.OPCODE_TEXT else bytes(data)

    def _lost(self) -> None:
        sock, self._socket = self._socket, None
        if sock is not None:
            sock.shutdown()

    def _label(self, kind: str, name: str | None) -> str:
        return f"{kind} {name or self.path}"

    def _fire_closed(self, kind: str, name: str | None, length: int) -> bool:
        now = time.perf_counter()
        error = WebSocketConnectionClosedException("not connected")
        self._fire(self._label(kind, name), time.time(), now, length, error)
        return False

    def _fire(
        self,
        name: str,
        start_time: float,
        start: float,
        length: int,
        exception: Exception | None,
    ) -> None:
        self.request_event.fire(
            request_type=REQUEST_TYPE,
            name=name,
            response_time=(time.perf_counter() - start) * 1000,
            response_length=length,
            response=None,
            context=self.user.context() if self.user is not None else {},
            exception=exception,
            start_time=start_time,
            url=self._url,
        )


def _close_reason(data: bytes) -> str:
    """``(code 1000)`` or ``(code 1001: going away)`` from a close frame's payload."""
    if len(data) < 2:
        return "(no code)"
    code = int.from_bytes(data[:2], "big")
    reason = data[2:].decode(errors="replace")
    return f"(code {code}: {reason})" if reason else f"(code {code})"


class WebSocketUser(User):
    """A user whose ``ws`` is a ``WebSocketClient`` on its ``host`` (``http://`` hosts become
    ``ws://``). Nothing is connected until the user calls ``self.ws.connect(path)``, usually
    in ``on_start``; ``on_stop`` closes the connection (call ``super().on_stop()`` when
    overriding it).

    Class settings: ``ws_timeout`` (seconds for connecting and receiving), ``reconnect``
    (connect again on the next call after the connection was lost).
    """

    abstract = True
    ws_timeout: float = 30.0
    reconnect: bool = False
    ws: WebSocketClient

    def __init__(self, environment: UserEnvironment) -> None:
        super().__init__(environment)
        self.ws = WebSocketClient(
            base_url=self.host,
            request_event=environment.events.request,
            user=self,
            timeout=self.ws_timeout,
            reconnect=self.reconnect,
        )

    def on_stop(self) -> None:
        """Close the connection."""
        self.ws.close()


__all__ = ["Message", "WebSocketClient", "WebSocketUser", "websocket_url"]
