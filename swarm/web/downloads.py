"""Downloads: the CSV files ``--csv`` writes, the JSON ``--json`` prints, the HTML report.

Each is made from the statistics as they are now by the same code that writes the files
(:mod:`swarm.reports.csv`, :mod:`swarm.reports.json`), and is served as an attachment named
after the test's start time. In an arrival-rate run they are the open model's: the stats CSV
ends with the service-time columns, and the JSON's items carry ``arrival``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from datetime import datetime

from flask import Blueprint, Response, jsonify, request, send_file

from swarm.reports.csv import (
    EXCEPTIONS_COLUMNS,
    FAILURES_COLUMNS,
    Row,
    exceptions_rows,
    failures_rows,
    stats_columns,
    stats_rows,
)
from swarm.reports.html import render_html_report, run_facts
from swarm.reports.json import stats_to_json
from swarm.web.context import web_ui

downloads = Blueprint("downloads", __name__)


def _file_name(kind: str, extension: str) -> str:
    started = datetime.fromtimestamp(web_ui().environment.stats.start_time)
    return f"swarm_{started:%Y%m%d-%H%M%S}_{kind}.{extension}"


def _attachment(body: str, kind: str, extension: str, mimetype: str) -> Response:
    reply = Response(body, mimetype=mimetype)
    reply.headers["Content-Disposition"] = f"attachment; filename={_file_name(kind, extension)}"
    return reply


def _csv(header: Row, rows: Iterable[Row], kind: str) -> Response:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    writer.writerows(rows)
    return _attachment(text.getvalue(), kind, "csv", "text/csv")


@downloads.get("/stats/requests/csv")
def requests_csv() -> Response:
    """``PREFIX_stats.csv`` of now, with the service-time columns whenever the statistics
    keep service times (an arrival-rate run), as the file ``--csv`` writes has them."""
    stats = web_ui().environment.stats
    service = stats.service is not None
    return _csv(stats_columns(service), stats_rows(stats, service), "requests")


@downloads.get("/stats/failures/csv")
def failures_csv() -> Response:
    return _csv(FAILURES_COLUMNS, failures_rows(web_ui().environment.stats), "failures")


@downloads.get("/exceptions/csv")
def exceptions_csv() -> Response:
    return _csv(EXCEPTIONS_COLUMNS, exceptions_rows(web_ui().environment.stats), "exceptions")


@downloads.get("/stats/requests_full_history/csv")
def full_history_csv() -> Response | tuple[Response, int]:
    writer = web_ui().stats_csv_writer
    path = writer.path("stats_history") if writer is not None and writer.full_history else None
    if path is None or not path.is_file():
        message = "the full history is written only with --csv and --csv-full-history"
        return jsonify(success=False, message=message), 404
    return send_file(
        path.resolve(),
        mimetype="text/csv",
        as_attachment=True,
        download_name=_file_name("requests_full_history", "csv"),
        max_age=0,
    )


@downloads.get("/api/stats/json")
def stats_json() -> Response:
    """The JSON report of now; in an arrival-rate run each item has the run's ``arrival``."""
    environment = web_ui().environment
    runner = environment.runner
    plan = runner.arrival_plan if runner is not None else None
    body = json.dumps(stats_to_json(environment.stats, arrival_plan=plan), indent=4)
    return _attachment(body, "stats", "json", "application/json")


@downloads.get("/stats/report")
def html_report() -> Response:
    """The HTML report of now: shown in the browser, or an attachment with ``?download=1``."""
    environment = web_ui().environment
    body = render_html_report(environment.stats, run_facts(environment))
    if request.args.get("download"):
        return _attachment(body, "report", "html", "text/html")
    return Response(body, mimetype="text/html")
