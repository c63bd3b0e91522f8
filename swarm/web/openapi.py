"""The web API's OpenAPI 3.1 document, built from one table (:data:`ROUTES`).

Each :class:`RouteDoc` says a route's path, methods, what it does and the shape of its reply.
``GET /api/openapi.json`` serves :func:`openapi_document`; a test checks that every route the
app registers is in the table, that every route in the table exists, and that real replies
have the documented keys. Schemas name the keys a client may rely on (``required``); replies
may carry more.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from swarm.__version__ import __version__

Schema = dict[str, Any]

JSON = "application/json"
CSV = "text/csv"
HTML = "text/html"
PROMETHEUS_TEXT = "text/plain; version=0.0.4"

NUMBER: Schema = {"type": "number"}
INTEGER: Schema = {"type": "integer"}
STRING: Schema = {"type": "string"}
BOOLEAN: Schema = {"type": "boolean"}


def nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def array(items: Schema) -> Schema:
    return {"type": "array", "items": items}


def obj(
    required: dict[str, Schema],
    extra: Schema | None = None,
    optional: dict[str, Schema] | None = None,
) -> Schema:
    """An object with the ``required`` keys always present, the ``optional`` ones in some
    replies only (and any others allowed)."""
    properties = {**required, **(optional or {})}
    schema: Schema = {"type": "object", "required": sorted(required), "properties": properties}
    if extra is not None:
        schema["additionalProperties"] = extra
    return schema


MESSAGE = obj({"success": BOOLEAN, "message": STRING})
#: Service times (ms) by percentile (``"0.95"``): an arrival-rate run's, uncorrected.
SERVICE_TIMES = {
    **obj({}, extra=NUMBER),
    "description": "an arrival-rate run only: uncorrected service times (ms) by percentile",
}
FORM_ERRORS = obj(
    {"success": BOOLEAN, "message": STRING, "errors": obj({}, extra=STRING)},
)
ROW = obj(
    {
        "method": STRING,
        "name": STRING,
        "safe_name": STRING,
        "num_requests": INTEGER,
        "num_failures": INTEGER,
        "avg_response_time": NUMBER,
        "min_response_time": NUMBER,
        "max_response_time": NUMBER,
        "current_rps": NUMBER,
        "current_fail_per_sec": NUMBER,
        "total_rps": NUMBER,
        "total_fail_per_sec": NUMBER,
        "median_response_time": NUMBER,
        "ninetieth_response_time": NUMBER,
        "response_time_percentile_0.95": NUMBER,
        "ninety_ninth_response_time": NUMBER,
        "avg_content_length": NUMBER,
    },
    optional={"service_time_percentiles": SERVICE_TIMES},
)
ERROR = obj({"method": STRING, "name": STRING, "error": STRING, "occurrences": INTEGER})
WORKER = obj(
    {
        "id": STRING,
        "state": STRING,
        "user_count": INTEGER,
        "cpu_usage": NUMBER,
        "memory_usage": INTEGER,
        "last_heartbeat": NUMBER,
        "heartbeat_age": NUMBER,
    }
)
GENERATOR = obj(
    {
        "saturated": BOOLEAN,
        "saturated_share": NUMBER,
        "peak_cpu": NUMBER,
        "peak_loop_lag_ms": NUMBER,
        "saturated_processes": obj({}, extra=NUMBER),
        "master_saturated_share": NUMBER,
        "cpu_limit": NUMBER,
        "loop_lag_limit_ms": NUMBER,
        "headline": nullable(STRING),
        "detail": nullable(STRING),
        "master_note": nullable(STRING),
    }
)
#: The JSON report's ``arrival`` object (``ArrivalSummary.to_dict()``).
ARRIVAL_FIELDS: dict[str, Schema] = {
    "requested": STRING,
    "requested_peak_rate": NUMBER,
    "iterations": INTEGER,
    "achieved_rate": NUMBER,
    "dropped_iterations": INTEGER,
    "dropped_share": NUMBER,
    "duration_s": NUMBER,
    "max_users": INTEGER,
    "max_lateness_s": NUMBER,
}
#: ``/stats/requests``' ``arrival``: the report's, live, with the console's words for drops.
ARRIVAL = obj({**ARRIVAL_FIELDS, "dropped_text": STRING, "drop_warning": nullable(STRING)})
STATS_REQUESTS = obj(
    {
        "timestamp": NUMBER,
        "stats": array(ROW),
        "errors": array(ERROR),
        "total_rps": NUMBER,
        "total_fail_per_sec": NUMBER,
        "current_rps": NUMBER,
        "current_fail_per_sec": NUMBER,
        "fail_ratio": NUMBER,
        "total_avg_response_time": NUMBER,
        "current_response_time_percentiles": obj(
            {"response_time_percentile_0.5": NUMBER, "response_time_percentile_0.95": NUMBER}
        ),
        "state": STRING,
        "user_count": INTEGER,
        "target_user_count": nullable(INTEGER),
        "spawn_rate": NUMBER,
        "host": nullable(STRING),
        "run_time_left": nullable(NUMBER),
        "cpu_warning": BOOLEAN,
        "generator": GENERATOR,
        "shape": nullable(STRING),
        "arrival": {**nullable(ARRIVAL), "description": "null in the closed model"},
        "is_distributed": BOOLEAN,
        "workers": array(WORKER),
        "worker_count": INTEGER,
    }
)
EXCEPTIONS = obj(
    {
        "exceptions": array(
            obj({"count": INTEGER, "msg": STRING, "traceback": STRING, "nodes": STRING})
        )
    }
)
POINT = obj(
    {
        "time": STRING,
        "timestamp": NUMBER,
        "user_count": INTEGER,
        "current_rps": NUMBER,
        "current_fail_per_sec": NUMBER,
        "response_time_percentile_0.5": NUMBER,
        "response_time_percentile_0.95": NUMBER,
    }
)
HISTORY = obj({"points": array(POINT)})
LOGS = obj({"master": array(STRING), "workers": obj({}, extra=array(STRING))})
RATIOS = obj({}, extra=obj({"ratio": NUMBER}))
TASKS = obj({"per_class": RATIOS, "total": RATIOS})
USER_CLASSES = obj(
    {
        "available": array(obj({"name": STRING, "weight": INTEGER, "fixed_count": INTEGER})),
        "selected": array(STRING),
        "class_picker": BOOLEAN,
    }
)
JSON_REPORT = array(
    obj(
        {"name": STRING, "method": STRING, "num_requests": INTEGER},
        optional={
            "arrival": {
                **obj(ARRIVAL_FIELDS),
                "description": "an arrival-rate run only: its rates and drops",
            },
            "service_time_percentiles": SERVICE_TIMES,
        },
    )
)
#: Not ``obj``: user_count and spawn_rate are required only when no load shape sets the users.
SWARM_FORM: Schema = {
    "type": "object",
    "properties": {
        "user_count": {**STRING, "description": "required, and read, only without a load shape"},
        "spawn_rate": {**STRING, "description": "required, and read, only without a load shape"},
        "host": STRING,
        "run_time": STRING,
    },
    "additionalProperties": STRING,
}
SWARM_REPLY = obj({"success": BOOLEAN, "message": STRING, "host": nullable(STRING)})


@dataclass(frozen=True)
class RouteDoc:
    """One route: ``response`` is the 200 reply's schema (None for non-JSON replies)."""

    path: str
    methods: tuple[str, ...]
    summary: str
    response: Schema | None = None
    media_type: str = JSON
    form: Schema | None = None
    errors: dict[int, str] = field(default_factory=dict)
    query: tuple[str, ...] = ()


ROUTES: tuple[RouteDoc, ...] = (
    RouteDoc("/", ("GET",), "The web UI's page", media_type=HTML),
    RouteDoc(
        "/swarm",
        ("POST",),
        "Start a test (a load shape's, when the userfile has one), or change the users and "
        "spawn rate of the running one",
        SWARM_REPLY,
        form=SWARM_FORM,
        errors={
            400: "invalid fields (``errors``: field -> message)",
            409: "cannot start now, or a load shape sets the users of the running test",
        },
    ),
    RouteDoc("/stop", ("GET", "POST"), "Stop the test", MESSAGE),
    RouteDoc("/stats/reset", ("GET", "POST"), "Reset the statistics", MESSAGE),
    RouteDoc("/stats/requests", ("GET",), "Live statistics of every endpoint", STATS_REQUESTS),
    RouteDoc("/stats/requests/csv", ("GET",), "PREFIX_stats.csv of now", media_type=CSV),
    RouteDoc(
        "/stats/requests_full_history/csv",
        ("GET",),
        "PREFIX_stats_history.csv (with --csv and --csv-full-history)",
        media_type=CSV,
        errors={404: "the run does not write a full history"},
    ),
    RouteDoc("/stats/failures/csv", ("GET",), "PREFIX_failures.csv of now", media_type=CSV),
    RouteDoc("/exceptions", ("GET",), "Exceptions raised by user code", EXCEPTIONS),
    RouteDoc("/exceptions/csv", ("GET",), "PREFIX_exceptions.csv of now", media_type=CSV),
    RouteDoc(
        "/stats/report",
        ("GET",),
        "The HTML report of now (an attachment with download=1)",
        media_type=HTML,
        query=("download",),
    ),
    RouteDoc("/logs", ("GET",), "The last log lines of the master and of each worker", LOGS),
    RouteDoc("/tasks", ("GET",), "Task ratios per user class and in total", TASKS),
    RouteDoc("/user_classes", ("GET",), "The user classes and which are selected", USER_CLASSES),
    RouteDoc(
        "/api/history",
        ("GET",),
        "Chart points of the whole run: the totals, or one endpoint's (name and method)",
        HISTORY,
        query=("name", "method"),
    ),
    RouteDoc("/api/stats/json", ("GET",), "The JSON report, as --json prints it", JSON_REPORT),
    RouteDoc("/metrics", ("GET",), "Prometheus metrics (text format)", media_type=PROMETHEUS_TEXT),
    RouteDoc("/api/openapi.json", ("GET",), "This document", obj({"openapi": STRING})),
)


def _operation(route: RouteDoc, method: str) -> Schema:
    content: Schema = {route.media_type: {"schema": route.response or STRING}}
    responses: Schema = {"200": {"description": "OK", "content": content}}
    for status, why in route.errors.items():
        error_schema = FORM_ERRORS if status == 400 else MESSAGE
        responses[str(status)] = {
            "description": why,
            "content": {JSON: {"schema": error_schema}},
        }
    operation: Schema = {"summary": route.summary, "responses": responses}
    if route.form is not None and method == "POST":
        operation["requestBody"] = {
            "content": {"application/x-www-form-urlencoded": {"schema": route.form}}
        }
    if route.query:
        operation["parameters"] = [
            {"name": name, "in": "query", "required": False, "schema": STRING}
            for name in route.query
        ]
    return operation


def openapi_document(base_path: str = "") -> Schema:
    """The OpenAPI 3.1 document of the API served under ``base_path``."""
    paths = {
        route.path: {method.lower(): _operation(route, method) for method in route.methods}
        for route in ROUTES
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "swarm web API", "version": __version__},
        "servers": [{"url": base_path or "/"}],
        "components": {
            "securitySchemes": {"basic": {"type": "http", "scheme": "basic"}},
        },
        "paths": paths,
    }
