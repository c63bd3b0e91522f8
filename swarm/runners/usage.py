"""Judging this process's CPU usage: when is the load generator itself the bottleneck?"""

from __future__ import annotations

#: Above this CPU percentage the generator's own timing becomes unreliable.
CPU_WARNING_THRESHOLD = 90.0


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
