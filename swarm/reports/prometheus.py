"""Prometheus metrics: a collector that reads swarm's statistics when it is scraped.

:class:`SwarmCollector` turns an Environment's ``stats`` and ``runner`` into metric families
at scrape time, so nothing is recorded twice and a scrape always sees what the console and
the web UI see (on a master, the merged statistics of every worker). Each app or process gets
its own ``CollectorRegistry`` (:func:`metrics_registry`), never prometheus_client's global
default one, so two environments in one process (tests, embedding) never mix their metrics.

Names follow Prometheus conventions: counters end in ``_total``, times are in seconds.
Response times are a *summary*: ``quantile`` samples (0.5, 0.9, 0.95, 0.99) over the last
~10 s (the "current" percentiles of the web UI; over the whole run when the statistics keep
no recent window), with ``_sum`` and ``_count`` over the whole run, so
``rate(_sum) / rate(_count)`` is the mean over any range. Quantiles do not add up across
series, so the quantiles of all endpoints together are a metric of their own.

An arrival-rate run (the runner has an ``arrival_plan``, or the statistics keep service times)
adds the counters ``swarm_iterations_total`` and ``swarm_dropped_iterations_total``, and the
service times (uncorrected, as the client timed each request) as summaries of the same shape
beside the response times, which in that mode are measured from each iteration's intended
start. In the closed model these families are absent, so its exposition is as before.
See ``docs/prometheus.md`` for the list.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from swarm.__version__ import __version__
from swarm.exceptions import CatchResponseError
from swarm.runners.master import MasterRunner
from swarm.runners.states import (
    STATE_CLEANUP,
    STATE_INIT,
    STATE_MISSING,
    STATE_RUNNING,
    STATE_SPAWNING,
    STATE_STOPPED,
    STATE_STOPPING,
)
from swarm.stats.errors import StatsError

if TYPE_CHECKING:
    from swarm.env import Environment
    from swarm.stats import RequestStats
    from swarm.stats.entries import StatsEntry
    from swarm.stats.histogram import Histogram

#: The media type of :func:`exposition`'s text (prometheus_client names a newer one "latest").
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

#: The response-time quantiles exposed, as fractions.
QUANTILES = (0.5, 0.9, 0.95, 0.99)

#: Error labels longer than this are cut (an error may quote a whole response body).
MAX_ERROR_LABEL = 200

#: Every worker state, exposed even at zero so that a series does not vanish between scrapes.
WORKER_STATES = (
    STATE_INIT,
    STATE_SPAWNING,
    STATE_RUNNING,
    STATE_CLEANUP,
    STATE_STOPPING,
    STATE_STOPPED,
    STATE_MISSING,
)

_ENDPOINT = ["method", "name"]


class SwarmCollector(Collector):
    """The metrics of one Environment, read from its statistics and runner on each scrape.

    Reading never changes the statistics. The worker gauge is only there on a master.
    """

    def __init__(self, environment: Environment) -> None:
        self.environment = environment

    def collect(self) -> Iterator[Metric]:
        stats = self.environment.stats
        entries = [e for e in stats.sorted_entries() if e.num_requests or e.num_failures]
        yield _info()
        yield _counter(
            "swarm_requests", "Requests made (successful or not)", entries, "num_requests"
        )
        yield _counter("swarm_request_failures", "Requests that failed", entries, "num_failures")
        yield _errors(stats.errors.values())
        yield _response_times(entries)
        yield _summary(
            "swarm_aggregated_response_time_seconds",
            "Response times of all endpoints together",
            [([], stats.total)] if stats.total.histogram.count else [],
        )
        if self._open_model():
            yield from _arrival_metrics(stats)
        yield _gauge(
            "swarm_current_rps", "Requests per second, last ~10 s", stats.total.current_rps
        )
        yield from self._runner_metrics()

    def _open_model(self) -> bool:
        """Whether the run is an arrival-rate run: a plan, or service times kept (a master
        knows them from its workers' reports)."""
        runner = self.environment.runner
        plan = runner.arrival_plan if runner is not None else None
        return plan is not None or self.environment.stats.service is not None

    def _runner_metrics(self) -> Iterator[Metric]:
        runner = self.environment.runner
        users = runner.user_count if runner is not None else 0
        yield _gauge("swarm_users", "Users running (on every worker, on a master)", users)
        if isinstance(runner, MasterRunner):
            yield _workers(runner.clients.counts_by_state())


def metrics_registry(environment: Environment) -> CollectorRegistry:
    """A new registry holding only ``environment``'s :class:`SwarmCollector`."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SwarmCollector(environment))
    return registry


def exposition(registry: CollectorRegistry) -> bytes:
    """The registry's metrics in the Prometheus text format 0.0.4 (:data:`CONTENT_TYPE`)."""
    return generate_latest(registry)


def error_label(error: StatsError) -> str:
    """The error as a label: its message (a ``CatchResponseError``'s own), addresses masked."""
    raw = error.error
    if isinstance(raw, CatchResponseError) and raw.args:
        text = StatsError.parse_error(str(raw.args[0]))
    else:
        # to_name() already unwraps a CatchResponseError received from a worker as text.
        text = StatsError.parse_error(error.to_name().split(": ", 1)[-1])
    if len(text) > MAX_ERROR_LABEL:
        return text[: MAX_ERROR_LABEL - 1] + "…"
    return text


def _labels(entry: StatsEntry) -> list[str]:
    return [str(entry.method or ""), str(entry.name)]


def _info() -> GaugeMetricFamily:
    family = GaugeMetricFamily(
        "swarm_info", "The swarm version serving these metrics", labels=["version"]
    )
    family.add_metric([__version__], 1)
    return family


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _counter(
    name: str, documentation: str, entries: Iterable[StatsEntry], field: str
) -> CounterMetricFamily:
    family = CounterMetricFamily(name, documentation, labels=_ENDPOINT)
    for entry in entries:
        family.add_metric(_labels(entry), getattr(entry, field))
    return family


def _errors(errors: Iterable[StatsError]) -> CounterMetricFamily:
    family = CounterMetricFamily(
        "swarm_errors", "Failures by error message", labels=[*_ENDPOINT, "error"]
    )
    # Two errors may read the same once cut to MAX_ERROR_LABEL: their counts add.
    counts: dict[tuple[str, str, str], int] = {}
    for error in errors:
        key = (str(error.method or ""), str(error.name), error_label(error))
        counts[key] = counts.get(key, 0) + error.occurrences
    for key, count in counts.items():
        family.add_metric(list(key), count)
    return family


def _recent(entry: StatsEntry) -> Histogram:
    """The response times of the last ~10 s, or of the whole run without a recent window."""
    if entry.use_response_times_cache:
        return entry.current_histogram()
    return entry.histogram


def _response_times(entries: list[StatsEntry]) -> Metric:
    rows = [(_labels(e), e) for e in entries if e.histogram.count]
    return _summary("swarm_response_time_seconds", "Response times per endpoint", rows, _ENDPOINT)


def _summary(
    name: str,
    documentation: str,
    rows: Iterable[tuple[list[str], StatsEntry]],
    labels: list[str] | None = None,
) -> Metric:
    """A summary per row: quantiles of the recent window, sum and count of the whole run.

    A row whose window is empty (idle for ~10 s) has no quantile samples: an absent sample
    leaves a gap in a graph, which is what "no requests" looks like.
    """
    family = Metric(name, documentation, "summary")
    for values, entry in rows:
        label_map = dict(zip(labels or [], values, strict=True))
        window = _recent(entry)
        if window.count:
            for q, ms in zip(QUANTILES, window.percentiles(QUANTILES), strict=True):
                family.add_sample(name, {**label_map, "quantile": str(q)}, ms / 1000)
        family.add_sample(f"{name}_sum", label_map, entry.histogram.total / 1000)
        family.add_sample(f"{name}_count", label_map, entry.histogram.count)
    return family


def _arrival_metrics(stats: RequestStats) -> Iterator[Metric]:
    """The service-time summaries (empty without service times) and the iteration counters."""
    service = stats.service
    entries = service.sorted_entries() if service is not None else []
    rows = [(_labels(e), e) for e in entries if e.histogram.count]
    yield _summary(
        "swarm_service_time_seconds",
        "Service times per endpoint, as the client timed each request (uncorrected)",
        rows,
        _ENDPOINT,
    )
    total: list[tuple[list[str], StatsEntry]] = []
    if service is not None and service.total.histogram.count:
        total.append(([], service.total))
    yield _summary(
        "swarm_aggregated_service_time_seconds",
        "Service times of all endpoints together (uncorrected)",
        total,
    )
    yield CounterMetricFamily(
        "swarm_iterations", "Iterations started on the arrival schedule", value=stats.iterations
    )
    yield CounterMetricFamily(
        "swarm_dropped_iterations",
        "Iterations dropped: no user was free within --max-lateness of their start",
        value=stats.dropped_iterations,
    )


def _workers(counts: dict[str, int]) -> GaugeMetricFamily:
    family = GaugeMetricFamily("swarm_workers", "Workers by state", labels=["state"])
    for state in (*WORKER_STATES, *sorted(set(counts) - set(WORKER_STATES))):
        family.add_metric([state], counts.get(state, 0))
    return family
