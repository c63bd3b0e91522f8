"""``GET /metrics``: the web UI's Prometheus metrics (:mod:`swarm.reports.prometheus`).

Each app gets its own registry, made at the first scrape and kept in ``app.extensions``, so
two web UIs in one process never share metrics. The route is behind ``--web-login`` like
every other: Prometheus sends the credentials with ``basic_auth`` in its scrape config.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app
from prometheus_client import CollectorRegistry

from swarm.reports.prometheus import CONTENT_TYPE, exposition, metrics_registry
from swarm.web.context import web_ui

metrics = Blueprint("metrics", __name__)

_EXTENSION = "swarm.metrics"


def _registry() -> CollectorRegistry:
    registry = current_app.extensions.get(_EXTENSION)
    if registry is None:
        registry = metrics_registry(web_ui().environment)
        current_app.extensions[_EXTENSION] = registry
    return registry


@metrics.get("/metrics")
def prometheus_metrics() -> Response:
    return Response(exposition(_registry()), content_type=CONTENT_TYPE)
