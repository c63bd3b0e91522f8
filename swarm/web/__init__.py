"""The web UI: a Flask app (page, JSON API, downloads) served by gevent beside the runner.

``Environment.create_web_ui(...)`` creates a :class:`WebUI`; see ``docs/web-ui.md``.
``WebUI`` is resolved on first use, so that importing the pure parts of this package (the
form, the history) does not import Flask.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from swarm.web.server import WebUI

__all__ = ["WebUI"]


def __getattr__(name: str) -> Any:
    if name == "WebUI":
        from swarm.web.server import WebUI  # noqa: PLC0415 -- Flask on first use only

        return WebUI
    raise AttributeError(f"module 'swarm.web' has no attribute {name!r}")
