"""The JSON report: the list of per-endpoint entries, as Locust's ``--json`` prints it.

Each item is ``StatsEntry.to_dict()``: Locust's fields (``name``, ``method``,
``num_requests``, ``response_times``, ``num_reqs_per_sec``, ...) plus swarm's
(``percentiles``, rates, ``histogram``). The Aggregated row is not in the list, as in Locust;
entries that never saw a request or a failure are left out. Reports never change the stats.

Given the run's saturation verdict, every item also carries it as ``generator``
(``SaturationSummary.to_dict()``): the document stays the list Locust's tools and
``swarm compare`` read, and each endpoint's latencies come with the warning that bears on them.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from swarm.stats.request_stats import RequestStats

if TYPE_CHECKING:
    from swarm.runners.saturation import SaturationSummary


def stats_to_json(
    stats: RequestStats, generator: SaturationSummary | None = None
) -> list[dict[str, Any]]:
    """One ``to_dict()`` per entry with requests or failures, sorted by (name, method); each
    with ``generator`` when that is given."""
    items = [e.to_dict() for e in stats.sorted_entries() if e.num_requests or e.num_failures]
    if generator is not None:
        verdict = generator.to_dict()
        for item in items:
            item["generator"] = verdict
    return items


def print_json(
    stats: RequestStats, stream: TextIO | None = None, generator: SaturationSummary | None = None
) -> None:
    """Print ``stats_to_json(stats, generator)`` as indented JSON to ``stream`` (stdout by
    default)."""
    out = sys.stdout if stream is None else stream
    json.dump(stats_to_json(stats, generator), out, indent=4)
    out.write("\n")


def write_json_file(
    stats: RequestStats,
    name: str | os.PathLike[str],
    generator: SaturationSummary | None = None,
) -> Path:
    """Write ``stats_to_json(stats, generator)`` to ``name + ".json"`` (like
    ``--json-file NAME``).

    Missing parent directories are created; the file is replaced atomically. Returns its path.
    """
    path = Path(f"{os.fspath(name)}.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with temporary.open("w", encoding="utf-8") as f:
        json.dump(stats_to_json(stats, generator), f, indent=4)
        f.write("\n")
    os.replace(temporary, path)
    return path
