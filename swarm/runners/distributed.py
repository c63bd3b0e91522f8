"""The runners of distributed runs: their names exist now, the runners do not yet.

Many locustfiles guard code with ``isinstance(environment.runner, MasterRunner)`` (or
``WorkerRunner``); with these classes importable, such userfiles load and take the
single-process branch. Creating either raises ``ConfigError`` until distributed runs arrive.
"""

from __future__ import annotations

from typing import Any

from swarm.exceptions import ConfigError
from swarm.runners.base import Runner

_UNAVAILABLE = "distributed runs (--master, --worker) are not available in this version of swarm"


class MasterRunner(Runner):
    """The runner of a master process, coordinating workers (not available yet)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise ConfigError(_UNAVAILABLE)


class WorkerRunner(Runner):
    """The runner of a worker process, taking orders from a master (not available yet)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise ConfigError(_UNAVAILABLE)
