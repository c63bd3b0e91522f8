"""``DemoTarget``: the demo shop served over HTTP by gevent, in the background or foreground."""

from __future__ import annotations

import socket
from types import TracebackType
from typing import Any

from gevent.pywsgi import WSGIServer

from swarm.demo.shop import Shop

#: How long ``stop()`` lets requests in progress finish before it cuts them off.
STOP_TIMEOUT = 2.0


class _Server(WSGIServer):
    """pywsgi sends a response's headers and body in two writes; without TCP_NODELAY, Nagle's
    algorithm holds the body back until the client's delayed ACK, adding ~40 ms per request
    on a kept-alive connection.
    """

    def handle(self, sock: Any, address: Any) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().handle(sock, address)


class DemoTarget:
    """The demo shop (see ``swarm.demo.shop``) on ``host:port``; port 0 picks a free port.

    ``start()`` binds and returns at once, serving in greenlets of the current hub; ``stop()``
    ends pending latency waits, closes the socket and waits for the requests in progress.
    Also a context manager (``with DemoTarget() as target: ... target.url ...``).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int | None = None,
        latency_scale: float = 1.0,
        error_rate: float = 0.02,
    ) -> None:
        self.host = host
        self._requested_port = port
        self.shop = Shop(seed=seed, latency_scale=latency_scale, error_rate=error_rate)
        self._server: _Server | None = None

    def start(self) -> DemoTarget:
        """Bind and start serving; returns self. An OSError if the address is taken."""
        if self._server is not None:
            raise RuntimeError("this DemoTarget is already started")
        server = _Server((self.host, self._requested_port), self.shop, log=None)
        server.start()
        self._server = server
        return self

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Stop serving; safe to call twice."""
        server, self._server = self._server, None
        if server is None:
            return
        self.shop.close()
        server.stop(timeout=timeout)

    @property
    def port(self) -> int:
        """The port it listens on (the one picked, when started with port 0)."""
        if self._server is None:
            raise RuntimeError("the DemoTarget is not started")
        return int(self._server.server_port)

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:54321``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def counts(self) -> dict[tuple[str, str], int]:
        """Requests received so far by ``(method, route template)`` (a copy)."""
        return dict(self.shop.counts)

    @property
    def total_served(self) -> int:
        """Requests received so far, /__stats and /__reset excepted."""
        return self.shop.total_served

    def reset(self) -> None:
        """Zero the counts, as ``POST /__reset`` does."""
        self.shop.reset_counts()

    def __enter__(self) -> DemoTarget:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
