"""The JSON API: control (start, stop, reset) and live data (stats, exceptions, logs, history).

Routes live at module level and reach the ``WebUI`` through :func:`swarm.web.context.web_ui`.
Their paths and meanings are Locust's where Locust has them; each is described in
:mod:`swarm.web.openapi`. Invalid input is a 400 with a message per field, never a 500.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, jsonify, request

from swarm.runners.master import MasterRunner
from swarm.user.inspect import get_ratio
from swarm.web.context import web_ui
from swarm.web.control import NotStartable, shape_name
from swarm.web.form import FormError, parse_swarm_form
from swarm.web.openapi import openapi_document
from swarm.web.snapshot import exceptions_rows, requests_snapshot

logger = logging.getLogger(__name__)

api = Blueprint("api", __name__)


def _reply(status: int, **data: Any) -> tuple[Response, int]:
    return jsonify(data), status


@api.post("/swarm")
def swarm() -> tuple[Response, int]:
    ui = web_ui()
    env = ui.environment
    shape = shape_name(env)
    try:
        wanted = parse_swarm_form(
            request.form.to_dict(flat=False),
            available_classes=env.available_user_classes,
            class_picker=ui.class_picker,
            shape=shape is not None,
        )
        message = ui.control.start(wanted)
    except FormError as error:
        return _reply(400, success=False, message=str(error), errors=error.errors, host=env.host)
    except NotStartable as error:
        return _reply(409, success=False, message=str(error), host=env.host)
    logger.info("Web UI: %s", message)
    reply: dict[str, Any] = {"success": True, "message": message, "host": env.host}
    if shape is not None:
        reply["shape"] = shape
    if wanted.run_time:
        reply["run_time"] = wanted.run_time
    if ui.class_picker:
        reply["user_classes"] = sorted(cls.__name__ for cls in env.user_classes)
    return _reply(200, **reply)


@api.route("/stop", methods=["GET", "POST"])
def stop() -> tuple[Response, int]:
    web_ui().control.stop()
    return _reply(200, success=True, message="Test stopped")


@api.route("/stats/reset", methods=["GET", "POST"])
def reset_stats() -> tuple[Response, int]:
    ui = web_ui()
    env = ui.environment
    env.events.reset_stats.fire()
    env.stats.reset_all()
    # As Locust's button does: the exceptions tab starts afresh too.
    env.stats.exceptions.clear()
    ui.history.clear()
    return _reply(200, success=True, message="Statistics reset")


@api.get("/stats/requests")
def stats_requests() -> Response:
    ui = web_ui()
    env = ui.environment
    return jsonify(
        requests_snapshot(
            env.stats,
            ui.runner,
            host=env.host,
            run_time_left=ui.control.run_time_left(),
            shape=shape_name(env),
        )
    )


@api.get("/exceptions")
def exceptions() -> Response:
    return jsonify(exceptions=exceptions_rows(web_ui().environment.stats))


@api.get("/logs")
def logs() -> Response:
    ui = web_ui()
    runner = ui.runner
    workers = (
        {node: list(lines) for node, lines in runner.worker_logs.items()}
        if isinstance(runner, MasterRunner)
        else {}
    )
    return jsonify(master=list(ui.logs.lines), workers=workers)


@api.get("/tasks")
def tasks() -> Response:
    env = web_ui().environment
    runner = env.runner
    spawned = runner.user_classes_count if runner is not None else {}
    if not spawned:  # before a test, the ratios by weight
        spawned = {cls.__name__: int(cls.fixed_count or cls.weight) for cls in env.user_classes}
    return jsonify(
        per_class=get_ratio(env.user_classes, spawned, False),
        total=get_ratio(env.user_classes, spawned, True),
    )


@api.get("/user_classes")
def user_classes() -> Response:
    ui = web_ui()
    env = ui.environment
    available = [
        {"name": name, "weight": cls.weight, "fixed_count": cls.fixed_count}
        for name, cls in sorted(env.available_user_classes.items())
    ]
    selected = [cls.__name__ for cls in env.user_classes]
    return jsonify(available=available, selected=selected, class_picker=ui.class_picker)


@api.get("/api/history")
def history() -> Response:
    ui = web_ui()
    name = request.args.get("name")
    method = request.args.get("method")
    if name is None and method is None:
        return jsonify(points=list(ui.environment.stats.history))
    return jsonify(points=ui.history.points(name or "", method or ""))


@api.get("/api/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_document(web_ui().base_path))
