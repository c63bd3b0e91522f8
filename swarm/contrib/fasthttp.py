"""``FastHttpUser`` under Locust's import path (``from locust.contrib.fasthttp import ...``).

The user and its client live in ``swarm.protocols.fasthttp``; this module keeps Locust's names.
"""

from __future__ import annotations

from swarm.protocols.fasthttp import FastHttpSession, FastHttpUser
from swarm.protocols.fasthttp_response import FastResponse

#: Locust's name for the response's context-manager form; swarm's response is both.
ResponseContextManager = FastResponse

__all__ = ["FastHttpSession", "FastHttpUser", "FastResponse", "ResponseContextManager"]
