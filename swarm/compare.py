"""``swarm compare BASE.json NEW.json [--tolerance 10%]``: a regression gate between two runs.

Reads two ``--json-file`` reports (swarm's, or Locust's: the histogram is rebuilt from
``response_times`` when there is none) and prints, per endpoint and for the Aggregated row,
requests/s, failure ratio and p50/p95/p99 of both runs side by side with the change. A change
for the worse beyond the tolerance is a regression:

    req/s       fell by more than the tolerance (relative to BASE)
    p50/95/99   rose by more than the tolerance (relative to BASE)
    fail ratio  rose by more than the tolerance (relative) and by more than 0.1 percentage
                point, so a stray failure in a long run does not fail the gate

Endpoints found in one report only are listed, never regressions. Exit codes: 0 without
regressions, 1 with any (the lines are marked ``REGRESSION``) or on a usage error (a missing
or unreadable file, a bad tolerance), which is reported as ``swarm compare: error: ...``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn, TextIO

from swarm.exceptions import ConfigError
from swarm.stats.entries import StatsEntry

EXIT_OK = 0
EXIT_REGRESSION = 1
DEFAULT_TOLERANCE = 0.10
#: The least rise of the failure ratio (a fraction) that counts as a regression.
FAIL_RATIO_FLOOR = 0.001
AGGREGATED = ("", "Aggregated")

Key = tuple[str, str]  # (method, name)


@dataclass(frozen=True)
class Metric:
    """One compared column: how to read it and which way is worse."""

    label: str
    read: Callable[[StatsEntry], float]
    higher_is_worse: bool
    kind: str  # "rate", "ratio" or "time", for formatting


def _rps(entry: StatsEntry) -> float:
    last = entry.last_request_timestamp
    if last is None or last <= entry.start_time:
        return 0.0
    return entry.num_requests / (last - entry.start_time)


METRICS = (
    Metric("req/s", _rps, higher_is_worse=False, kind="rate"),
    Metric("fail ratio", lambda e: e.fail_ratio, higher_is_worse=True, kind="ratio"),
    Metric("p50", lambda e: e.get_response_time_percentile(0.5), True, "time"),
    Metric("p95", lambda e: e.get_response_time_percentile(0.95), True, "time"),
    Metric("p99", lambda e: e.get_response_time_percentile(0.99), True, "time"),
)


@dataclass(frozen=True)
class Change:
    """One metric of one endpoint in both runs; ``regression`` when worse beyond tolerance."""

    key: Key
    metric: Metric
    base: float
    new: float
    regression: bool

    @property
    def relative(self) -> float | None:
        """(new - base) / base; None when base is 0."""
        return (self.new - self.base) / self.base if self.base else None


def is_regression(metric: Metric, base: float, new: float, tolerance: float) -> bool:
    """Whether ``new`` is worse than ``base`` by more than ``tolerance`` (a fraction)."""
    if metric.higher_is_worse:
        worse = new > base * (1 + tolerance)
        if metric.kind == "ratio":
            return worse and new - base > FAIL_RATIO_FLOOR
        return worse
    return new < base * (1 - tolerance)


def parse_tolerance(text: str) -> float:
    """``"10%"`` or ``"0.1"`` -> 0.1; raises argparse.ArgumentTypeError when it is neither."""
    body = text.strip()
    try:
        value = float(body[:-1]) / 100 if body.endswith("%") else float(body)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid tolerance {text!r}: write 10% or 0.1") from None
    if not 0 <= value < 100:
        raise argparse.ArgumentTypeError(f"invalid tolerance {text!r}: it must be 0 or more")
    return value


def load_report(path: Path) -> dict[Key, StatsEntry]:
    """The entries of a ``--json-file`` report by (method, name), plus the Aggregated row."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"cannot read {path}: {error.strerror or error}") from None
    except ValueError as error:
        raise ConfigError(f"{path} is not JSON: {error}") from None
    if not isinstance(data, list):
        raise ConfigError(f"{path} is not a --json-file report (expected a list of entries)")
    try:
        entries = [StatsEntry.unserialize(item) for item in data]
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise ConfigError(f"{path} is not a --json-file report (bad entry: {error})") from None
    by_key = {(e.method, e.name): e for e in entries}
    total = StatsEntry(None, AGGREGATED[1], AGGREGATED[0])
    if entries:
        total.start_time = min(e.start_time for e in entries)
    for entry in entries:
        total.extend(entry)
    by_key[AGGREGATED] = total
    return by_key


def compare(
    base: dict[Key, StatsEntry], new: dict[Key, StatsEntry], tolerance: float
) -> list[Change]:
    """Every metric of every endpoint found in both reports, Aggregated last."""
    keys = sorted((set(base) & set(new)) - {AGGREGATED}, key=lambda k: (k[1], k[0]))
    changes = []
    for key in [*keys, AGGREGATED]:
        for metric in METRICS:
            b, n = metric.read(base[key]), metric.read(new[key])
            changes.append(Change(key, metric, b, n, is_regression(metric, b, n, tolerance)))
    return changes


def _format(kind: str, value: float) -> str:
    if kind == "rate":
        return f"{value:,.1f}"
    if kind == "ratio":
        return f"{value:.2%}"
    return f"{value:,.0f} ms" if value >= 100 else f"{value:.3g} ms"


def _change_text(change: Change) -> str:
    relative = change.relative
    if relative is None:
        return "=" if change.new == change.base else "new"
    return f"{relative:+.1%}"


def table(
    changes: Sequence[Change], only_base: Sequence[Key], only_new: Sequence[Key]
) -> list[str]:
    """The lines ``swarm compare`` prints."""
    width = max([30, *(len(_label(c.key)) + 2 for c in changes)])
    head = f"{'endpoint':<{width}} {'metric':<10} {'base':>12} {'new':>12} {'change':>9}"
    lines = [head, "-" * len(head)]
    for c in changes:
        endpoint = _label(c.key) if c.metric is METRICS[0] else ""
        row = (
            f"{endpoint:<{width}} {c.metric.label:<10} {_format(c.metric.kind, c.base):>12} "
            f"{_format(c.metric.kind, c.new):>12} {_change_text(c):>9}"
        )
        lines.append(f"{row}  REGRESSION" if c.regression else row)
    lines.append("-" * len(head))
    lines.extend(f"only in BASE: {_label(k)}" for k in only_base)
    lines.extend(f"only in NEW: {_label(k)}" for k in only_new)
    return lines


def _label(key: Key) -> str:
    method, name = key
    return f"{method} {name}" if method else name


class _Parser(argparse.ArgumentParser):
    """argparse without its exit(2): a usage error is a ConfigError, reported with exit 1."""

    def error(self, message: str) -> NoReturn:
        raise ConfigError(message)


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``swarm compare``'s arguments; errors raise ConfigError."""
    parser = _Parser(
        prog="swarm compare",
        description="Compare two --json-file reports; exit 1 when NEW regressed beyond the "
        "tolerance.",
    )
    parser.add_argument("base", metavar="BASE.json", type=Path, help="the reference run")
    parser.add_argument("new", metavar="NEW.json", type=Path, help="the run to check")
    parser.add_argument(
        "--tolerance",
        type=parse_tolerance,
        default=DEFAULT_TOLERANCE,
        metavar="PCT",
        help="how much worse a metric may get before it is a regression: 10%% or 0.1 "
        "(default 10%%)",
    )
    return parser


def run(argv: Sequence[str], stdout: TextIO | None = None) -> int:
    """``swarm compare ARGS`` (without the word ``compare``); returns the exit code."""
    out = sys.stdout if stdout is None else stdout
    parser = build_parser()
    try:
        args = parser.parse_args(list(argv))
        base, new = load_report(args.base), load_report(args.new)
    except ConfigError as error:
        print(f"swarm compare: error: {error}", file=sys.stderr)
        return EXIT_REGRESSION
    changes = compare(base, new, args.tolerance)
    only_base = sorted(set(base) - set(new), key=lambda k: (k[1], k[0]))
    only_new = sorted(set(new) - set(base), key=lambda k: (k[1], k[0]))
    for line in table(changes, only_base, only_new):
        print(line, file=out)
    regressions = [c for c in changes if c.regression]
    tolerance = f"{args.tolerance * 100:g}%"
    if regressions:
        print(f"{len(regressions)} regression(s) beyond {tolerance}", file=out)
        return EXIT_REGRESSION
    print(f"No regression beyond {tolerance}", file=out)
    return EXIT_OK
