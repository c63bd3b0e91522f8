"""Judging this process's own usage: when is the load generator itself the bottleneck?

``UsageMonitor`` judges CPU readings (Locust's ``cpu_warning``); ``LoopLagProbe`` measures how
late the event loop runs. ``saturation.py`` turns both into the run's saturation verdict.
"""

from __future__ import annotations

import time
from collections.abc import Callable

#: Above this CPU percentage the generator's own timing becomes unreliable.
CPU_WARNING_THRESHOLD = 90.0
#: Seconds the lag probe sleeps between two measurements: ten a second cost nothing.
LOOP_LAG_PROBE_INTERVAL = 0.1


class UsageMonitor:
    """Decides from CPU readings when to warn; warns once per test (``reset`` re-arms it)."""

    def __init__(self, threshold: float = CPU_WARNING_THRESHOLD) -> None:
        self.threshold = threshold
        self.warned = False
        self.peak = 0.0

    def check(self, cpu_percent: float) -> str | None:
        """The warning to give for this reading, or None."""
        self.peak = max(self.peak, cpu_percent)
        if cpu_percent < self.threshold or self.warned:
            return None
        self.warned = True
        return (
            f"CPU usage of this load generator is {cpu_percent:.0f}% (above "
            f"{self.threshold:.0f}%): response times may be inflated by the generator itself. "
            "Use fewer users per process, or spread them over more processes."
        )

    def reset(self) -> None:
        self.warned = False
        self.peak = 0.0


class LoopLagProbe:
    """How late this process's event loop runs: the largest lateness of a short sleep.

    ``run()`` (in a greenlet of its own; ``sleep`` is ``gevent.sleep`` there, injected so that
    this module stays free of gevent) sleeps ``interval`` seconds again and again and notes how
    late each wake-up came: a hub kept busy by other greenlets (CPU-bound user code, too many
    users for one core) wakes it late, and every response that arrived meanwhile waits as long
    before its timer stops. ``take()`` returns the largest lateness (seconds) since the
    previous ``take()``. ``listener``, when set, is called with each measurement.
    """

    def __init__(
        self,
        sleep: Callable[[float], object],
        interval: float = LOOP_LAG_PROBE_INTERVAL,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.interval = interval
        self._clock = clock
        self._sleep = sleep
        self._peak = 0.0
        self.listener: Callable[[float], object] | None = None

    def note(self, lateness: float) -> None:
        """Record one wake-up that came ``lateness`` seconds late."""
        self._peak = max(self._peak, lateness)
        if self.listener is not None:
            self.listener(lateness)

    def take(self) -> float:
        """The largest lateness since the last call (0.0 when none), and start afresh."""
        peak, self._peak = self._peak, 0.0
        return peak

    def run(self) -> None:
        """Measure forever (kill the greenlet to stop)."""
        while True:
            interval = self.interval
            before = self._clock()
            self._sleep(interval)
            self.note(max(0.0, self._clock() - before - interval))
