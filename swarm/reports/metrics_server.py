"""``--metrics-port``: ``/metrics`` served by gevent in this process, for runs without a web UI.

:class:`MetricsServer` binds in ``start()`` (a port in use is a ``ConfigError`` at once) and
serves in a greenlet until ``stop()``. It answers ``GET /metrics`` with the Environment's
metrics (:mod:`swarm.reports.prometheus`) and 404 to anything else. With the web UI the same
metrics are at the UI's ``/metrics`` (:mod:`swarm.web.metrics`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import gevent
from gevent.pywsgi import WSGIServer

from swarm.listen import listening_socket
from swarm.reports.prometheus import CONTENT_TYPE, exposition, metrics_registry

if TYPE_CHECKING:
    from swarm.env import Environment

logger = logging.getLogger(__name__)

#: Where ``--metrics-port`` listens when ``--metrics-host`` is not given: this machine only.
DEFAULT_METRICS_HOST = "127.0.0.1"

METRICS_PATH = "/metrics"

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


class MetricsServer:
    """``/metrics`` of one Environment on ``host:port`` (port 0: a free one, see ``.port``)."""

    def __init__(
        self, environment: Environment, host: str = DEFAULT_METRICS_HOST, port: int = 0
    ) -> None:
        self.registry = metrics_registry(environment)
        self.host = host
        self.port = port
        self.server: WSGIServer | None = None
        self.greenlet: gevent.Greenlet | None = None

    @property
    def url(self) -> str:
        """The metrics' address as a scraper on this machine would use it."""
        host = "127.0.0.1" if self.host in ("", "*", "0.0.0.0") else self.host
        return f"http://{f'[{host}]' if ':' in host else host}:{self.port}{METRICS_PATH}"

    def start(self) -> None:
        """Bind and serve in a greenlet; ConfigError when the address cannot be used."""
        listener = listening_socket(self.host, self.port, "metrics")
        self.port = listener.getsockname()[1]
        self.server = WSGIServer(listener, self._app, log=None, error_log=logger)
        self.greenlet = gevent.spawn(self.server.serve_forever)
        logger.info("Prometheus metrics at %s", self.url)

    def stop(self) -> None:
        """Stop serving; open connections are closed. A second call does nothing."""
        if self.server is not None:
            self.server.stop(timeout=1)
            self.server = None

    def _app(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != METRICS_PATH:
            start_response("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])
            return [f"not found: the metrics are at {METRICS_PATH}\n".encode()]
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            start_response("405 Method Not Allowed", [("Allow", "GET, HEAD")])
            return [b""]
        body = exposition(self.registry)
        start_response("200 OK", [("Content-Type", CONTENT_TYPE)])
        return [body]
