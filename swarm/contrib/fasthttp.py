"""``FastHttpUser`` under Locust's import path (``from locust.contrib.fasthttp import ...``).

For now a FastHttpUser is an HttpUser: the same client API (``get``/``post``, ``name=``,
``catch_response``, ``rest``), so locustfiles written for Locust's FastHttpUser run unchanged.
swarm's own fast HTTP client will take its place without changing this name.
"""

from __future__ import annotations

from swarm.protocols.http import HttpSession, HttpUser


class FastHttpUser(HttpUser):
    """An HTTP user, as Locust's FastHttpUser; today it uses swarm's standard HTTP client."""

    abstract = True
    #: Locust's FastHttpUser settings, accepted so that userfiles setting them still load.
    network_timeout: float = 60.0
    connection_timeout: float = 60.0
    max_redirects: int = 30
    max_retries: int = 0
    insecure: bool = True
    concurrency: int = 10


#: Locust's name for the FastHttpUser's client class.
FastHttpSession = HttpSession

__all__ = ["FastHttpSession", "FastHttpUser"]
