"""The Flask app factory: blueprints mounted under the base path, login, error replies.

``create_app(web_ui)`` is all a server needs. Routes are in :mod:`swarm.web.api`
(JSON), :mod:`swarm.web.downloads` (CSV, JSON and HTML files) and :mod:`swarm.web.pages`
(the page and its static files); each finds the ``WebUI`` in ``app.config["web_ui"]``.

Errors never reach the browser as Flask's HTML pages: an HTTP error (404, 405...) is a JSON
``{"success": false, "message": ...}`` with its status, and an exception in a route is logged
with its traceback and answered with a JSON 500. No CORS header is ever added, and a POST
that a browser marks as coming from another site (``Sec-Fetch-Site: cross-site``) is refused,
so a page elsewhere cannot start or stop a test with the user's saved credentials.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from flask import Flask, Response, jsonify, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as WerkzeugResponse

from swarm.web.api import api
from swarm.web.auth import require_login
from swarm.web.context import CONFIG_KEY
from swarm.web.downloads import downloads
from swarm.web.metrics import metrics
from swarm.web.pages import pages

if TYPE_CHECKING:
    from swarm.web.server import WebUI

logger = logging.getLogger(__name__)

#: Methods that change something, refused when a browser says another site sent them.
_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def normalize_base_path(path: str) -> str:
    """``"swarm/"`` -> ``"/swarm"``; ``""`` and ``"/"`` -> ``""`` (served at the root)."""
    stripped = path.strip().strip("/")
    return f"/{stripped}" if stripped else ""


def create_app(web_ui: WebUI) -> Flask:
    """A Flask app serving ``web_ui`` under ``web_ui.base_path``."""
    app = Flask(__name__, static_folder=None)
    app.config[CONFIG_KEY] = web_ui
    json_provider = DefaultJSONProvider(app)
    json_provider.sort_keys = False  # the fields in the order the docs list them
    app.json = json_provider
    app.before_request(require_login)
    app.before_request(_refuse_cross_site)
    prefix = web_ui.base_path or None
    for blueprint in (pages, api, downloads, metrics):
        app.register_blueprint(blueprint, url_prefix=prefix)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _crash)
    return app


def _refuse_cross_site() -> tuple[Response, int] | None:
    if request.method in _UNSAFE_METHODS and request.headers.get("Sec-Fetch-Site") == "cross-site":
        return jsonify(success=False, message="cross-site requests are refused"), 403
    return None


def _http_error(error: HTTPException) -> WerkzeugResponse:
    reply = error.get_response()
    reply.data = jsonify(success=False, message=error.description or error.name).get_data()
    reply.content_type = "application/json"
    return reply


def _crash(error: Exception) -> tuple[Response, int]:
    logger.error("Web UI: %s %s failed", request.method, request.path, exc_info=error)
    message = f"internal error: {type(error).__name__}: {error}"
    return jsonify(success=False, message=message), 500
