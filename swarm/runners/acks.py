"""Sending a final statistics report until the master acknowledges it (workers and relays)."""

from __future__ import annotations

from collections.abc import Callable

import gevent
from gevent.event import AsyncResult

#: How long to wait for the master's acknowledgement of a final report, and how many tries.
FINAL_REPORT_TIMEOUT = 2.0
FINAL_REPORT_TRIES = 3


class FinalReportAck:
    """``send`` a report (resent with the same ``seq``) until ``acknowledged(seq)`` is heard.

    The master merges a report once whatever the number of copies (it deduplicates by
    ``seq``), so resending is safe; after ``FINAL_REPORT_TRIES`` it gives up.
    """

    def __init__(self) -> None:
        self._pending: AsyncResult | None = None

    def send(self, send: Callable[[], None], seq: int) -> bool:
        """True once the master confirmed ``seq``; False after the last try."""
        for _ in range(FINAL_REPORT_TRIES):
            self._pending = AsyncResult()
            send()
            try:
                if self._pending.get(timeout=FINAL_REPORT_TIMEOUT) == seq:
                    return True
            except gevent.Timeout:
                continue
        return False

    def acknowledged(self, seq: int) -> None:
        """The master's ``ack`` of a report arrived."""
        if self._pending is not None:
            self._pending.set(seq)
