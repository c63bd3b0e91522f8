"""The ``WebUI`` a request is served for, as routes at module level reach it."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from flask import current_app

if TYPE_CHECKING:
    from swarm.web.server import WebUI

#: The key of ``app.config`` that holds the WebUI.
CONFIG_KEY = "web_ui"


def web_ui() -> WebUI:
    """The WebUI of the app handling the current request."""
    return cast("WebUI", current_app.config[CONFIG_KEY])
