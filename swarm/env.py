"""The Environment: the composition root of one swarm process.

It holds what a test is made of (user classes, events, options, statistics) and creates the
runner. Userfiles and plugins reach everything through it (``self.environment`` in a user,
the ``environment`` argument of most events), and programs that use swarm as a library start
here::

    env = Environment(user_classes=[MyUser], host="http://127.0.0.1:8080")
    runner = env.create_local_runner()
    runner.start(10, spawn_rate=5)
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from swarm.event import Events
from swarm.exceptions import SwarmError
from swarm.runners.local import LocalRunner
from swarm.runners.master import MasterRunner
from swarm.runners.worker import WorkerRunner
from swarm.stats import RequestStats
from swarm.user.task import filter_tasks_by_tags

if TYPE_CHECKING:
    from swarm.runners.base import Runner
    from swarm.user import User
    from swarm.web import WebUI


class Environment:
    """Everything one test run is made of. Locust's keyword arguments are accepted."""

    def __init__(
        self,
        *,
        user_classes: list[type[User]] | None = None,
        shape_class: Any = None,
        tags: list[str] | None = None,
        exclude_tags: list[str] | None = None,
        locustfile: str | None = None,
        events: Events | None = None,
        host: str | None = None,
        reset_stats: bool = False,
        stop_timeout: float | None = None,
        catch_exceptions: bool = True,
        parsed_options: argparse.Namespace | None = None,
        available_user_classes: dict[str, type[User]] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.user_classes: list[type[User]] = list(user_classes or [])
        self.shape_class = shape_class
        self.tags = tags
        self.exclude_tags = exclude_tags
        self.locustfile = locustfile
        self.events = events if events is not None else Events()
        self._host: str | None = None
        self.host = host
        self.reset_stats = reset_stats
        self.stop_timeout = stop_timeout
        self.catch_exceptions = catch_exceptions
        self.parsed_options = parsed_options
        self.available_user_classes = available_user_classes or {
            cls.__name__: cls for cls in self.user_classes
        }
        self.stats = RequestStats(clock=clock)
        self.runner: Runner | None = None
        self.web_ui: WebUI | None = None
        #: Set it (from a quitting listener, say) to choose the process's exit code.
        self.process_exit_code: int | None = None
        self.events.request.add_listener(self.stats.on_request)
        self._check_unique_names()
        if tags is not None or exclude_tags is not None:
            self._filter_tasks_by_tags()

    @property
    def host(self) -> str | None:
        """The target (``-H``). Setting it points every user class at it, as in Locust."""
        return self._host

    @host.setter
    def host(self, value: str | None) -> None:
        self._host = value or None
        if value:
            for cls in self.user_classes:
                cls.host = value

    def create_local_runner(self) -> LocalRunner:
        """Create the runner that runs every user in this process."""
        self._check_no_runner()
        runner = LocalRunner(self)
        self.runner = runner
        return runner

    def create_master_runner(
        self, master_bind_host: str = "*", master_bind_port: int = 5557, **kwargs: Any
    ) -> MasterRunner:
        """Create the runner of a master that workers connect to (Locust's signature).

        Keyword arguments go to ``MasterRunner``: ``secret``, ``transport`` (an in-memory one
        in tests), ``clock``, ``heartbeat_liveness``.
        """
        self._check_no_runner()
        runner = MasterRunner(self, master_bind_host, master_bind_port, **kwargs)
        self.runner = runner
        return runner

    def create_worker_runner(
        self, master_host: str = "127.0.0.1", master_port: int = 5557, **kwargs: Any
    ) -> WorkerRunner:
        """Create the runner of a worker of the master at ``master_host:master_port``.

        Keyword arguments go to ``WorkerRunner``: ``secret``, ``transport``, ``clock``,
        ``heartbeat_interval``, ``stats_interval``, ``connect_timeout``.
        """
        self._check_no_runner()
        runner = WorkerRunner(self, master_host, master_port, **kwargs)
        self.runner = runner
        return runner

    def create_web_ui(
        self,
        host: str = "127.0.0.1",
        port: int = 8089,
        *,
        auth_credentials: str | None = None,
        tls_cert: str | None = None,
        tls_key: str | None = None,
        stats_csv_writer: Any = None,
        delayed_start: bool = False,
        userclass_picker_is_active: bool = False,
        base_path: str = "",
    ) -> WebUI:
        """Create the web UI of this environment (Locust's name) and set ``self.web_ui``.

        It serves at once (``ConfigError`` if it cannot bind) unless ``delayed_start``: then
        call ``web_ui.start()``. ``auth_credentials`` is ``"USER:PASSWORD"``; port 0 picks a
        free port (``web_ui.url`` says which). The runner must exist before a test starts.
        """
        # Flask is imported only when a web UI is asked for: headless runs and workers skip it.
        from swarm.web import WebUI  # noqa: PLC0415

        web_ui = WebUI(
            self,
            host,
            port,
            auth_credentials=auth_credentials,
            tls_cert=tls_cert,
            tls_key=tls_key,
            base_path=base_path,
            class_picker=userclass_picker_is_active,
            stats_csv_writer=stats_csv_writer,
        )
        self.web_ui = web_ui
        if not delayed_start:
            web_ui.start()
        return web_ui

    def _check_no_runner(self) -> None:
        if self.runner is not None:
            raise SwarmError("this environment already has a runner")

    def assign_equal_weights(self) -> None:
        """Give every user class weight 1 and every task the same weight (``--equal-weights``)."""
        for cls in self.user_classes:
            cls.weight = 1
            tasks = list(dict.fromkeys(cls.tasks))
            cls.tasks = tasks

    def _check_unique_names(self) -> None:
        seen: dict[str, type[User]] = {}
        for cls in self.user_classes:
            other = seen.setdefault(cls.__name__, cls)
            if other is not cls:
                raise SwarmError(
                    f"two user classes are named {cls.__name__!r} "
                    f"({other.__module__} and {cls.__module__}); rename one of them"
                )

    def _filter_tasks_by_tags(self) -> None:
        for cls in self.user_classes:
            filter_tasks_by_tags(cls, self.tags, self.exclude_tags)
