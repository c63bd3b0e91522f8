"""``--web-login USER:PASSWORD``: HTTP Basic authentication on every route of the web UI.

Every request (page, API, static file) must carry the credentials; otherwise the answer is
401 with a ``WWW-Authenticate`` challenge, so a browser asks for them once and scripts pass
them like any Basic auth (``curl -u user:password``). Both parts are compared in constant time.
"""

from __future__ import annotations

import hmac
from typing import NamedTuple

from flask import Response, jsonify, request

from swarm.exceptions import ConfigError
from swarm.web.context import web_ui

REALM = "swarm"


class Credentials(NamedTuple):
    user: str
    password: str


def parse_credentials(text: str) -> Credentials:
    """``"USER:PASSWORD"`` split at its first colon; ConfigError without a user or a colon."""
    user, colon, password = text.partition(":")
    if not colon or not user:
        raise ConfigError("--web-login must be USER:PASSWORD (for example admin:s3cret)")
    return Credentials(user, password)


def matches(expected: Credentials, user: str | None, password: str | None) -> bool:
    """Whether ``user``/``password`` are ``expected``, compared in constant time."""
    if user is None or password is None:
        return False
    same_user = hmac.compare_digest(user.encode(), expected.user.encode())
    same_password = hmac.compare_digest(password.encode(), expected.password.encode())
    return same_user and same_password


def require_login() -> Response | None:
    """Flask ``before_request`` hook: None to go on, or the 401 challenge."""
    expected = web_ui().auth_credentials
    if expected is None:
        return None
    given = request.authorization
    if (
        given is not None
        and given.type == "basic"
        and matches(expected, given.username, given.password)
    ):
        return None
    reply = jsonify(success=False, message="Authentication required")
    reply.status_code = 401
    reply.headers["WWW-Authenticate"] = f'Basic realm="{REALM}", charset="UTF-8"'
    return reply
