"""The last log lines of this process, for the UI's log tab (``GET /logs``)."""

from __future__ import annotations

import logging
from collections import deque

#: Lines kept, as in Locust.
MAX_LINES = 500

_FORMAT = "[%(asctime)s] %(levelname)s/%(name)s: %(message)s"


class LogBuffer(logging.Handler):
    """A handler that keeps the last ``max_lines`` formatted records in memory."""

    def __init__(self, max_lines: int = MAX_LINES) -> None:
        super().__init__()
        self.lines: deque[str] = deque(maxlen=max_lines)
        self.setFormatter(logging.Formatter(_FORMAT))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))
        except Exception:  # a handler never raises: logging reports its own errors
            self.handleError(record)

    def attach(self, logger: logging.Logger | None = None) -> None:
        """Start collecting the records of ``logger`` (the root logger by default)."""
        (logger or logging.getLogger()).addHandler(self)

    def detach(self, logger: logging.Logger | None = None) -> None:
        (logger or logging.getLogger()).removeHandler(self)
