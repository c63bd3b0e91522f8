"""The embedded demo target: a small shop over HTTP to try swarm against
(``python -m swarm.demo``), and the server swarm's own tests load.
"""

from __future__ import annotations

from typing import Any

from swarm.demo.target import DemoTarget

__all__ = ["DemoTarget", "serve_without_host"]


def serve_without_host(environment: Any, **shop: Any) -> DemoTarget | None:
    """For an example's ``init`` listener: with no ``-H``, serve the demo shop in this process
    (``shop`` goes to ``DemoTarget``), point the test at it and stop it when swarm quits.
    Returns the target it started, or None when a host was given."""
    if environment.host:
        return None
    target = DemoTarget(**shop).start()
    environment.host = target.url
    environment.events.quit.add_listener(target.stop)
    return target
