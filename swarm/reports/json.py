"""The JSON report: the list of per-endpoint entries, as Locust's ``--json`` prints it.

Each item is ``StatsEntry.to_dict()``: Locust's fields (``name``, ``method``,
``num_requests``, ``response_times``, ``num_reqs_per_sec``, ...) plus swarm's
(``percentiles``, rates, ``histogram``). The Aggregated row is not in the list, as in Locust;
entries that never saw a request or a failure are left out. Reports never change the stats.

Given the run's saturation verdict, every item also carries it as ``generator``
(``SaturationSummary.to_dict()``): the document stays the list Locust's tools and
``swarm compare`` read, and each endpoint's latencies come with the warning that bears on them.

In an arrival-rate run (given its ``ArrivalPlan``) every item carries the run's rates and drops
as ``arrival`` (``ArrivalSummary.to_dict()``) in the same way; and whenever the statistics keep
service times (``stats.service``), each item has its endpoint's uncorrected percentiles as
``service_time_percentiles`` (keyed like ``percentiles``), beside the corrected ``percentiles``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from swarm.reports.arrival import arrival_summary
from swarm.stats.entries import PERCENTILES_TO_REPORT, StatsEntry
from swarm.stats.histogram import Histogram
from swarm.stats.request_stats import RequestStats

if TYPE_CHECKING:
    from swarm.runners.saturation import SaturationSummary
    from swarm.runners.schedule import ArrivalPlan


def stats_to_json(
    stats: RequestStats,
    generator: SaturationSummary | None = None,
    arrival_plan: ArrivalPlan | None = None,
) -> list[dict[str, Any]]:
    """One ``to_dict()`` per entry with requests or failures, sorted by (name, method); each
    with ``generator`` and ``arrival`` when those are given, and ``service_time_percentiles``
    when ``stats`` keeps service times."""
    entries = [e for e in stats.sorted_entries() if e.num_requests or e.num_failures]
    items = [e.to_dict() for e in entries]
    shared: dict[str, Any] = {}
    if generator is not None:
        shared["generator"] = generator.to_dict()
    summary = arrival_summary(stats, arrival_plan)
    if summary is not None:
        shared["arrival"] = summary.to_dict()
    for item in items:
        item.update(shared)
    if stats.service is not None:
        for item, entry in zip(items, entries, strict=True):
            item["service_time_percentiles"] = service_percentiles(stats.service, entry)
    return items


def service_percentiles(service: RequestStats, entry: StatsEntry) -> dict[str, float]:
    """The service times (ms) of ``entry``'s endpoint, keyed like its ``percentiles``; 0 for
    an endpoint without service times, as ``percentiles`` are without response times."""
    twin = service.entries.get((entry.name, entry.method))
    histogram = twin.histogram if twin is not None else Histogram()
    values = histogram.percentiles(PERCENTILES_TO_REPORT)
    return {str(q): v for q, v in zip(PERCENTILES_TO_REPORT, values, strict=True)}


def print_json(
    stats: RequestStats,
    stream: TextIO | None = None,
    generator: SaturationSummary | None = None,
    arrival_plan: ArrivalPlan | None = None,
) -> None:
    """Print ``stats_to_json(stats, generator, arrival_plan)`` as indented JSON to ``stream``
    (stdout by default)."""
    out = sys.stdout if stream is None else stream
    json.dump(stats_to_json(stats, generator, arrival_plan), out, indent=4)
    out.write("\n")


def write_json_file(
    stats: RequestStats,
    name: str | os.PathLike[str],
    generator: SaturationSummary | None = None,
    arrival_plan: ArrivalPlan | None = None,
) -> Path:
    """Write ``stats_to_json(stats, generator, arrival_plan)`` to ``name + ".json"`` (like
    ``--json-file NAME``).

    Missing parent directories are created; the file is replaced atomically. Returns its path.
    """
    path = Path(f"{os.fspath(name)}.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with temporary.open("w", encoding="utf-8") as f:
        json.dump(stats_to_json(stats, generator, arrival_plan), f, indent=4)
        f.write("\n")
    os.replace(temporary, path)
    return path
