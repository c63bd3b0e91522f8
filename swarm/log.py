"""Logging set-up: messages to stderr (and a log file), console tables to stdout.

Two streams, as in Locust: log records from every ``swarm.*`` logger go to stderr in a
timestamped format; the statistics tables and the progress line go through the
``swarm.stats_logger`` logger to stdout, unadorned, so that they can be piped or silenced
separately. ``--logfile`` receives both.
"""

from __future__ import annotations

import logging
import socket
import sys

#: The logger the console tables are written to (stdout, plain lines).
console_logger = logging.getLogger("swarm.stats_logger")

_FORMAT = "[%(asctime)s] {host}/%(levelname)s/%(name)s: %(message)s"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def setup_logging(loglevel: str = "INFO", logfile: str | None = None) -> None:
    """Configure the root logger and the console logger. Safe to call more than once."""
    level = logging.getLevelName(loglevel.upper())
    if not isinstance(level, int):
        raise ValueError(f"unknown log level {loglevel!r}; use one of {', '.join(LEVELS)}")
    formatter = logging.Formatter(_FORMAT.format(host=socket.gethostname()))
    # With a log file, messages go there instead of stderr (the console tables stay on stdout).
    destination: logging.Handler = (
        logging.FileHandler(logfile) if logfile else logging.StreamHandler(sys.stderr)
    )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    destination.setFormatter(formatter)
    root.addHandler(destination)
    root.setLevel(level)

    for old in list(console_logger.handlers):
        console_logger.removeHandler(old)
    console = logging.StreamHandler(sys.stdout)
    console.setFormatter(logging.Formatter("%(message)s"))
    console_logger.addHandler(console)
    if logfile:
        plain = logging.FileHandler(logfile)
        plain.setFormatter(logging.Formatter("%(message)s"))
        console_logger.addHandler(plain)
    console_logger.propagate = False
    console_logger.setLevel(logging.INFO)
