"""A test run with the web UI: serve, let the user start and steer tests, end like headless.

The process serves the UI until Ctrl-C or SIGTERM (or ``--autoquit`` seconds after a test
stops); a test starts from the page, or at once with ``--autostart`` (``-u``, ``-r``, ``-t``
as given; with a load shape, the shape and ``-t``). However it ends, it ends as a headless
run does (:class:`swarm.lifecycle.Run`): summary, reports, ``quitting``, exit code.
"""

from __future__ import annotations

import argparse
import logging
from typing import TYPE_CHECKING

import gevent

from swarm.env import Environment
from swarm.exceptions import SwarmError
from swarm.lifecycle import Run
from swarm.runners.base import STATE_INIT, STATE_STOPPED
from swarm.runners.master import MasterRunner
from swarm.stats import HISTORY_STATS_INTERVAL_SEC
from swarm.web.control import NotStartable
from swarm.web.form import FormError, SwarmRequest

if TYPE_CHECKING:
    from swarm.web import WebUI

logger = logging.getLogger(__name__)

#: Where the UI listens when ``--web-host`` is not given: this machine only.
DEFAULT_WEB_HOST = "127.0.0.1"


def create_web_ui(environment: Environment, options: argparse.Namespace) -> WebUI:
    """The web UI the options describe, not yet serving (``init`` listeners may add routes)."""
    return environment.create_web_ui(
        options.web_host or DEFAULT_WEB_HOST,
        options.web_port,
        auth_credentials=options.web_login or None,
        tls_cert=options.tls_cert or None,
        tls_key=options.tls_key or None,
        delayed_start=True,
        userclass_picker_is_active=options.class_picker,
        base_path=options.web_base_path,
    )


class WebRun(Run):
    """The life of a process serving the web UI: ``run()`` returns the exit code."""

    def __init__(self, environment: Environment, options: argparse.Namespace) -> None:
        super().__init__(environment, options)
        web_ui = environment.web_ui
        if web_ui is None:
            raise SwarmError("WebRun needs environment.web_ui (see create_web_ui)")
        self.web_ui: WebUI = web_ui
        web_ui.stats_csv_writer = self.csv

    def run(self) -> int:
        self.web_ui.start()
        self._install_signal_handlers()
        logger.info("Web UI at %s (Ctrl-C to quit)", self.web_ui.url)
        self.env.events.test_stop.add_listener(self._on_test_stop)
        self.runner.spawn_in_background(self._every, HISTORY_STATS_INTERVAL_SEC, self._tick)
        if self.options.autostart:
            self.runner.spawn_in_background(self._autostart)
        self.runner.greenlet.join()
        code = self.finish()
        self.web_ui.stop()
        return code

    def _tick(self) -> None:
        """History (and CSV rows) while a test runs; none between tests."""
        if self.runner.state not in (STATE_INIT, STATE_STOPPED):
            self._history()

    def _autostart(self) -> None:
        if isinstance(self.runner, MasterRunner) and not self._workers_connected():
            self.quit("Not enough workers connected")
            return
        options = self.options
        users = options.num_users if options.num_users is not None else 1
        rate = options.spawn_rate if options.spawn_rate is not None else 1.0
        shaped = self.env.shape_class is not None  # the shape sets the users: not -u and -r
        wanted = SwarmRequest(
            user_count=None if shaped else users,
            spawn_rate=None if shaped else rate,
            run_time=options.run_time,
        )
        try:
            message = self.web_ui.control.start(wanted)
        except (FormError, NotStartable) as error:
            logger.error("--autostart: the test cannot start: %s", error)
            self.env.process_exit_code = 1
            self.quit("--autostart failed")
            return
        logger.info("--autostart: %s", message)

    def _on_test_stop(self, environment: Environment) -> None:
        seconds = self.options.autoquit
        if seconds < 0:
            return
        logger.info("The test stopped: quitting in %ds (--autoquit)", seconds)
        gevent.spawn_later(seconds, self.quit, f"--autoquit {seconds}")
