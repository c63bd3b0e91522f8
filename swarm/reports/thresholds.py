"""Pass/fail thresholds on a run's statistics: ``p95<300ms``, ``GET /item/[id]: p99<500ms``.

Grammar (spaces around the parts are allowed)::

    threshold := [scope ":"] metric op limit
    scope     := [METHOD " "] name        a leading word in capitals is the HTTP method
    metric    := pNN | avg | median | min | max | fail_ratio | rps | requests | failures
                 | iterations | dropped_iterations
    op        := < | <= | > | >=
    limit     := number [unit]            times: ms (the default), s, m; fail_ratio: a
                                          fraction or NN%; rps: req/s; counts: whole numbers

Without a scope a threshold reads the Aggregated row. A scope names one endpoint as the stats
do (``name=`` of the request); without a method it covers every method with that name, their
statistics merged. ``pNN`` is a percentile (``p95``, ``p99.9``; ``p100`` is the max); ``rps``
is the average over the run (``total_rps``), not the last seconds.

``iterations`` counts the iterations started (an arrival-rate run's, or the task iterations
of ``-i`` in the closed model), ``dropped_iterations`` those an arrival-rate run dropped (0 in
the closed model): totals of the run, which take no scope. ``dropped_iterations<1`` fails a
run that dropped any.

A threshold on an endpoint that saw no request fails ("no requests"), except ``requests`` and
``failures``, which are then 0. Everything here is pure: it reads a :class:`RequestStats` and
never changes it.
"""

from __future__ import annotations

import argparse
import operator
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from swarm.exceptions import ConfigError
from swarm.stats.entries import StatsEntry
from swarm.stats.request_stats import RequestStats

#: The exit code of a run in which a threshold failed (see docs/ci.md for its precedence).
EXIT_THRESHOLD_FAILED = 3

_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_SPLIT = re.compile(r"(<=|>=|<|>)")
_NUMBER = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(.*?)\s*$")
_PERCENTILE = re.compile(r"^p(\d+(?:\.\d+)?)$")
_METHOD = re.compile(r"^([A-Z]+)\s+(\S.*)$")

_TIME_UNITS = {"": 1.0, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
_RATIO_UNITS = {"": 1.0, "%": 0.01}
_RATE_UNITS = {"": 1.0, "/s": 1.0, "rps": 1.0}
_COUNT_UNITS = {"": 1.0}
_UNITS = {"time": _TIME_UNITS, "ratio": _RATIO_UNITS, "rate": _RATE_UNITS, "count": _COUNT_UNITS}

# metric -> (kind of limit, how to read it from an entry)
_METRICS: dict[str, tuple[str, Callable[[StatsEntry], float]]] = {
    "avg": ("time", lambda e: e.avg_response_time),
    "median": ("time", lambda e: e.median_response_time),
    "min": ("time", lambda e: e.min_response_time or 0.0),
    "max": ("time", lambda e: e.max_response_time),
    "fail_ratio": ("ratio", lambda e: e.fail_ratio),
    "rps": ("rate", lambda e: e.total_rps),
    "requests": ("count", lambda e: float(e.num_requests)),
    "failures": ("count", lambda e: float(e.num_failures)),
}
# metric -> (kind of limit, how to read it from the run's statistics): totals of the run.
_RUN_METRICS: dict[str, tuple[str, Callable[[RequestStats], float]]] = {
    "iterations": ("count", lambda s: float(s.iterations)),
    "dropped_iterations": ("count", lambda s: float(s.dropped_iterations)),
}
_METRIC_NAMES = (
    "pNN (p95, p99.9), avg, median, min, max, fail_ratio, rps, requests, failures, "
    "iterations, dropped_iterations"
)

# Metrics that can only grow (or only shrink) while a run goes on: once such a threshold
# fails it can never pass again, which is what lets --threshold-abort stop a run early.
_ONLY_GROW = frozenset({"max", "p100", "requests", "failures", *_RUN_METRICS})
_ONLY_SHRINK = frozenset({"min"})


class ThresholdError(ConfigError):
    """A threshold expression that cannot be read; the message names it and what is wrong."""


@dataclass(frozen=True)
class Threshold:
    """One parsed threshold. ``limit`` is in base units: ms, a fraction, req/s or a count."""

    text: str
    metric: str
    op: str
    limit: float
    kind: str
    name: str | None = None
    method: str | None = None

    @property
    def scope(self) -> str:
        """``"GET /item/[id]"``, ``"/item/[id]"``, or ``"Aggregated"`` without a scope."""
        if self.name is None:
            return "Aggregated"
        return f"{self.method} {self.name}" if self.method else self.name

    def passes(self, observed: float) -> bool:
        """Whether ``observed`` (in base units) is within the limit."""
        return _OPERATORS[self.op](observed, self.limit)

    def read(self, entry: StatsEntry) -> float | None:
        """This threshold's metric from ``entry``; None when the entry saw no request.

        Not for the run's totals (``iterations``, ``dropped_iterations``): :func:`observe`
        reads those from the statistics."""
        if self.kind != "count" and not entry.num_requests:
            return None
        match = _PERCENTILE.match(self.metric)
        if match:
            return entry.get_response_time_percentile(float(match.group(1)) / 100)
        return _METRICS[self.metric][1](entry)


@dataclass(frozen=True)
class ThresholdResult:
    """A threshold and what the statistics showed: ``observed`` is None without requests."""

    threshold: Threshold
    observed: float | None
    passed: bool

    @property
    def observed_text(self) -> str:
        """The observed value with its unit, or "no requests"."""
        if self.observed is None:
            return "no requests"
        return format_value(self.threshold.kind, self.observed)

    @property
    def limit_text(self) -> str:
        """``"< 500 ms"``: the operator and the limit with its unit."""
        return f"{self.threshold.op} {format_value(self.threshold.kind, self.threshold.limit)}"


def parse_threshold(text: str) -> Threshold:
    """The threshold ``text`` describes; raises ThresholdError naming it and the problem."""
    scope, colon, expression = str(text).rpartition(":")
    name, method = _parse_scope(text, scope) if colon else (None, None)
    parts = _SPLIT.split(expression)
    if len(parts) != 3:
        what = "no comparison" if len(parts) == 1 else "more than one comparison"
        raise _error(text, f"{what}: write METRIC OP LIMIT with OP one of <, <=, >, >=")
    metric, op, limit_text = parts[0].strip().lower(), parts[1], parts[2]
    kind = _metric_kind(text, metric)
    if colon and metric in _RUN_METRICS:
        raise _error(text, f"{metric} counts the whole run: write it without 'NAME:'")
    limit = _parse_limit(text, kind, metric, limit_text)
    return Threshold(str(text), metric, op, limit, kind, name, method)


def parse_thresholds(texts: Iterable[str] | None) -> list[Threshold]:
    """Every expression parsed, in order; raises ThresholdError on the first bad one."""
    return [parse_threshold(text) for text in texts or ()]


def threshold_option(text: str) -> str:
    """``--threshold``'s type: the expression unchanged once it parses, else a usage error."""
    try:
        parse_threshold(text)
    except ThresholdError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def _error(text: str, problem: str) -> ThresholdError:
    return ThresholdError(f"invalid threshold {text!r}: {problem}")


def _parse_scope(text: str, scope: str) -> tuple[str, str | None]:
    scope = scope.strip()
    if not scope:
        raise _error(text, "nothing before ':'; write NAME: or METHOD NAME: before the metric")
    match = _METHOD.match(scope)
    if match:
        return match.group(2).strip(), match.group(1)
    return scope, None


def _metric_kind(text: str, metric: str) -> str:
    if metric in _METRICS:
        return _METRICS[metric][0]
    if metric in _RUN_METRICS:
        return _RUN_METRICS[metric][0]
    match = _PERCENTILE.match(metric)
    if not match:
        shown = repr(metric) if metric else "nothing"
        raise _error(text, f"unknown metric {shown}; use one of {_METRIC_NAMES}")
    if not 0 < float(match.group(1)) <= 100:
        raise _error(text, f"percentile {metric} is out of range: it must be above 0, up to 100")
    return "time"


def _parse_limit(text: str, kind: str, metric: str, limit_text: str) -> float:
    match = _NUMBER.match(limit_text)
    if not match:
        raise _error(text, f"the limit {limit_text.strip()!r} is not a number")
    number, unit = float(match.group(1)), match.group(2).lower()
    units = _UNITS[kind]
    if unit not in units:
        allowed = ", ".join(u for u in units if u) or "none"
        raise _error(text, f"unknown unit {unit!r} for {metric} (units: {allowed})")
    if kind == "count" and not number.is_integer():
        raise _error(text, f"{metric} is a count: the limit must be a whole number")
    return number * units[unit]


def entry_for(threshold: Threshold, stats: RequestStats) -> StatsEntry | None:
    """The statistics a threshold reads: the Aggregated row, or its endpoint's entry.

    Without a method, entries of every method with that name are merged into a new entry
    (``stats`` is not changed). None when no entry has that name yet.
    """
    if threshold.name is None:
        return stats.total
    matches = [
        entry
        for entry in stats.entries.values()
        if entry.name == threshold.name and threshold.method in (None, entry.method)
    ]
    if len(matches) <= 1:
        return matches[0] if matches else None
    merged = StatsEntry(None, threshold.name, "", clock=stats.clock)
    for entry in matches:
        merged.extend(entry)
    return merged


def observe(threshold: Threshold, stats: RequestStats) -> float | None:
    """The value a threshold compares with its limit; None when its entry saw no request."""
    run_metric = _RUN_METRICS.get(threshold.metric)
    if run_metric is not None:
        return run_metric[1](stats)
    entry = entry_for(threshold, stats)
    if entry is None:
        return 0.0 if threshold.kind == "count" else None
    return threshold.read(entry)


def evaluate(thresholds: Sequence[Threshold], stats: RequestStats) -> list[ThresholdResult]:
    """One result per threshold, in order. A threshold without requests to read fails."""
    results = []
    for threshold in thresholds:
        observed = observe(threshold, stats)
        passed = observed is not None and threshold.passes(observed)
        results.append(ThresholdResult(threshold, observed, passed))
    return results


def already_lost(threshold: Threshold, stats: RequestStats) -> bool:
    """Whether ``threshold`` fails now and can never pass however the run goes on.

    True only for metrics that move one way during a run (``requests``, ``failures``, ``max``,
    ``p100`` only grow; ``min`` only shrinks) compared against a limit they have crossed.
    Percentiles, averages, ratios and rates can recover, so they are never lost early.
    (``--reset-stats`` resets the counters once: a threshold lost before that is still lost.)
    """
    grows, shrinks = threshold.metric in _ONLY_GROW, threshold.metric in _ONLY_SHRINK
    upper_bound = threshold.op in ("<", "<=")
    if not ((grows and upper_bound) or (shrinks and not upper_bound)):
        return False
    observed = observe(threshold, stats)
    return observed is not None and not threshold.passes(observed)


def first_lost(thresholds: Sequence[Threshold], stats: RequestStats) -> Threshold | None:
    """The first threshold that :func:`already_lost` says can no longer pass, if any."""
    return next((t for t in thresholds if already_lost(t, stats)), None)


def format_value(kind: str, value: float) -> str:
    """A value in base units for people: ``412 ms``, ``1.25%``, ``98.4 req/s``, ``1,200``."""
    if kind == "time":
        return f"{value:,.0f} ms" if value >= 100 else f"{value:.3g} ms"
    if kind == "ratio":
        return f"{value:.2%}"
    if kind == "rate":
        return f"{value:,.1f} req/s"
    return f"{value:,.0f}"


def results_table(results: Sequence[ThresholdResult]) -> list[str]:
    """The pass/fail table printed after the summary; no lines without thresholds."""
    if not results:
        return []
    width = max(12, *(len(r.threshold.text) for r in results))
    lines = [
        "Thresholds:",
        f"{'result':<7} {'threshold':<{width}} {'limit':>14} {'observed':>14}",
        "-" * (39 + width),
    ]
    for r in results:
        verdict = "PASS" if r.passed else "FAIL"
        lines.append(
            f"{verdict:<7} {r.threshold.text:<{width}} {r.limit_text:>14} {r.observed_text:>14}"
        )
    failed = sum(not r.passed for r in results)
    lines.append("-" * (39 + width))
    lines.append(
        f"{failed} of {len(results)} thresholds failed" if failed else "All thresholds passed"
    )
    return lines
