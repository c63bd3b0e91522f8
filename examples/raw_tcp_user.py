"""A raw TCP user: a line protocol over a gevent socket, every exchange reported as a request.

``LineClient`` sends one line and reads one line back, timed with ``events.request.measure()``
and fired as one request of type ``tcp``: connecting is a request named ``connect``, and each
exchange is named by its caller (``name=``) or after the line's first word. A refused or
dropped connection, a timeout, or a reply other than the one expected is that request's
failure. See docs/custom-protocols.md for the walk-through.

It expects a server that answers each line with the same line (an echo server) and runs with:

    swarm -f examples/raw_tcp_user.py --headless -u 5 -r 5 -t 10s -H tcp://127.0.0.1:7000
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from gevent import socket

from swarm import User, between, task
from swarm.event import EventHook

#: Seconds to wait for a connection or a reply before the request fails.
TIMEOUT_S = 5.0


class LineClient:
    """One connection to ``host:port`` speaking newline-terminated UTF-8 lines.

    ``request`` returns the reply (without its newline), or None when the request failed;
    after a failure the connection is closed, and the next request opens a new one.
    """

    def __init__(self, host: str, port: int, request_event: EventHook) -> None:
        self.address = (host, port)
        self._request_event = request_event
        self._sock: socket.socket | None = None
        self._reader: Any = None

    def connect(self) -> None:
        """Open the connection, reported as the request ``connect``."""
        with self._request_event.measure("tcp", "connect"):
            self._sock = socket.create_connection(self.address, timeout=TIMEOUT_S)
            self._reader = self._sock.makefile("rb")

    def request(self, line: str, name: str | None = None, expect: str | None = None) -> str | None:
        """Send ``line``, read the reply; a reply other than ``expect`` (when given) fails."""
        if self._sock is None:
            self.connect()
            if self._sock is None:
                return None  # the failed connect was reported; nothing to send on
        with self._request_event.measure("tcp", name or line.split(" ", 1)[0]) as meta:
            try:
                reply = self._exchange(line)
            except OSError:
                self.close()
                raise
            meta["response_length"] = len(reply)
            text = reply.decode().rstrip("\n")
            if expect is not None and text != expect:
                raise ValueError(f"expected {expect!r}, got {text!r}")
            meta["response"] = text
        return meta["response"]

    def close(self) -> None:
        """Close the connection, if open; the next request reconnects."""
        sock, reader, self._sock, self._reader = self._sock, self._reader, None, None
        if reader is not None:
            reader.close()
        if sock is not None:
            sock.close()

    def _exchange(self, line: str) -> bytes:
        assert self._sock is not None
        self._sock.sendall(line.encode() + b"\n")
        reply: bytes = self._reader.readline()
        if not reply.endswith(b"\n"):
            raise ConnectionError("the server closed the connection before replying")
        return reply


class LineUser(User):
    """A User whose ``client`` is a ``LineClient`` on its host (``-H tcp://HOST:PORT``)."""

    abstract = True
    client: LineClient

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        parts = urlsplit(self.host or "")
        if parts.scheme != "tcp" or not parts.hostname or not parts.port:
            raise ValueError(
                f"LineUser needs a host such as tcp://127.0.0.1:7000, not {self.host!r}"
            )
        self.client = LineClient(parts.hostname, parts.port, environment.events.request)

    def on_start(self) -> None:
        self.client.connect()

    def on_stop(self) -> None:
        self.client.close()


class Echoer(LineUser):
    wait_time = between(0.01, 0.05)

    @task(3)
    def hello(self) -> None:
        self.client.request("HELLO swarm", expect="HELLO swarm")

    @task(1)
    def ping(self) -> None:
        self.client.request("PING", expect="PING")
