"""Reading swarm's Prometheus metrics as Prometheus does, for the metrics tests."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from swarm.env import Environment
from swarm.reports.prometheus import exposition, metrics_registry


def scrape(env: Environment) -> dict[str, list[Sample]]:
    """Family name -> samples, parsed from the text format as Prometheus reads it."""
    text = exposition(metrics_registry(env)).decode()
    return {f.name: f.samples for f in text_string_to_metric_families(text)}


def value(samples: list[Sample], metric: str, **labels: str) -> float:
    """The one sample of ``metric`` with exactly ``labels``."""
    found = [s.value for s in samples if s.name == metric and s.labels == labels]
    assert len(found) == 1, f"{metric}{labels} in {samples}"
    return found[0]
