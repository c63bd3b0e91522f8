"""The figures of ``bench_master.py``: one row per step, tables, and where a master's time goes.

Pure functions over plain data (lists of milliseconds, dicts of CPU times, profile text), so
the driver stays a sequence of process steps.
"""

from __future__ import annotations

import io
import pstats
from collections import Counter
from typing import Any

#: A step whose master is past any of these has saturated: its implementation stops growing.
SATURATED_CPU = 95.0
SATURATED_HEARTBEAT_P99_MS = 2000.0
SATURATED_HEARTBEAT_LATE_MS = 3000.0


def percentile(values: list[float], q: float) -> float | None:
    """The nearest-rank ``q`` (0..1) percentile of ``values``; None for none."""
    if not values:
        return None
    ordered = sorted(values)
    rank = min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))
    return ordered[rank]


def step_row(
    impl: str,
    workers: int,
    registered: int,
    window: float,
    master_cpu: float,
    master_rss: int,
    sim_cpu: float,
    seen: list[dict[str, Any]],
) -> dict[str, Any]:
    """One step's figures from what the master's process and the simulators reported.

    ``master_cpu``/``sim_cpu``: CPU seconds over the ``window`` seconds; ``seen``: the JSON
    summaries of the simulators (heartbeat delays and API round trips in ms).
    """
    delays = [d for s in seen for d in s["hb_delays"]]
    rtts = [d for s in seen for d in s["api_rtts"]]
    late = sum(s["hb_late"] for s in seen)
    oldest = max((s["hb_oldest"] for s in seen), default=0.0)
    api_oldest = max((s["api_oldest"] for s in seen), default=0.0)
    row: dict[str, Any] = {
        "impl": impl,
        "workers": workers,
        "registered": registered,
        "window_s": round(window, 2),
        "master_cpu_pct": round(100 * master_cpu / window, 1),
        "master_rss_mb": round(master_rss / 2**20, 1),
        "hb_p50_ms": _round(percentile(delays, 0.5)),
        "hb_p99_ms": _round(percentile(delays, 0.99)),
        "hb_max_ms": _round(max([*delays, oldest], default=None)),
        "hb_replies": len(delays),
        "hb_sent": sum(s["hb_sent"] for s in seen),
        "hb_late": late,
        "stats_per_s": round(sum(s["stats_sent"] for s in seen) / window, 1),
        "sent_mb_per_s": round(sum(s["bytes_sent"] for s in seen) / window / 2**20, 2),
        "api_p50_ms": _round(percentile(rtts, 0.5)),
        "api_max_ms": _round(max([*rtts, api_oldest], default=None)),
        "api_answered": len(rtts),
        "api_sent": sum(s["api_sent"] for s in seen),
        "sim_cpu_pct": round(100 * sim_cpu / window, 1),
    }
    row["saturated"] = saturated(row)
    return row


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def saturated(row: dict[str, Any]) -> bool:
    """Whether the master of ``row`` could not keep up (or not every worker registered)."""
    return (
        row["registered"] < row["workers"]
        or row["master_cpu_pct"] >= SATURATED_CPU
        or (row["hb_p99_ms"] or 0.0) > SATURATED_HEARTBEAT_P99_MS
        or (row["hb_max_ms"] or 0.0) > SATURATED_HEARTBEAT_LATE_MS
    )


_COLUMNS = [
    ("workers", "workers"),
    ("master_cpu_pct", "CPU %"),
    ("master_rss_mb", "RSS MB"),
    ("hb_p50_ms", "hb p50 ms"),
    ("hb_p99_ms", "hb p99 ms"),
    ("hb_max_ms", "hb max ms"),
    ("hb_late", "hb late"),
    ("stats_per_s", "reports/s"),
    ("api_p50_ms", "API p50 ms"),
    ("api_max_ms", "API max ms"),
    ("sim_cpu_pct", "sims CPU %"),
]


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def impl_table(rows: list[dict[str, Any]]) -> list[str]:
    """A markdown table of one implementation's steps."""
    header = [title for _, title in _COLUMNS] + ["note"]
    body = [[_cell(row[key]) for key, _ in _COLUMNS] + [_note(row)] for row in rows]
    return _table(header, body)


def _note(row: dict[str, Any]) -> str:
    notes = []
    if row["registered"] < row["workers"]:
        notes.append(f"only {row['registered']} registered")
    if row["saturated"]:
        notes.append("SATURATED")
    if row["sim_cpu_pct"] >= 90:
        notes.append("simulators near a full core")
    if row.get("profiled"):
        notes.append("profiled")
    return "; ".join(notes)


def side_by_side(rows: list[dict[str, Any]], impls: list[str]) -> list[str]:
    """The curve: master CPU, heartbeat p99, RSS and API p50 per worker count, per impl."""
    by_key = {(row["impl"], row["workers"]): row for row in rows}
    counts = sorted({row["workers"] for row in rows})
    fields = [
        ("master_cpu_pct", "CPU %"),
        ("hb_p99_ms", "hb p99 ms"),
        ("master_rss_mb", "RSS MB"),
        ("api_p50_ms", "API p50 ms"),
    ]
    header = ["workers"] + [f"{impl} {title}" for key, title in fields for impl in impls]
    body = []
    for count in counts:
        cells = [str(count)]
        for key, _ in fields:
            for impl in impls:
                row = by_key.get((impl, count))
                mark = "*" if row is not None and row["saturated"] else ""
                cells.append("n/a" if row is None else _cell(row[key]) + mark)
        body.append(cells)
    return [*_table(header, body), "(* = saturated; n/a = not run)"]


def pyspy_top(raw: str, limit: int = 25) -> list[str]:
    """Top functions by own and by cumulative samples, from ``py-spy record -f raw`` output.

    Each line of ``raw`` is a stack (frames joined by ``;``, outermost first) and a count.
    """
    own: Counter[str] = Counter()
    cumulative: Counter[str] = Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            cumulative[frame] += count
    if not total:
        return ["(no samples)"]
    lines = [f"{total} samples on CPU", "", "own time:"]
    lines += [f"  {100 * n / total:5.1f}%  {frame}" for frame, n in own.most_common(limit)]
    lines += ["", "cumulative time:"]
    lines += [f"  {100 * n / total:5.1f}%  {frame}" for frame, n in cumulative.most_common(limit)]
    return lines


def cprofile_top(path: str, limit: int = 25) -> list[str]:
    """Top functions by own and by cumulative time from a cProfile dump at ``path``."""
    out = io.StringIO()
    stats = pstats.Stats(path, stream=out)
    stats.sort_stats("tottime").print_stats(limit)
    stats.sort_stats("cumulative").print_stats(limit)
    return out.getvalue().splitlines()
