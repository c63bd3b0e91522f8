"""``WebUI``: the web UI of one Environment, served by gevent in the runner's process.

It builds the Flask app (:func:`swarm.web.app.create_app`), binds its socket in ``start()``
(a port in use or an unreadable certificate is a ``ConfigError`` at once, not a log line
later), and serves in a greenlet until ``stop()``. While it runs it keeps the last log lines
of this process and, once a second during a test, each endpoint's chart history.
"""

from __future__ import annotations

import logging
import ssl
import time
from typing import TYPE_CHECKING

import gevent
from gevent.pywsgi import WSGIServer

from swarm.exceptions import ConfigError
from swarm.listen import listening_socket
from swarm.runners.base import STATE_RUNNING, STATE_SPAWNING
from swarm.web.app import create_app, normalize_base_path
from swarm.web.auth import parse_credentials
from swarm.web.control import TestControl
from swarm.web.history import EndpointHistory
from swarm.web.logs import LogBuffer

if TYPE_CHECKING:
    from swarm.env import Environment
    from swarm.reports.csv import CsvReport
    from swarm.runners.base import Runner

logger = logging.getLogger(__name__)

#: Seconds between two points of the per-endpoint chart history.
HISTORY_INTERVAL = 1.0
#: Bind addresses that mean "every interface".
_ALL_INTERFACES = ("*", "0.0.0.0", "::")


class WebUI:
    """The web UI (Locust's name and constructor arguments, plus swarm's).

    ``auth_credentials`` is ``"USER:PASSWORD"`` (``--web-login``); ``tls_cert`` and
    ``tls_key`` serve HTTPS; ``base_path`` mounts everything under a prefix;
    ``stats_csv_writer`` is the run's ``CsvReport`` (for the full-history download).
    ``port`` 0 picks a free port: ``.port`` and ``.url`` tell which once started.
    """

    def __init__(
        self,
        environment: Environment,
        host: str = "127.0.0.1",
        port: int = 8089,
        *,
        auth_credentials: str | None = None,
        tls_cert: str | None = None,
        tls_key: str | None = None,
        base_path: str = "",
        class_picker: bool = False,
        stats_csv_writer: CsvReport | None = None,
    ) -> None:
        self.environment = environment
        self.host = "" if host in _ALL_INTERFACES else host
        self.port = port
        self.auth_credentials = parse_credentials(auth_credentials) if auth_credentials else None
        self.base_path = normalize_base_path(base_path)
        self.class_picker = class_picker
        self.stats_csv_writer = stats_csv_writer
        self.ssl_context = _ssl_context(tls_cert, tls_key)
        self.control = TestControl(environment)
        self.history = EndpointHistory()
        self.logs = LogBuffer()
        self.app = create_app(self)
        self.server: WSGIServer | None = None
        self.greenlet: gevent.Greenlet | None = None
        self._ticker: gevent.Greenlet | None = None
        environment.events.test_start.add_listener(self._forget_history)
        environment.events.reset_stats.add_listener(self.history.clear)

    @property
    def runner(self) -> Runner:
        runner = self.environment.runner
        if runner is None:
            raise ConfigError("the web UI needs an environment with a runner")
        return runner

    @property
    def url(self) -> str:
        """Where a browser on this machine finds the UI (ends with ``/``)."""
        scheme = "https" if self.ssl_context is not None else "http"
        host = self.host or "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return f"{scheme}://{host}:{self.port}{self.base_path}/"

    def start(self) -> None:
        """Bind and serve in a greenlet; ConfigError when the address cannot be used."""
        kwargs = {"ssl_context": self.ssl_context} if self.ssl_context is not None else {}
        listener = listening_socket(self.host, self.port, "the web UI")
        server = WSGIServer(listener, self.app, log=None, error_log=logger, **kwargs)
        self.port = listener.getsockname()[1]
        self.server = server
        self.logs.attach()
        self.greenlet = gevent.spawn(server.serve_forever)
        self._ticker = gevent.spawn(self._record_history_forever)

    def stop(self) -> None:
        """Stop serving (open connections are closed) and stop recording."""
        if self._ticker is not None:
            self._ticker.kill(block=False)
        if self.server is not None:
            self.server.stop(timeout=1)
        self.logs.detach()
        self.control.cancel_timer()

    def _record_history_forever(self) -> None:
        while True:
            gevent.sleep(HISTORY_INTERVAL)
            self.record_history(time.time())

    def record_history(self, now: float) -> None:
        """One point per endpoint while a test runs (a no-op between tests)."""
        runner = self.environment.runner
        if runner is None or runner.state not in (STATE_SPAWNING, STATE_RUNNING):
            return
        stats = self.environment.stats
        self.history.record(stats.entries.values(), now, runner.user_count)

    def _forget_history(self, environment: Environment) -> None:
        self.history.clear()


def _ssl_context(cert: str | None, key: str | None) -> ssl.SSLContext | None:
    """The server's TLS context, or None for plain HTTP; ConfigError when unusable."""
    if not cert and not key:
        return None
    if not (cert and key):
        raise ConfigError("--tls-cert and --tls-key go together: give both to serve HTTPS")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as error:
        raise ConfigError(f"cannot use --tls-cert {cert} with --tls-key {key}: {error}") from None
    return context
