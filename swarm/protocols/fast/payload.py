"""What a requests-style call sends, in bytes: query parameters, body, basic auth; pure.

``FastHttpSession`` accepts requests' arguments (``params``, ``data``, ``json``, ``auth``); these
functions turn them into a request target, a body with its ``Content-Type``, and an
``Authorization`` value, the way requests does.
"""

from __future__ import annotations

import json as _json
from base64 import b64encode
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def _pairs(values: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """``(name, value)`` pairs; a list value repeats its name, a None value drops the name."""
    items = values.items() if isinstance(values, Mapping) else values
    pairs: list[tuple[str, Any]] = []
    for name, value in items:
        if value is None:
            continue
        if isinstance(value, list | tuple):
            pairs.extend((name, v) for v in value)
        else:
            pairs.append((name, value))
    return pairs


def with_params(target: str, params: Any) -> str:
    """``target`` with ``params`` (a mapping, pairs, a string or bytes) added to its query."""
    if not params:
        return target
    if isinstance(params, bytes):
        query = params.decode("ascii")
    elif isinstance(params, str):
        query = params
    else:
        query = urlencode(_pairs(params))
    if not query:
        return target
    path, hash_mark, fragment = target.partition("#")
    joined = f"{path}&{query}" if "?" in path else f"{path}?{query}"
    return joined + hash_mark + fragment


def encode_body(data: Any, json: Any) -> tuple[bytes, str | None]:
    """The body bytes and the ``Content-Type`` they imply (None: leave it to the caller).

    ``data`` wins when both are given, as in requests: bytes are sent as they are, a string as
    UTF-8, a mapping or pairs form-encoded, a file-like object read whole. ``json`` is
    serialised compactly only when ``data`` is empty.
    """
    if data:
        if isinstance(data, bytes):
            return data, None
        if isinstance(data, str):
            return data.encode("utf-8"), None
        if hasattr(data, "read"):
            content = data.read()
            return (content.encode("utf-8") if isinstance(content, str) else content), None
        return urlencode(_pairs(data)).encode("ascii"), FORM
    if json is not None:
        return _json.dumps(json, allow_nan=False).encode("utf-8"), JSON
    return b"", None


def basic_auth(username: str | bytes, password: str | bytes) -> str:
    """The ``Authorization`` value for HTTP basic authentication (UTF-8 credentials)."""
    user = username.encode("utf-8") if isinstance(username, str) else username
    secret = password.encode("utf-8") if isinstance(password, str) else password
    return "Basic " + b64encode(user + b":" + secret).decode("ascii")
