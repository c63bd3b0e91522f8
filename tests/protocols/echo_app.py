"""A WSGI app for HTTP client tests: echoes requests, redirects, sets cookies, compresses.

Routes (query parameters in brackets):
    /echo                     JSON: method, path, query, headers (lower-case names), body
    /redirect/<code>[to=URL]  that status with ``Location: to`` (default /echo)
    /loop                     302 to itself, for ever
    /set[name=value...]       204 with one ``Set-Cookie: name=value; Path=/`` per parameter
    /gzip                     a gzip-compressed text body
    /status/<code>            that status, body "status <code>"
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import parse_qsl

from gevent.pywsgi import WSGIServer

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
_REASONS = {
    200: "OK",
    204: "No Content",
    301: "Moved Permanently",
    302: "Found",
    303: "See Other",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
    404: "Not Found",
    500: "Server Error",
}


def _echo(environ: dict[str, Any]) -> dict[str, Any]:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    headers = {
        key[5:].replace("_", "-").lower(): value
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = environ["CONTENT_TYPE"]
    return {
        "method": environ["REQUEST_METHOD"],
        "path": environ["PATH_INFO"],
        "query": environ.get("QUERY_STRING", ""),
        "headers": headers,
        "body": environ["wsgi.input"].read(length).decode("latin-1"),
    }


def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:  # noqa: PLR0911 -- one return per route reads best
    path = environ["PATH_INFO"]
    query = dict(parse_qsl(environ.get("QUERY_STRING", "")))
    if path == "/echo":
        body = json.dumps(_echo(environ)).encode()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body]
    if path.startswith("/redirect/"):
        code = int(path.rsplit("/", 1)[1])
        location = query.get("to", "/echo")
        start_response(f"{code} {_REASONS[code]}", [("Location", location)])
        return [_echo(environ)["body"].encode()]
    if path == "/loop":
        start_response("302 Found", [("Location", "/loop")])
        return [b""]
    if path == "/set":
        cookies = [("Set-Cookie", f"{k}={v}; Path=/") for k, v in query.items()]
        start_response("204 No Content", cookies)
        return []
    if path == "/gzip":
        start_response("200 OK", [("Content-Encoding", "gzip"), ("Content-Type", "text/plain")])
        return [gzip.compress(b"squeezed " * 50)]
    if path.startswith("/status/"):
        code = int(path.rsplit("/", 1)[1])
        start_response(f"{code} {_REASONS[code]}", [("Content-Type", "text/plain")])
        return [f"status {code}".encode()]
    start_response("404 Not Found", [])
    return [b"no such route"]


class EchoServer:
    """``app`` served on 127.0.0.1 (an ephemeral port); ``url`` is its base URL."""

    def __init__(self) -> None:
        self._server = WSGIServer(("127.0.0.1", 0), app, log=None, error_log=None)

    def __enter__(self) -> EchoServer:
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop(timeout=1)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"


def serve() -> Iterator[EchoServer]:
    with EchoServer() as server:
        yield server
