"""When is the load generator itself the bottleneck? Each process's saturation over a test.

A process is *saturated* over a sampling interval when its CPU usage was at or above
``CPU_LIMIT`` percent, or its event loop woke ``LOOP_LAG_LIMIT_S`` or more late at some moment
of it (the interval's largest lag). Then the users' timings include time spent waiting for the
generator, not only for the target: latencies may be inflated.

Pure bookkeeping with time passed in: nothing here reads a clock, gevent or psutil.

- ``observe(process, now, cpu, lag)``: a process's own sample for the interval that ends at
  ``now`` (the local runner, a worker, the master about itself). The first sample of a
  process covers the time since ``begin``.
- ``update(process, now, cpu, lag, totals)``: the totals another process keeps about itself
  (``ProcessSaturation.totals()``, in a worker's heartbeat); they replace what was known, so
  they stay right when heartbeats are lost or merged by a relay.

Live warnings: one when a process's saturated episode begins, then none for that process for
``REWARN_AFTER`` seconds however often it flaps, and again after each ``begin`` (a new test).

The run's share: each process's saturated time over its observed time; the run's share is the
worst share among the processes that generate load. Unlike "the share of time any process was
saturated" it needs no aligned clocks across machines and names where to act; it is a lower
bound of that share. The master is watched too (``generates_load=False``): its saturation
delays heartbeats and reports, not the latencies the workers measure, so it is reported apart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from swarm.runners.usage import CPU_WARNING_THRESHOLD

#: CPU percentage from which a process counts as saturated.
CPU_LIMIT = CPU_WARNING_THRESHOLD
#: Event-loop lag (seconds) from which a process counts as saturated.
LOOP_LAG_LIMIT_S = 0.010
#: Seconds during which a process that warned is not warned about again.
REWARN_AFTER = 60.0


@dataclass
class ProcessSaturation:
    """What is known of one process's saturation during the current test (times in s)."""

    name: str
    generates_load: bool = True
    observed_time: float = 0.0
    saturated_time: float = 0.0
    peak_cpu: float = 0.0
    peak_loop_lag: float = 0.0
    #: Whether its latest sample was saturated (an episode is going on).
    saturated_now: bool = False
    last_sample: float | None = None
    last_warning: float | None = None

    @property
    def share(self) -> float:
        """Saturated time over observed time, 0..1 (0 before any time was observed)."""
        if self.observed_time <= 0:
            return 0.0
        return min(1.0, self.saturated_time / self.observed_time)

    def totals(self) -> dict[str, float]:
        """What a worker sends its master about itself (msgpack-able; see ``update``)."""
        return {
            "observed_time": self.observed_time,
            "saturated_time": self.saturated_time,
            "peak_cpu": self.peak_cpu,
            "peak_loop_lag": self.peak_loop_lag,
        }


@dataclass(frozen=True)
class SaturationSummary:
    """The run's verdict: how much of the test the worst load-generating process was saturated.

    ``saturated_processes`` maps each load-generating process with a saturated share above 0 to
    that share; ``master_share`` is the master's own (0 without a master, or when it never was).
    """

    saturated_share: float = 0.0
    peak_cpu: float = 0.0
    peak_loop_lag: float = 0.0
    saturated_processes: dict[str, float] = field(default_factory=dict)
    master_share: float = 0.0
    cpu_limit: float = CPU_LIMIT
    loop_lag_limit: float = LOOP_LAG_LIMIT_S

    @property
    def saturated(self) -> bool:
        return self.saturated_share > 0

    @property
    def limits(self) -> str:
        return f"CPU ≥ {self.cpu_limit:.0f}% or event-loop lag ≥ {self.loop_lag_limit * 1e3:.0f} ms"

    def headline(self) -> str:
        """The report's banner: ``generator saturated — latencies may be inflated`` and how
        long."""
        return (
            f"Generator saturated for {percent(self.saturated_share)} of the test "
            f"({self.limits}): latencies may be inflated"
        )

    def detail(self) -> str:
        """Which processes were saturated, how much, and what to do."""
        worst = ", ".join(
            f"{name} {percent(share)}"
            for name, share in sorted(self.saturated_processes.items(), key=lambda i: -i[1])
        )
        return (
            f"Saturated: {worst}; peak CPU {self.peak_cpu:.0f}%, peak event-loop lag "
            f"{self.peak_loop_lag * 1e3:.0f} ms. Spread the users over more processes "
            "(--processes, more workers)."
        )

    def master_note(self) -> str | None:
        """What to say about the master's own saturation, when it was."""
        if self.master_share <= 0:
            return None
        return (
            f"The master was saturated for {percent(self.master_share)} of the test: its "
            "heartbeats and reports may have been late (the workers' latencies are not affected)."
        )

    def notes(self) -> list[str]:
        """The summary's lines: nothing when no process was saturated."""
        lines = [f"{self.headline()}. {self.detail()}"] if self.saturated else []
        master = self.master_note()
        return [*lines, master] if master else lines

    def to_dict(self) -> dict[str, Any]:
        """The JSON report's ``generator`` object (times in ms, shares 0..1)."""
        return {
            "saturated": self.saturated,
            "saturated_share": round(self.saturated_share, 4),
            "peak_cpu": round(self.peak_cpu, 1),
            "peak_loop_lag_ms": round(self.peak_loop_lag * 1e3, 1),
            "saturated_processes": {k: round(v, 4) for k, v in self.saturated_processes.items()},
            "master_saturated_share": round(self.master_share, 4),
            "cpu_limit": self.cpu_limit,
            "loop_lag_limit_ms": self.loop_lag_limit * 1e3,
        }


def _number(totals: Any, key: str) -> float:
    value = totals.get(key) if isinstance(totals, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0
    number = float(value)
    return number if math.isfinite(number) and number > 0 else 0.0  # NaN poisons comparisons


def percent(share: float) -> str:
    """``0.37`` -> ``37%``; a share above 0 never reads ``0%``."""
    if 0 < share < 0.005:
        return "<1%"
    return f"{share:.0%}"


class SaturationMonitor:
    """Every watched process of a run, by name: samples in, warnings and a summary out."""

    def __init__(
        self,
        cpu_limit: float = CPU_LIMIT,
        loop_lag_limit: float = LOOP_LAG_LIMIT_S,
        rewarn_after: float = REWARN_AFTER,
    ) -> None:
        self.cpu_limit = cpu_limit
        self.loop_lag_limit = loop_lag_limit
        self.rewarn_after = rewarn_after
        self.processes: dict[str, ProcessSaturation] = {}
        #: When the current test began; None before the first and after ``end``.
        self.started: float | None = None

    def is_saturated(self, cpu: float, loop_lag: float) -> bool:
        return cpu >= self.cpu_limit or loop_lag >= self.loop_lag_limit

    def begin(self, now: float) -> None:
        """A new test: forget every process, count own samples from ``now`` on."""
        self.processes = {}
        self.started = now

    def end(self) -> None:
        """The test ended: own samples are ignored until the next ``begin``; what was
        gathered stays readable."""
        self.started = None

    def process(self, name: str, generates_load: bool = True) -> ProcessSaturation:
        """The record of ``name``, created empty when new."""
        record = self.processes.get(name)
        if record is None:
            record = self.processes[name] = ProcessSaturation(name, generates_load)
        return record

    def totals(self, name: str) -> dict[str, float]:
        """``name``'s ``ProcessSaturation.totals()`` (zeros for a process never observed)."""
        return self.processes.get(name, ProcessSaturation(name)).totals()

    def since_last(self, name: str, now: float) -> float:
        """Seconds the next ``observe`` of ``name`` would cover (0.0 outside a test)."""
        if self.started is None:
            return 0.0
        record = self.processes.get(name)
        last = self.started if record is None or record.last_sample is None else record.last_sample
        return max(0.0, now - last)

    def observe(
        self,
        name: str,
        now: float,
        cpu: float,
        loop_lag: float,
        generates_load: bool = True,
    ) -> str | None:
        """Take a process's own sample for the interval ending at ``now``; returns the warning
        to give now, if any. Ignored (None) outside a test."""
        if self.started is None:
            return None
        record = self.process(name, generates_load)
        since = self.started if record.last_sample is None else record.last_sample
        elapsed = max(0.0, now - since)
        saturated = self.is_saturated(cpu, loop_lag)
        record.observed_time += elapsed
        if saturated:
            record.saturated_time += elapsed
        record.last_sample = now
        return self._note(record, now, cpu, loop_lag)

    def update(
        self, name: str, now: float, cpu: float, loop_lag: float, totals: dict[str, Any]
    ) -> str | None:
        """Take the totals a process keeps about itself (``ProcessSaturation.totals()``) and
        its current reading; returns the warning to give now, if any. A missing or unreadable
        total reads as 0: the sender may be another version."""
        record = self.process(name)
        record.observed_time = _number(totals, "observed_time")
        record.saturated_time = min(_number(totals, "saturated_time"), record.observed_time)
        record.last_sample = now
        record.peak_cpu = max(record.peak_cpu, _number(totals, "peak_cpu"))
        record.peak_loop_lag = max(record.peak_loop_lag, _number(totals, "peak_loop_lag"))
        return self._note(record, now, cpu, loop_lag)

    def _note(self, record: ProcessSaturation, now: float, cpu: float, lag: float) -> str | None:
        record.peak_cpu = max(record.peak_cpu, cpu)
        record.peak_loop_lag = max(record.peak_loop_lag, lag)
        was, record.saturated_now = record.saturated_now, self.is_saturated(cpu, lag)
        if not record.saturated_now or was:
            return None
        if record.last_warning is not None and now - record.last_warning < self.rewarn_after:
            return None
        record.last_warning = now
        return self._warning(record, cpu, lag)

    def _warning(self, record: ProcessSaturation, cpu: float, lag: float) -> str:
        reading = (
            f"CPU {cpu:.0f}%, event-loop lag {lag * 1e3:.0f} ms (limits: {self.cpu_limit:.0f}%, "
            f"{self.loop_lag_limit * 1e3:.0f} ms)"
        )
        if not record.generates_load:
            return (
                f"The {record.name} is saturated: {reading}. Its heartbeats and reports may be "
                "late; the latencies the workers measure are not affected."
            )
        return (
            f"Generator saturated — latencies may be inflated: {record.name} at {reading}. "
            "Spread the users over more processes (--processes, more workers)."
        )

    def summary(self) -> SaturationSummary:
        """The verdict so far (see ``SaturationSummary``)."""
        generators = [p for p in self.processes.values() if p.generates_load]
        others = [p for p in self.processes.values() if not p.generates_load]
        return SaturationSummary(
            saturated_share=max((p.share for p in generators), default=0.0),
            peak_cpu=max((p.peak_cpu for p in generators), default=0.0),
            peak_loop_lag=max((p.peak_loop_lag for p in generators), default=0.0),
            saturated_processes={p.name: p.share for p in generators if p.share > 0},
            master_share=max((p.share for p in others), default=0.0),
            cpu_limit=self.cpu_limit,
            loop_lag_limit=self.loop_lag_limit,
        )
